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
from crm.activity.events import emit, emit_each
from crm.tenancy.bulk import update_rows
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


# A step may also take a whole batch at once (`process_many`): `fn.many(entries)` with
# entries [(conversation, message, inbound)] in order; without it, fn runs on each in turn.
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
    return _kept_out_many(channel, [inbound])[0]


def _kept_out_many(channel: Channel, inbounds: list[Inbound]) -> list[str | None]:
    """The note keeping each inbound out, or None; a check with a `many(channel, inbounds)`
    variant answers for the whole batch at once."""
    notes: list[str | None] = [None] * len(inbounds)
    for check in KEEP_OUT:
        waiting = [i for i, note in enumerate(notes) if not note]
        if not waiting:
            break
        found = _answers(check, channel, [inbounds[i] for i in waiting])
        for i, note in zip(waiting, found, strict=True):
            notes[i] = note or None
    return notes


def _answers(fn, channel: Channel, inbounds: list[Inbound]) -> list:
    """What fn(channel, inbound) answers for each inbound: through its batch variant
    `fn.many(channel, inbounds)` when it has one."""
    many = getattr(fn, "many", None)
    return list(many(channel, inbounds)) if many else [fn(channel, i) for i in inbounds]


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
# gives (an email's In-Reply-To and References): {kind: fn(channel, inbound) -> chat id}. A
# batch variant `fn.many(channel, inbounds) -> chat ids` threads a batch in order, each
# inbound seeing the ones before it as stored.
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
            message = _message(channel, conversation, inbound)
            message.save()
    except IntegrityError:
        return None  # this message is in already: a re-delivery, or a second run
    files.attach(message, inbound.files, channel)
    if conversation.contact_id is None:  # a new conversation, or a sender not known yet
        conversation.contact_id = match_contact(inbound)
    # The row is locked (or new) in this transaction, so its values in memory are current:
    # one UPDATE, and the steps below read the conversation as stored, without a re-read.
    _touch(conversation, inbound)
    conversation.save(update_fields=TOUCHED)
    for step in AFTER_STORE.get(inbound.kind, ()):
        step(conversation, message, inbound)
    emit("message.received", actor=None, **_received(channel, conversation, message, inbound))
    return message


TOUCHED = ["unread", "last_message_at", "contact", "status", "snoozed_until", "waiting_since"]


