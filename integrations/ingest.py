"""Stored deliveries turned into messages: the ingestion task's body (`process`).

The webhook (receiver.py) has verified the sender and stored the raw payload once per
delivery id. `process` runs in the worker: it normalises the
payload, finds or opens the conversation for the chat, matches the client, and stores the
message once (another unique constraint: a task run twice, or two deliveries carrying one
message, add nothing the second time). A payload it cannot read marks the delivery failed,
with the reason, for the channel's page: never a 500 to the sender, never silently lost.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from contacts import matching
from contacts.models import Contact
from crm.activity.events import emit
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant

from . import channels, files
from .channels import Inbound, StatusUpdate
from .models import Channel, Conversation, Message, RawDelivery

log = logging.getLogger(__name__)


# Steps other modules add after a new incoming entry of a kind is stored (a missed call's
# call-back task, a form's deal): {kind: [fn(conversation, message, inbound)]}. They run in
# the ingesting transaction: one that fails fails the delivery, which is then retryable.
AFTER_STORE: dict[str, list] = {}


def after_store(kind: str):
    def register(fn):
        AFTER_STORE.setdefault(kind, []).append(fn)
        return fn

    return register


# Checks that keep an incoming message out before anything is stored (a blocked sender):
# fn(channel, inbound) -> a note saying why, or None. A message kept out opens no
# conversation; its delivery is marked processed with the note, for the channel's page.
KEEP_OUT: list = []


def keep_out(fn):
    KEEP_OUT.append(fn)
    return fn


def _kept_out(channel: Channel, inbound: Inbound) -> str | None:
    for check in KEEP_OUT:
        note = check(channel, inbound)
        if note:
            return note
    return None


# Kinds whose entries are stored their own way, instead of one new message per inbound: a
# call is one entry that each of its events updates (calls.py). {kind: fn(channel, inbound)
# -> Message | None}; it runs in the ingesting transaction, as `_store` does.
STORERS: dict[str, object] = {}


def stores(kind: str):
    def register(fn):
        STORERS[kind] = fn
        return fn

    return register


# Kinds whose conversation is found from the message itself, not from a chat id the far end
# gives (an email's In-Reply-To and References): {kind: fn(channel, inbound) -> chat id}.
THREADERS: dict = {}


def threader(kind: str):
    def register(fn):
        THREADERS[kind] = fn
        return fn

    return register


def process(delivery_id: int) -> Message | None:
    """Ingest one stored delivery (inside its workspace's scope); the last message it made,
    or None (nothing to make, already made, or failed)."""
    with transaction.atomic():
        delivery = (
            RawDelivery.objects.select_for_update()
            .select_related("channel")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status == RawDelivery.PROCESSED:
            return None
        notes = []
        try:
            with transaction.atomic():  # a failure rolls back this part only
                adapter = channels.get(delivery.channel.kind)
                message = None
                for inbound in adapter.inbounds(delivery.payload):
                    note = _kept_out(delivery.channel, inbound)
                    if note:
                        notes.append(note)
                        continue
                    store = STORERS.get(inbound.kind, _store)
                    message = store(delivery.channel, inbound) or message
                apply_statuses(delivery.channel, adapter.statuses(delivery.payload))
        except (ValueError, KeyError, TypeError, AttributeError, channels.ChannelError) as exc:
            log.warning("delivery %s of channel %s failed: %s", delivery.pk, delivery.channel_id,
                        exc)  # fmt: skip
            delivery.status, delivery.error = RawDelivery.FAILED, str(exc)[:2000] or repr(exc)
            message = None
        else:
            # Processed; a note says what was kept out (a blocked sender's message).
            delivery.status, delivery.error = RawDelivery.PROCESSED, "; ".join(notes)[:2000]
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["status", "error", "processed_at"])
        return message


def process_waiting(channel_id: int, limit: int) -> bool:
    """Ingest the channel's deliveries still waiting, oldest first, at most `limit`; whether
    there may be more. One that raises what `process` does not expect (a database error) is
    marked failed, as `process` marks those it does: it must not stop those behind it in
    every run to come; `retry_failed` queues it again."""
    waiting = list(
        RawDelivery.objects.filter(channel_id=channel_id, status=RawDelivery.RECEIVED)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in waiting:
        try:
            process(delivery_id)
        except Exception as exc:
            log.exception("delivery %s of channel %s failed", delivery_id, channel_id)
            RawDelivery.objects.filter(pk=delivery_id, status=RawDelivery.RECEIVED).update(
                status=RawDelivery.FAILED, error=str(exc)[:2000] or repr(exc),
                processed_at=timezone.now(),
            )  # fmt: skip
    return len(waiting) == limit


def stalled_channels(older_than: int) -> list[int]:
    """The workspace's channels with a delivery still waiting after `older_than` seconds."""
    since = timezone.now() - timedelta(seconds=older_than)
    return list(
        RawDelivery.objects.filter(status=RawDelivery.RECEIVED, received_at__lt=since)
        .values_list("channel_id", flat=True)
        .distinct()
        .order_by()
    )


def match_contact(inbound: Inbound) -> int | None:
    """The client who wrote: by their handle at the channel (the contact's `telegram`
    field, with or without the @), then by a phone or email they shared. The oldest match
    wins, as the duplicate checks take it."""
    if inbound.username:
        handle = inbound.username.lstrip("@")
        first = (
            Contact.objects.filter(Q(telegram__iexact=handle) | Q(telegram__iexact=f"@{handle}"))
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if first is not None:
            return first
    region = "US"  # only phones need the workspace's country (an email matches as it is)
    if inbound.phones:
        region = Tenant.objects.values_list("country", flat=True).get(pk=require_tenant_id())
    keys = matching.keys_for(emails=inbound.emails, phones=inbound.phones, region=region)
    ids = sorted(i for found in matching.match(keys).values() for i in found)
    return ids[0] if ids else None


def _conversation(channel: Channel, inbound: Inbound) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update()
        .filter(channel=channel, external_chat_id=inbound.chat_id)
        .first()
    )
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                channel=channel,
                external_chat_id=inbound.chat_id,
                title=inbound.sender_name,
                last_message_at=inbound.sent_at,  # its client is matched by _store
            )
    except IntegrityError:  # another worker opened it a moment ago
        return Conversation.objects.select_for_update().get(
            channel=channel, external_chat_id=inbound.chat_id
        )


