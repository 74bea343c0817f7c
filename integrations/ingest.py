"""Stored deliveries turned into messages: the ingestion task's body (`process`).

The webhook (receiver.py) has verified the sender and stored the raw payload once per
delivery id. `process` runs in the worker: it normalises the
payload, finds or opens the conversation for the chat, matches the client, and stores the
message once (another unique constraint: a task run twice, or two deliveries carrying one
message, add nothing the second time). A payload it cannot read marks the delivery failed,
with the reason, for the channel's page: never a 500 to the sender, never silently lost.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from contacts import matching
from contacts.models import Contact
from crm.activity.events import emit
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant

from . import channels
from .channels import Inbound
from .models import Channel, Conversation, Message, RawDelivery

log = logging.getLogger(__name__)


def process(delivery_id: int) -> Message | None:
    """Ingest one stored delivery (inside its workspace's scope); the message it made, or
    None (nothing to make, already made, or failed)."""
    with transaction.atomic():
        delivery = (
            RawDelivery.objects.select_for_update()
            .select_related("channel")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status == RawDelivery.PROCESSED:
            return None
        try:
            with transaction.atomic():  # a failure rolls back this part only
                inbound = channels.get(delivery.channel.kind).normalise(delivery.payload)
                message = _store(delivery.channel, inbound) if inbound else None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("delivery %s of channel %s failed: %s", delivery.pk, delivery.channel_id,
                        exc)  # fmt: skip
            delivery.status, delivery.error = RawDelivery.FAILED, str(exc)[:2000] or repr(exc)
            message = None
        else:
            delivery.status, delivery.error = RawDelivery.PROCESSED, ""
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["status", "error", "processed_at"])
        return message


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


def _store(channel: Channel, inbound: Inbound) -> Message | None:
    conversation = _conversation(channel, inbound)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                channel=channel,
                direction=Message.IN,
                text=inbound.text,
                external_id=inbound.external_id,
                created_at=inbound.sent_at,
            )
    except IntegrityError:
        return None  # this message is in already: a re-delivery, or a second run
    if conversation.contact_id is None:  # a new conversation, or a sender not known yet
        conversation.contact_id = match_contact(inbound)
    Conversation.objects.filter(pk=conversation.pk).update(
        unread=F("unread") + 1,
        last_message_at=max(conversation.last_message_at, inbound.sent_at),
        contact_id=conversation.contact_id,
        # The client writing again reopens a closed or snoozed conversation.
        status=Conversation.OPEN,
    )
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