def _message(channel: Channel, conversation: Conversation, inbound: Inbound) -> Message:
    """The stored form of an incoming message (unsaved)."""
    return Message(
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


def _touch(conversation: Conversation, inbound: Inbound) -> None:
    """A conversation's fields after a message of it came in (the TOUCHED ones)."""
    conversation.unread += 1
    conversation.last_message_at = max(conversation.last_message_at, inbound.sent_at)
    # The client writing again reopens a closed or snoozed conversation.
    conversation.status, conversation.snoozed_until = Conversation.OPEN, None
    conversation.waiting_since = conversation.waiting_since or inbound.sent_at


def _received(channel: Channel, conversation: Conversation, message: Message, inbound) -> dict:
    """The `message.received` event's subject, data and related records."""
    return {
        "subject": conversation,
        "data": {"channel": channel.pk, "kind": channel.kind, "message": message.pk,
                 "contact": conversation.contact_id, "text": inbound.text[:200]},
        "related": _client(conversation.contact_id),
    }  # fmt: skip


def _client(contact_id: int | None) -> list:
    """The client the message names, so it shows on the client's card (to those who may see
    the conversation: crm.activity.selectors.timeline_for)."""
    return [Contact(pk=contact_id)] if contact_id else []  # emit() reads its type and id


def wake_snoozed() -> int:
    """Open again the snoozed conversations whose time has come; how many."""
    return Conversation.objects.filter(
        status=Conversation.SNOOZED, snoozed_until__lte=timezone.now()
    ).update(status=Conversation.OPEN, snoozed_until=None)


# --- a batch of deliveries at once (a mail poll's chunk) --------------------------------


class _OneByOne(Exception):
    """The batch cannot be taken in at once: each delivery goes through `process`."""


FAILURES = (ValueError, KeyError, TypeError, AttributeError, channels.ChannelError)


def process_many(delivery_ids: list[int]) -> int:
    """Ingest stored deliveries of one channel together, in their order: what `process` on
    each in turn would do, with a few statements for the whole batch instead of a dozen per
    message. How many of them made a message. A delivery that cannot be read fails alone;
    a batch that cannot be stored at once (a storer kind, statuses, a file refused, a
    message another worker stored a moment ago) goes through `process` one by one."""
    with transaction.atomic():
        deliveries = {
            d.pk: d
            for d in RawDelivery.objects.select_for_update()
            .select_related("channel")
            .filter(pk__in=delivery_ids, status=RawDelivery.RECEIVED)
            .order_by("pk")
        }
        deliveries = [deliveries[i] for i in dict.fromkeys(delivery_ids) if i in deliveries]
        if not deliveries:
            return 0
        try:
            with transaction.atomic():  # a batch that fails rolls back this part only
                return _ingest_batch(deliveries)
        except (_OneByOne, IntegrityError, *FAILURES) as exc:
            log.info("batch of %s deliveries taken one by one: %r", len(deliveries), exc)
        return sum(process(d.pk) is not None for d in deliveries)


def _ingest_batch(deliveries: list[RawDelivery]) -> int:
    channel = deliveries[0].channel
    if any(d.channel_id != channel.pk for d in deliveries):
        raise _OneByOne("several channels")
    adapter = channels.get(channel.kind)
    read: list[tuple[RawDelivery, Inbound]] = []
    for delivery in deliveries:
        try:
            inbounds = adapter.inbounds(delivery.payload)
            if adapter.statuses(delivery.payload):
                raise _OneByOne("status updates")
        except FAILURES as exc:
            log.warning("delivery %s of channel %s failed: %s", delivery.pk, channel.pk, exc)
            delivery.status, delivery.error = RawDelivery.FAILED, str(exc)[:2000] or repr(exc)
            continue
        if any(inbound.kind in STORERS for inbound in inbounds):
            raise _OneByOne("a kind stored its own way")
        read += [(delivery, inbound) for inbound in inbounds]
    notes: dict[int, list[str]] = {}
    taken = []
    for (delivery, inbound), note in zip(
        read, _kept_out_many(channel, [i for _d, i in read]), strict=True
    ):
        if note:
            notes.setdefault(delivery.pk, []).append(note)
        else:
            taken.append((delivery, inbound))
    stored = _store_many(channel, [i for _d, i in taken])
    made = {d.pk for (d, _i), message in zip(taken, stored, strict=True) if message}
    now = timezone.now()
    for delivery in deliveries:
        if delivery.status != RawDelivery.FAILED:
            delivery.status = RawDelivery.PROCESSED
            delivery.error = "; ".join(notes.get(delivery.pk, ()))[:2000]
        delivery.processed_at = now
    update_rows(deliveries, ["status", "error", "processed_at"])
    return len(made)


def _store_many(channel: Channel, inbounds: list[Inbound]) -> list[Message | None]:
    """`_store` for a batch, in order: the message each inbound made, None for one already
    stored (or stored earlier in the batch)."""
    inbounds = _threaded(channel, inbounds)
    known = set(
        Message.objects.filter(
            channel=channel, external_id__in={i.external_id for i in inbounds}
        ).values_list("external_id", flat=True)
    )
    fresh = []
    for inbound in inbounds:
        if inbound.external_id not in known:
            known.add(inbound.external_id)
            fresh.append(inbound)
    if not fresh:
        return [None] * len(inbounds)
    conversations = _conversations(channel, fresh)
    # A message another worker stores meanwhile raises IntegrityError: one by one, then.
    messages = Message.objects.bulk_create(
        [_message(channel, conversations[i.chat_id], i) for i in fresh]
    )
    for message, inbound in zip(messages, fresh, strict=True):
        if inbound.files:
            files.attach(message, inbound.files, channel)
    unmatched = [i for i in fresh if conversations[i.chat_id].contact_id is None]
    matched = dict(zip(map(id, unmatched), match_contacts(unmatched), strict=True))
    for inbound in fresh:
        conversation = conversations[inbound.chat_id]
        if conversation.contact_id is None:
            conversation.contact_id = matched[id(inbound)]
        _touch(conversation, inbound)
    update_rows(conversations.values(), TOUCHED)
    entries = [(conversations[i.chat_id], m, i) for m, i in zip(messages, fresh, strict=True)]
    for kind in dict.fromkeys(i.kind for i in fresh):
        of_kind = [e for e in entries if e[2].kind == kind]
        for step in AFTER_STORE.get(kind, ()):
            many = getattr(step, "many", None)
            if many:
                many(of_kind)
            else:
                for entry in of_kind:
                    step(*entry)
    emit_each(
        "message.received",
        actor=None,
        items=[tuple(_received(channel, c, m, i).values()) for c, m, i in entries],
    )
    by_key = {m.external_id: m for m in messages}
    return [by_key.pop(i.external_id, None) for i in inbounds]


def _threaded(channel: Channel, inbounds: list[Inbound]) -> list[Inbound]:
    """The inbounds with the chat ids their kinds' threaders give."""
    out = list(inbounds)
    for kind, threader in THREADERS.items():
        at = [n for n, i in enumerate(out) if i.kind == kind]
        if not at:
            continue
        chats = _answers(threader, channel, [out[n] for n in at])
        for n, chat in zip(at, chats, strict=True):
            out[n] = dataclasses.replace(out[n], chat_id=chat)
    return out


def _conversations(channel: Channel, inbounds: list[Inbound]) -> dict[str, Conversation]:
    """{chat id: its conversation, locked}, opening the missing ones (each titled by the
    first inbound of its chat)."""

    def locked(chats):
        return {
            c.external_chat_id: c
            for c in Conversation.objects.select_for_update().filter(
                channel=channel, external_chat_id__in=chats
            )
        }

    firsts = {}
    for inbound in inbounds:
        firsts.setdefault(inbound.chat_id, inbound)
    found = locked(list(firsts))
    missing = [i for chat, i in firsts.items() if chat not in found]
    if missing:
        # Another worker may open one of them a moment before: its row is taken as it is.
        Conversation.objects.bulk_create(
            [
                Conversation(channel=channel, external_chat_id=i.chat_id, title=i.sender_name,
                             last_message_at=i.sent_at)
                for i in missing
            ],
            ignore_conflicts=True,
        )  # fmt: skip
        found |= locked([i.chat_id for i in missing])
    for conversation in found.values():
        conversation.channel = channel  # the steps after storing read it
    return found


def match_contacts(inbounds: list[Inbound]) -> list[int | None]:
    """`match_contact` for a batch: one query for all their emails and phones."""
    if not inbounds:
        return []
    region = "US"
    if any(i.phones for i in inbounds):
        region = Tenant.objects.values_list("country", flat=True).get(pk=require_tenant_id())
    keys = [matching.keys_for(emails=i.emails, phones=i.phones, region=region) for i in inbounds]
    found = matching.match(k for ks in keys for k in ks)
    out = []
    for inbound, own in zip(inbounds, keys, strict=True):
        if inbound.username:  # a handle first, as match_contact does
            out.append(match_contact(inbound))
            continue
        ids = sorted(i for k in own for i in found.get(k, ()))
        out.append(ids[0] if ids else None)
    return out
