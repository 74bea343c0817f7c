"""The records that tasks and comments hang on: deals, contacts and companies.

Each type says how to find the records a member may see (its app's visibility rules) and
which page is its card. Tasks and comments store the record as (object_type, object_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from crm.accounts.selectors import visible_to
from crm.web.params import as_id


def _contacts(membership) -> QuerySet:
    from contacts.selectors import contacts_for

    return contacts_for(membership)


def _companies(membership) -> QuerySet:
    from contacts.selectors import companies_for

    return companies_for(membership)


def _deals(membership) -> QuerySet:
    try:
        from deals.selectors import deals_for
    except ImportError:  # the deals app without its selectors yet
        from deals.models import Deal

        return visible_to(Deal.objects.all(), membership, "deal")
    return deals_for(membership)


@dataclass(frozen=True)
class SubjectType:
    label: str
    records: object  # fn(membership) -> QuerySet of the records the member may see
    card: str  # URL name of the record's card, taking its id


SUBJECT_TYPES: dict[str, SubjectType] = {
    "deal": SubjectType(_("Deal"), _deals, "deal_card"),
    "contact": SubjectType(_("Contact"), _contacts, "contact_card"),
    "company": SubjectType(_("Company"), _companies, "company_card"),
}


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
    pk = as_id(object_id)
    if spec is None or pk is None:
        return None
    if not membership.can(object_type, "view"):
        return None
    return spec.records(membership).filter(pk=pk).first()


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
