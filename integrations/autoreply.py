"""Automatic answers, for every channel kind: a first-contact reply, an out-of-hours reply
(outside the channel's working hours, in its time zone), and keyword answers, some of which
hand the conversation to a person. A channel's `AutoReplySettings` say which.

They follow RFC 3834 (§2, §3.1.7): no automatic answer to mail that is itself automatic
(`Auto-Submitted` other than `no`), to `Precedence: bulk / list / junk`, to mailing lists
(`List-*` headers), to bounces (an empty Return-Path), to machine senders (mailer-daemon,
postmaster, noreply, ...) or to the channel's own addresses; and at most one per sender per
channel per day, held by a unique constraint (AutoReplyLog), so racing workers send one. Ours
carry `Auto-Submitted: auto-replied`.

Hooked after an incoming entry is stored (`ingest.after_store`), in the ingesting
transaction: the decision and the day's log row are written there, and the sending is queued
after the commit (the "mail" queue), so a rolled-back ingestion sends nothing. The answer is
kept in the thread as an outgoing message without an author; it neither counts as the
first response nor stops the client's waiting time: a person still owes the answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import zoneinfo
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm import after_commit
from crm.activity.events import emit
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant

from . import channels, ingest, mailparse
from .channels import ChannelError, Inbound
from .models import AutoReplyLog, AutoReplySettings, Conversation, Message

log = logging.getLogger(__name__)

# A batch (a poll's chunk of mail) reads each channel's settings once: {channel id: settings}.
_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar("autoreply", default=None)

FIRST_CONTACT, OUT_OF_HOURS, KEYWORD, HANDOFF = "first", "hours", "keyword", "handoff"
NOT_AUTOMATIC = ("", "no")
BULK = ("bulk", "list", "junk")


def allowed(channel, inbound: Inbound) -> bool:
    """Whether RFC 3834 lets us answer this message automatically at all."""
    meta = inbound.meta or {}
    if meta.get("auto_submitted", "") not in NOT_AUTOMATIC:
        return False
    if meta.get("precedence", "") in BULK or meta.get("list"):
        return False
    if inbound.kind == "email":
        if meta.get("return_path", None) is not None and meta["return_path"].strip() == "<>":
            return False
        sender = (meta.get("from") or "").lower()
        if not sender or mailparse.sender_is_machine(sender):
            return False
        ours = {str(channel.settings.get(k) or "").lower() for k in ("from_address", "imap_user")}
        if sender in ours:
            return False
    return True


def sender_of(inbound: Inbound) -> str:
    if inbound.kind == "email" and inbound.meta.get("from"):
        return inbound.meta["from"].lower()[:254]
    return (inbound.emails[0] if inbound.emails else inbound.chat_id)[:254]


def zone(config: AutoReplySettings) -> zoneinfo.ZoneInfo:
    name = config.time_zone
    if not name:
        name = Tenant.objects.values_list("time_zone", flat=True).get(pk=require_tenant_id())
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def out_of_hours(config: AutoReplySettings, at: datetime) -> bool:
    if config.work_start is None or config.work_end is None:
        return False
    local = at.astimezone(zone(config))
    if str(local.isoweekday()) not in (config.work_days or ""):
        return True
    now = local.time()
    if config.work_start <= config.work_end:
        return not (config.work_start <= now < config.work_end)
    return config.work_end <= now < config.work_start  # a night shift over midnight


def choose(config: AutoReplySettings, conversation, message, inbound) -> tuple[str, str]:
    """(reason, text) of the answer due, or ("", "") for none. A keyword first (the client
    asked something we can answer), then out of hours, then the first contact."""
    words = (inbound.meta.get("reply") or inbound.text or "").lower()
    for rule in config.keywords or ():
        keyword = str(rule.get("keyword") or "").strip().lower()
        if keyword and keyword in words and str(rule.get("answer") or "").strip():
            return (HANDOFF if rule.get("handoff") else KEYWORD), str(rule["answer"]).strip()
    if config.out_of_hours.strip() and out_of_hours(config, inbound.sent_at):
        return OUT_OF_HOURS, config.out_of_hours.strip()
    if config.first_contact.strip():
        # No message before this one (a poll stores a chunk's messages before this runs).
        first = not conversation.messages.filter(pk__lt=message.pk).exists()
        if first:
            return FIRST_CONTACT, config.first_contact.strip()
    return "", ""


def consider(conversation: Conversation, message: Message, inbound: Inbound) -> str:
    """Decide on an automatic answer to a message just stored, and queue it; its reason,
    or "" when none is due."""
    known = _batch.get()
    if known is not None and conversation.channel_id in known:
        config = known[conversation.channel_id]
    else:
        config = AutoReplySettings.objects.filter(channel_id=conversation.channel_id).first()
    if config is None:
        return ""
    channel = conversation.channel
    if not allowed(channel, inbound):
        return ""
    reason, text = choose(config, conversation, message, inbound)
    if not text:
        return ""
    day = inbound.sent_at.astimezone(zone(config)).date()
    try:
        with transaction.atomic():
            AutoReplyLog.objects.create(
                channel_id=conversation.channel_id, sender=sender_of(inbound), day=day,
                reason=reason,
            )  # fmt: skip
    except IntegrityError:
        return ""  # this sender had theirs today
    from .tasks import send_autoreply

    tenant_id, conversation_id = conversation.tenant_id, conversation.pk
    after_commit.send(
        lambda: send_autoreply.delay(tenant_id, conversation_id, text, reason), "an autoreply"
    )
    return reason


@ingest.after_store("email")
@ingest.after_store("message")
def _after_store(conversation, message, inbound) -> None:
    consider(conversation, message, inbound)


def send(conversation_id: int, text: str, reason: str) -> Message | None:
    """Send the answer through the conversation's channel and keep it in the thread (the
    task's body). A refusal keeps it as a failed message, with the reason."""
    conversation = Conversation.objects.select_related("channel").filter(pk=conversation_id).first()
    if conversation is None:
        return None
    channel = conversation.channel
    adapter = channels.get(channel.kind)
    subject = adapter.reply_subject(conversation)
    outgoing = channels.Outgoing(
        chat_id=conversation.external_chat_id, text=text, subject=subject,
        conversation=conversation, auto=True,
    )  # fmt: skip
    meta = {"auto": reason}
    try:
        external_id, status = adapter.send(channel, outgoing), Message.SENT
    except ChannelError as exc:
        log.warning("auto-reply in conversation %s failed: %s", conversation_id, exc)
        external_id, status, meta["error"] = "", Message.FAILED, str(exc)[:500]
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            channel=channel,
            direction=Message.OUT,
            kind="email" if channel.kind == "email" else "message",
            text=text,
            subject=subject[:300],
            status=status,
            external_id=external_id,
            meta=meta,
            created_at=timezone.now(),
        )
        if status == Message.SENT:
            Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
            emit(
                "message.sent",
                actor=None,
                subject=conversation,
                data={"channel": channel.pk, "kind": channel.kind, "message": message.pk,
                      "contact": conversation.contact_id, "text": text[:200]},
            )  # fmt: skip
    return message


def settings_save(*, actor, channel, data: dict) -> AutoReplySettings:
    """Save a channel's automatic answers (an admin's: channels are the managers')."""
    from . import services

    services.require_admin(actor)
    rules = [{"keyword": k, "answer": a, "handoff": False} for k, a in data.get("keywords", ())]
    rules += [{"keyword": k, "answer": a, "handoff": True} for k, a in data.get("handoff", ())]
    values = {
        "first_contact": data.get("first_contact", "").strip(),
        "out_of_hours": data.get("out_of_hours", "").strip(),
        "work_start": data.get("work_start"),
        "work_end": data.get("work_end"),
        "work_days": "".join(sorted(set(data.get("work_days") or ()))),
        "time_zone": data.get("time_zone", ""),
        "keywords": rules,
        "updated_at": timezone.now(),
    }
    with transaction.atomic():
        config, _created = AutoReplySettings.objects.update_or_create(
            channel=channel, defaults=values
        )
    return config


@contextlib.contextmanager
def batch(channel_id: int):
    """Within this block a channel's settings are read once, not once per message."""
    config = AutoReplySettings.objects.filter(channel_id=channel_id).first()
    token = _batch.set({channel_id: config})
    try:
        yield
    finally:
        _batch.reset(token)
