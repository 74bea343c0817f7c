"""The records that tasks, comments and notes hang on: the object types registered with
`activity=True` (crm/objects.py): deals, contacts and companies today.

Each type says how to find the records a member may see (its app's visibility rules) and
which page is its card. Tasks and comments store the record as (object_type, object_id).
"""

from __future__ import annotations

from types import SimpleNamespace

from django.db.models import Q, QuerySet
from django.http import Http404

from crm import objects
from crm.accounts import permissions
from crm.web.params import as_id


def activity_type(object_type: str) -> objects.ObjectType | None:
    """The registered type `object_type` if tasks and comments may hang on its records."""
    spec = objects.get(object_type)
    return spec if spec is not None and spec.activity and spec.records is not None else None


class Ref:
    """A record known by type and id only, for `emit(related=[...])`."""

    def __init__(self, object_type: str, pk: int):
        self.event_subject_type = object_type
        self.pk = pk
        self._meta = SimpleNamespace(model_name=object_type)  # what events.subject_type reads

    def __str__(self):
        return f"{self.event_subject_type} #{self.pk}"


def find(membership, object_type: str, object_id) -> object | None:
    """The record if the member may see it; None when it is missing, another workspace's or
    hidden from them (one answer for all three)."""
    spec = activity_type(object_type)
    pk = as_id(object_id)
    if spec is None or pk is None:
        return None
    if not membership.can(object_type, "view"):
        return None
    return spec.records(membership).filter(pk=pk).first()


def seen_by(membership, object_type: str, records) -> QuerySet | list | None:
    """The ids of the records of `object_type` the member may see, for a subquery: those of
    `records(membership)` (the type's `*_for` read); [] when the role may not view the type;
    None when it sees them all (then a deleted record's history too)."""
    if not membership.can(object_type, "view"):
        return []
    if membership.role.visibility(object_type) == permissions.ALL:
        return None
    return records(membership).values("pk")


def visible_sets(membership) -> dict:
    """{record type: `seen_by(...)`} for the records tasks and comments hang on."""
    return {
        object_type: seen_by(membership, object_type, spec.records)
        for object_type, spec in objects.with_activity().items()
    }


def other_visible_sets(membership, known) -> dict:
    """{record type: `seen_by(...)`} for the other registered types with a selector, those
    not in `known` (invoices, say): events about them show, on the timelines of the records
    they name, to the members who may see them. Parts of another type's records (a deal's
    line items) are no subjects of events: their events are about the record they are of."""
    return {
        object_type: seen_by(membership, object_type, spec.records)
        for object_type, spec in objects.OBJECT_TYPES.items()
        if spec.records is not None and object_type not in known and not spec.part_of
    }


def visible_q(
    membership, type_field: str = "object_type", id_field: str = "object_id", *, seen=None
) -> Q:
    """Rows naming, in (`type_field`, `id_field`), a record the member may see, as one
    condition of one query however many rows there are. `seen` reuses `visible_sets()`."""
    seen = visible_sets(membership) if seen is None else seen
    condition = Q(**{f"{id_field}__in": []})  # matches nothing: a member who sees no record
    for object_type, ids in seen.items():
        of_type = Q(**{type_field: object_type})
        condition |= of_type if ids is None else of_type & Q(**{f"{id_field}__in": ids})
    return condition


def find_or_404(membership, object_type: str, object_id):
    record = find(membership, object_type, object_id)
    if record is None:
        raise Http404
    return record


def card_url(object_type: str, object_id) -> str:
    """The record's card, or "" when its app has no card page (yet)."""
    spec = objects.get(object_type)
    return spec.card_url(object_id) if spec is not None else ""


def type_label(object_type: str) -> str:
    spec = objects.get(object_type)
    return str(spec.label) if spec else object_type
