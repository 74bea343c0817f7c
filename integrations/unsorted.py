"""Unsorted requests (as Kommo's): a conversation from a sender no client matches waits in
the "Unsorted" filter until a manager accepts it (the contact is made from what the sender
told the channel: name, handle, phones, emails; optionally a deal in a chosen funnel and
stage), links it to a client they may see, or declines it (spam: closed, flagged, and the
sender blocked on that channel).

A blocked sender's messages are kept out at ingestion (`ingest.keep_out`): no conversation
is opened, and the delivery is marked processed with a note saying so, on the channel's
page. Admins unblock from Settings → Channels.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from contacts import normalize
from contacts import services as contact_services
from contacts.models import Contact
from crm.accounts.models import Membership
from crm.activity.events import emit
from crm.tenancy.bulk import update_rows
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant
from deals import services as deal_services
from pipelines.models import Stage

from . import ingest, selectors, services
from .models import BlockedSender, Channel, Conversation, Message


def _visible(actor: Membership, conversation) -> Conversation:
    if not actor.can(selectors.OBJECT_TYPE, "edit"):
        raise PermissionDenied(_("Your role does not allow this."))
    return services._visible(actor, conversation)


def _unsorted(actor: Membership, conversation) -> Conversation:
    found = _visible(actor, conversation)
    if found.contact_id is not None:
        raise ValueError(_("This conversation is already linked to a client."))
    return found


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


def split_name(name: str) -> tuple[str, str]:
    first, _sep, last = (name or "").strip().partition(" ")
    return first[:100], last.strip()[:100]


def contact_data(conversation: Conversation) -> dict:
    """What the contact is made of: the sender's name, and their handle (Telegram's),
    phones and emails as the channel gave them."""
    sender = conversation.sender or {}
    first, last = split_name(sender.get("name") or conversation.title)
    data = {"first_name": first, "last_name": last}
    if conversation.channel.kind == "telegram" and sender.get("username"):
        data["telegram"] = "@" + sender["username"].lstrip("@")
    if sender.get("phones"):
        data["phones"] = list(sender["phones"])
    if sender.get("emails"):
        data["emails"] = list(sender["emails"])
    if not first and not last:
        data["first_name"] = (sender.get("username") or conversation.title or "")[:100]
    return data


@transaction.atomic
def accept(
    *,
    actor: Membership,
    conversation: Conversation,
    first_name: str = "",
    last_name: str = "",
    stage: Stage | None = None,
    deal_title: str = "",
    amount=None,
) -> Conversation:
    """Make the client from the sender (names given here win over the channel's) and link
    the conversation to them, assigned to the actor if nobody has it; with `stage`, a deal
    in that stage too. ValueError when the client cannot be made (a similar one exists:
    link to it instead) or the deal cannot."""
    found = _unsorted(actor, conversation)
    data = contact_data(found)
    if first_name.strip() or last_name.strip():
        data["first_name"], data["last_name"] = first_name.strip(), last_name.strip()
    if not (data.get("first_name") or data.get("last_name")):
        raise ValueError(_("Enter the client's name."))
    try:
        contact = contact_services.record_create(actor=actor, model=Contact, data=data)
    except contact_services.DuplicatesFound as exc:
        names = ", ".join(str(c) for c in exc.candidates[:3])
        if names:
            raise ValueError(
                _("A similar client exists (%(names)s): link the conversation to them instead.")
                % {"names": names}
            ) from None
        raise ValueError(_messages(exc)) from None
    except ValidationError as exc:
        raise ValueError(_messages(exc)) from None
    if stage is not None:
        title = deal_title.strip() or _("Request from %(name)s") % {"name": contact}
        try:
            deal_services.deal_create(
                actor=actor,
                data={"title": title[:200], "stage": stage, "amount": amount or 0,
                      "contacts": [contact]},
            )  # fmt: skip
        except ValidationError as exc:
            raise ValueError(_messages(exc)) from None
    found = _link(actor, found, contact)
    emit("conversation.accepted", actor=actor.user, subject=found,
         data={"contact": contact.pk, "channel": found.channel_id})  # fmt: skip
    return found


def _link(actor: Membership, conversation: Conversation, contact) -> Conversation:
    assignee = actor.user if conversation.assignee_id is None else services.UNCHANGED
    return services.conversation_update(
        actor=actor, conversation=conversation, contact=contact, assignee=assignee
    )


@transaction.atomic
def link(*, actor: Membership, conversation: Conversation, contact) -> Conversation:
    """Link the conversation to a client the actor may see (ValueError otherwise), and
    take it if nobody has it."""
    found = _visible(actor, conversation)
    return _link(actor, found, contact)


@transaction.atomic
def decline(*, actor: Membership, conversation: Conversation) -> BlockedSender:
    """Spam: the conversation is closed and flagged, and its sender blocked on the
    channel (by chat, and by the email and phone they gave)."""
    found = _unsorted(actor, conversation)
    sender = found.sender or {}
    blocked = BlockedSender.objects.create(
        channel_id=found.channel_id,
        external_chat_id=found.external_chat_id,
        email=(sender.get("emails") or [""])[0][:254],
        phone=(e164(sender.get("phones") or ()) or [""])[0][:20],
        name=(sender.get("name") or found.title)[:200],
        blocked_by=actor.user,
    )
    services.conversation_update(actor=actor, conversation=found, status=Conversation.CLOSED)
    Conversation.objects.filter(pk=found.pk).update(is_spam=True, unread=0, waiting_since=None)
    emit("conversation.declined", actor=actor.user, subject=found,
         data={"channel": found.channel_id, "blocked": blocked.pk})  # fmt: skip
    return blocked


@transaction.atomic
def unblock(*, actor: Membership, blocked: BlockedSender) -> None:
    """Take the sender's messages in again (admins); their old conversation stays closed."""
    services.require_admin(actor)
    BlockedSender.objects.filter(pk=blocked.pk).delete()


def blocked_on(channels) -> list[BlockedSender]:
    return list(
        BlockedSender.objects.filter(channel__in=channels)
        .select_related("channel", "blocked_by")
        .order_by("-created_at", "-id")[:200]
    )


# --- ingestion ------------------------------------------------------------------------


def e164(phones) -> list[str]:
    """The phones in E.164, read with the workspace's country (as contacts store them)."""
    if not phones:
        return []
    region = Tenant.objects.values_list("country", flat=True).get(pk=require_tenant_id())
    return [p for p in (normalize.phone_or_none(p, region) for p in phones) if p]


def _blocked(channel: Channel, inbound) -> str | None:
    """A note if the sender of `inbound` is blocked on the channel (one indexed query)."""
    match = Q(external_chat_id=inbound.chat_id) if inbound.chat_id else Q()
    emails = [e.strip().lower() for e in inbound.emails if e.strip()]
    if emails:
        match |= Q(email__in=emails)
    phones = e164(inbound.phones)
    if phones:
        match |= Q(phone__in=phones)
    if not match:
        return None
    found = BlockedSender.objects.filter(channel=channel).filter(match).first()
    if found is None:
        return None
    return f"Kept out: the sender {found} is blocked (message {inbound.external_id})."


def _blocked_many(channel: Channel, inbounds: list) -> list[str | None]:
    """`_blocked` for a batch: one query finds whether any of its senders is blocked; only
    then are those senders' inbounds looked at one by one."""
    chats = {i.chat_id for i in inbounds if i.chat_id}
    emails = {e.strip().lower() for i in inbounds for e in i.emails if e.strip()}
    phones = set(e164([p for i in inbounds for p in i.phones]))
    rows = list(
        BlockedSender.objects.filter(channel=channel)
        .filter(Q(external_chat_id__in=chats) | Q(email__in=emails) | Q(phone__in=phones))
        .values_list("external_chat_id", "email", "phone")
    )
    if not rows:
        return [None] * len(inbounds)
    hit = {v for row in rows for v in row if v}
    return [
        _blocked(channel, i)
        if hit & {i.chat_id, *(e.strip().lower() for e in i.emails), *i.phones} or i.phones
        else None
        for i in inbounds
    ]


_blocked.many = _blocked_many


def _sender(conversation: Conversation, inbound) -> bool:
    """Merge what the sender told about themselves into `conversation.sender`; whether it
    changed."""
    known = conversation.sender or {}
    merged = {
        "name": inbound.sender_name or known.get("name", ""),
        "username": inbound.username or known.get("username", ""),
        "phones": sorted({*known.get("phones", ()), *inbound.phones})[:5],
        "emails": sorted({*known.get("emails", ()), *(e.lower() for e in inbound.emails)})[:5],
    }
    if merged == known:
        return False
    conversation.sender = merged
    return True


def remember_sender(conversation: Conversation, message: Message, inbound) -> None:
    """While no client is linked, keep what the sender told the channel about themselves:
    accepting the request makes the contact from it."""
    if conversation.contact_id is None and _sender(conversation, inbound):
        Conversation.objects.filter(pk=conversation.pk).update(sender=conversation.sender)


def _remember_senders(entries) -> None:
    """`remember_sender` for a batch of (conversation, message, inbound): one UPDATE."""
    changed = {}
    for conversation, _message, inbound in entries:
        if conversation.contact_id is None and _sender(conversation, inbound):
            changed[conversation.pk] = conversation
    if changed:
        update_rows(changed.values(), ["sender"])


remember_sender.many = _remember_senders


def register() -> None:
    ingest.keep_out(_blocked)
    for kind, _label in Message.KINDS:
        ingest.after_store(kind)(remember_sender)
