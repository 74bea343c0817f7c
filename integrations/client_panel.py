"""The client panel beside a thread: who the conversation is with (contact, phones,
emails, owner, company), their open deals and open tasks, their other conversations (the
channels a reply may go through instead), and the actions taken from there: a deal (through
deals' services) and a task (through crm.activity's).

Everything is read through the member's selectors: a client they may not see shows nothing
of them, a deal or task they may not see is not listed. A constant number of queries,
however many deals, tasks and conversations the client has.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from contacts.models import Contact
from contacts.selectors import companies_for, contacts_for
from contacts.selectors import search as contact_search
from crm.accounts.models import Membership
from crm.activity.selectors import tasks_visible_to
from crm.activity.services import tasks as task_services
from deals import selectors as deal_selectors
from deals import services as deal_services
from deals.models import Deal
from pipelines.models import Stage

from . import selectors
from .models import Channel, Conversation

SHOWN = 10  # open deals and tasks listed; the card has the rest


@dataclass
class Panel:
    contact: Contact | None = None
    company_visible: bool = False
    deals: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    # The client's other conversations the member may see: where else a reply may go.
    elsewhere: list = field(default_factory=list)
    # Channels of the workspace where the client has no conversation yet.
    unreachable: list = field(default_factory=list)


def panel_for(membership: Membership, conversation: Conversation) -> Panel:
    if conversation.contact_id is None:
        return Panel()
    contact = contacts_for(membership).filter(pk=conversation.contact_id).first()
    if contact is None:
        return Panel()  # a client the member may not see: nothing of them
    company_visible = bool(
        contact.company_id and companies_for(membership).filter(pk=contact.company_id).exists()
    )
    deals = list(
        deal_selectors.deals_for(membership)
        .filter(contacts=contact, status=Deal.OPEN)
        .order_by("-created_at", "-id")[:SHOWN]
    )
    tasks = list(
        tasks_visible_to(membership)
        .filter(object_type="contact", object_id=contact.pk, done_at=None)
        .order_by("due_at", "due_date", "id")[:SHOWN]
    )
    elsewhere = list(
        selectors.conversations_for(membership)
        .filter(contact_id=contact.pk)
        .exclude(pk=conversation.pk)
        .select_related("channel")
        .order_by("-last_message_at", "-id")[:SHOWN]
    )
    reached = {conversation.channel_id, *(c.channel_id for c in elsewhere)}
    unreachable = [c for c in Channel.objects.order_by("name", "id") if c.pk not in reached]
    return Panel(contact, company_visible, deals, tasks, elsewhere, unreachable)


def reply_targets(membership: Membership, conversation: Conversation) -> list[Conversation]:
    """Where a reply to this conversation may go: itself, then the client's conversations
    on other channels that the member may see."""
    if conversation.contact_id is None:
        return [conversation]
    others = (
        selectors.conversations_for(membership)
        .filter(contact_id=conversation.contact_id)
        .exclude(pk=conversation.pk)
        .exclude(channel_id=conversation.channel_id)
        .select_related("channel")
        .order_by("-last_message_at", "-id")[:SHOWN]
    )
    return [conversation, *others]


def open_stages() -> list[Stage]:
    """The open stages of the active funnels, funnel by funnel (the deal form's choice)."""
    return list(
        Stage.objects.filter(kind=Stage.OPEN, pipeline__is_archived=False)
        .select_related("pipeline")
        .order_by("pipeline__position", "pipeline_id", "position", "id")
    )


def open_stages_by_id() -> dict[int, Stage]:
    return {s.pk: s for s in open_stages()}


def find_clients(membership: Membership, text: str, limit: int = 8) -> list[Contact]:
    """Clients the member may see, by name, email or phone (the contacts' search)."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    region = membership.tenant.country
    return list(contact_search(contacts_for(membership), text, region)[:limit])


def _seen(actor: Membership, conversation: Conversation) -> Conversation:
    found = selectors.conversations_for(actor).filter(pk=conversation.pk).first()
    if found is None:
        raise PermissionDenied(_("You cannot see this conversation."))
    return found


def _visible_client(membership: Membership, conversation: Conversation) -> Contact:
    contact = (
        contacts_for(membership).filter(pk=conversation.contact_id).first()
        if conversation.contact_id
        else None
    )
    if contact is None:
        raise ValueError(_("Link the conversation to a client first."))
    return contact


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


def deal_create(
    *, actor: Membership, conversation: Conversation, title: str, stage: Stage, amount=None
) -> Deal:
    """A deal with the conversation's client, in `stage` (deals' service checks the right
    to create deals and the stage). ValueError for what cannot be."""
    conversation = _seen(actor, conversation)
    contact = _visible_client(actor, conversation)
    title = (title or "").strip() or _("Request from %(name)s") % {"name": contact}
    data = {"title": title[:200], "stage": stage, "amount": amount or 0, "contacts": [contact]}
    if contact.company_id and companies_for(actor).filter(pk=contact.company_id).exists():
        data["company"] = contact.company
    try:
        return deal_services.deal_create(actor=actor, data=data)
    except ValidationError as exc:
        raise ValueError(_errors(exc)) from None


def task_create(
    *,
    actor: Membership,
    conversation: Conversation,
    title: str,
    kind: str,
    day: dt.date,
    time: dt.time | None = None,
):
    """A task about the conversation's client, for the actor, due on `day` (at `time` in
    the actor's time zone, or all day). ValueError for what cannot be."""
    conversation = _seen(actor, conversation)
    contact = _visible_client(actor, conversation)
    tz = zoneinfo.ZoneInfo(actor.user.time_zone or actor.tenant.time_zone or "UTC")
    due = {"all_day": True, "due_date": day}
    if time is not None:
        due = {"due_at": dt.datetime.combine(day, time, tzinfo=tz)}
    try:
        return task_services.task_create(
            actor=actor, title=(title or "").strip(), kind=kind, subject=contact, **due
        )
    except ValidationError as exc:
        raise ValueError(_errors(exc)) from None
