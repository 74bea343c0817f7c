"""Visitors of the workspace's site and the pages known clients open there (the tracker).

A visitor is known by the random key of the signed token the site script keeps
(site.visitor_token). They become a client's once they name themselves: a form they send,
a chat from a known email or phone, a tracked link (`?crm_t=`) from an email. From then on
the pages they open are kept (`PageVisit`), and a client coming back after a day or more
emits `contact.visited_site` with `returned_after_days`, on the client's card and for
automation ("a call task when a client returns").
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.models import Contact
from crm.activity.events import emit

from . import ingest
from .models import PageVisit, Visitor

RETURN_AFTER = timedelta(days=1)


def find(key: str) -> Visitor | None:
    return Visitor.objects.filter(key=key).first() if key else None


def identify(key: str, contact_id: int) -> Visitor:
    """The visitor with `key`, now known as the client `contact_id` (the latest who named
    themselves on that browser wins)."""
    visitor = find(key)
    if visitor is None:
        try:
            with transaction.atomic():
                return Visitor.objects.create(key=key, contact_id=contact_id)
        except IntegrityError:  # made a moment ago by another request
            visitor = Visitor.objects.get(key=key)
    if visitor.contact_id != contact_id:
        visitor.contact_id = contact_id
        visitor.save(update_fields=["contact"])
    return visitor


@transaction.atomic
def record_visit(*, contact_id: int, url: str, title: str = "", referrer: str = "", at=None,
                 visitor_key: str = "") -> PageVisit | None:  # fmt: skip
    """Keep a page a known client opened; emit `contact.visited_site` when it is their
    first page after a day or more away. None if the client is gone."""
    at = at or timezone.now()
    # The client's row, locked: two pages opened at once see one "previous visit" each in
    # turn, so a return is told once.
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
    if contact is None:
        return None
    previous = (
        PageVisit.objects.filter(contact_id=contact_id)
        .order_by("-visited_at")
        .values_list("visited_at", flat=True)
        .first()
    )
    visitor = find(visitor_key)
    visit = PageVisit.objects.create(
        contact=contact, visitor=visitor, url=url[:2000], title=title[:300],
        referrer=referrer[:2000], visited_at=at,
    )  # fmt: skip
    if previous is not None and at - previous >= RETURN_AFTER:
        emit(
            "contact.visited_site",
            actor=None,
            subject=contact,
            data={"url": visit.url, "title": visit.title, "referrer": visit.referrer,
                  "returned_after_days": (at - previous).days, "visit": visit.pk},
        )  # fmt: skip
    return visit


@ingest.after_store("chat")
def after_chat(conversation, message, inbound) -> None:
    """A chat from a known email or phone names the visitor: their pages are kept from now."""
    key = inbound.meta.get("visitor") or ""
    if conversation.contact_id and key:
        identify(key, conversation.contact_id)