def apply_statuses(channel: Channel, updates: list[StatusUpdate]) -> None:
    """Delivered / read / failed, as the far end reports them, on our sent messages. A
    status never goes back (a late "delivered" after "read" is ignored)."""
    rank = {Message.SENT: 1, Message.DELIVERED: 2, Message.READ: 3, Message.FAILED: 4}
    for update in updates:
        message = (
            Message.objects.select_for_update()
            .filter(channel=channel, external_id=update.external_id, direction=Message.OUT)
            .first()
        )
        if message is None or rank.get(update.status, 0) <= rank.get(message.status, 0):
            continue
        message.status = update.status
        if update.error:
            message.meta = {**message.meta, "error": update.error[:500]}
        message.save(update_fields=["status", "meta"])


def _store(channel: Channel, inbound: Inbound) -> Message | None:
    if inbound.kind in THREADERS:
        inbound = dataclasses.replace(inbound, chat_id=THREADERS[inbound.kind](channel, inbound))
    conversation = _conversation(channel, inbound)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                channel=channel,
                direction=Message.IN,
                kind=inbound.kind,
                text=inbound.text,
                subject=inbound.subject[:300],
                html=files.sanitise(inbound.html) if inbound.html else "",
                meta=inbound.meta,
                external_id=inbound.external_id,
                created_at=inbound.sent_at,
            )
    except IntegrityError:
        return None  # this message is in already: a re-delivery, or a second run
    files.attach(message, inbound.files, channel)
    if conversation.contact_id is None:  # a new conversation, or a sender not known yet
        conversation.contact_id = match_contact(inbound)
    # The row is locked (or new) in this transaction, so its values in memory are current:
    # one UPDATE, and the steps below read the conversation as stored, without a re-read.
    conversation.unread += 1
    conversation.last_message_at = max(conversation.last_message_at, inbound.sent_at)
    # The client writing again reopens a closed or snoozed conversation.
    conversation.status, conversation.snoozed_until = Conversation.OPEN, None
    conversation.waiting_since = conversation.waiting_since or inbound.sent_at
    conversation.save(
        update_fields=["unread", "last_message_at", "contact", "status", "snoozed_until",
                       "waiting_since"]
    )  # fmt: skip
    for step in AFTER_STORE.get(inbound.kind, ()):
        step(conversation, message, inbound)
    emit(
        "message.received",
        actor=None,
        subject=conversation,
        data={"channel": channel.pk, "kind": channel.kind, "message": message.pk,
              "contact": conversation.contact_id, "text": inbound.text[:200]},
        related=_client(conversation.contact_id),
    )  # fmt: skip
    return message


def _client(contact_id: int | None) -> list:
    """The client the message names, so it shows on the client's card (to those who may see
    the conversation: crm.activity.selectors.timeline_for)."""
    return [Contact(pk=contact_id)] if contact_id else []  # emit() reads its type and id


def wake_snoozed() -> int:
    """Open again the snoozed conversations whose time has come; how many."""
    return Conversation.objects.filter(
        status=Conversation.SNOOZED, snoozed_until__lte=timezone.now()
    ).update(status=Conversation.OPEN, snoozed_until=None)
