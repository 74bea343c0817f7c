"""The records that tasks, comments and notes hang on: the object types registered with
`activity=True` (crm/objects.py): deals, contacts and companies today.

Each type says how to find the records a member may see (its app's visibility rules) and
which page is its card. Tasks and comments store the record as (object_type, object_id).
"""

from __future__ import annotations

from types import SimpleNamespace

from django.http import Http404

from crm import objects


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
    if spec is None or not str(object_id).isdigit():
        return None
    if not membership.can(object_type, "view"):
        return None
    return spec.records(membership).filter(pk=int(object_id)).first()


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
