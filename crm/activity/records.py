"""The records that tasks and comments hang on: deals, contacts and companies, registered by
their apps (`register_subject_type` from `AppConfig.ready()`).

Each type says how to find the records a member may see (its app's visibility rules) and
which page is its card. Tasks and comments store the record as (object_type, object_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from django.http import Http404
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class SubjectType:
    label: str
    records: object  # fn(membership) -> QuerySet of the records the member may see
    card: str  # URL name of the record's card, taking its id


# Filled by the apps from their AppConfig.ready(): contacts registers "contact" and
# "company", deals registers "deal".
SUBJECT_TYPES: dict[str, SubjectType] = {}


def register_subject_type(object_type: str, *, label, records, card: str) -> None:
    SUBJECT_TYPES[object_type] = SubjectType(label, records, card)


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
    spec = SUBJECT_TYPES.get(object_type)
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
    spec = SUBJECT_TYPES.get(object_type)
    if spec is None or not object_id:
        return ""
    try:
        return reverse(spec.card, args=[object_id])
    except NoReverseMatch:
        return ""


def type_label(object_type: str) -> str:
    spec = SUBJECT_TYPES.get(object_type)
    return str(spec.label) if spec else object_type
