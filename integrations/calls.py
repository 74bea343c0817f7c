"""Phone calls in the inbox, whatever the PBX: one thread entry per call, updated as the
call's events arrive, and the call-back task for a missed one.

A telephony adapter (channels/twilio.py, channels/zadarma.py, channels/pbx.py) reads each
delivery into an `Inbound` of kind "call" whose `meta` is a `call_event(...)`: the call's id
at the PBX (`external_id`), which event it is (started, answered, ended, recorded), the
direction, the numbers, the duration, whether it was answered, and the recording (a
`File` by reference, fetched in the worker). Each event is a delivery of its own (its id:
the call id and the event), so a re-sent event is stored once; `store` then applies it to
the call's one entry (`Message` of kind "call", external id = the call id), creating the
entry with the first event that arrives, whichever it is.

Applying an event twice changes nothing: the entry remembers the events it has had
(`meta["events"]`), the end is applied once (so the call-back task and `call.ended` /
`call.missed` happen once), and the entry's row is locked while an event is applied, so two
events of one call arriving at once are applied one after the other.

The conversation is the client's number (`chat_id`: E.164, read with the workspace's
country), so every call with a client lands in one conversation, linked to the client by
that phone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import phonenumbers
import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contacts.models import Contact
from crm.accounts.models import Membership
from crm.activity import services as activity
from crm.activity.events import emit
from crm.activity.models import Task
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant

from . import files, ingest
from .channels import ChannelError, Inbound
from .models import Channel, Conversation, Message

STARTED, ANSWERED, ENDED, RECORDED = "started", "answered", "ended", "recorded"
EVENTS = (STARTED, ANSWERED, ENDED, RECORDED)
IN, OUT = "in", "out"

# What the entry says of the call (meta["status"]).
RINGING, TALKING = "ringing", "in_progress"
ANSWERED_CALL, MISSED, NOT_ANSWERED = "answered", "missed", "not_answered"
FINAL = (ANSWERED_CALL, MISSED, NOT_ANSWERED)

# The channel setting naming who gets call-back tasks for callers nobody owns.
QUEUE_SETTING = "callback_to"
UNASSIGNED = ""


def call_event(
    event: str,
    *,
    direction: str,
    caller: str = "",
    called: str = "",
    duration: int | None = None,
    answered: bool | None = None,
    provider_status: str = "",
) -> dict:
    """The `meta` of a call's Inbound, as every telephony adapter fills it."""
    if event not in EVENTS:
        raise ValueError(f"unknown call event {event!r}")
    if direction not in (IN, OUT):
        raise ValueError(f"unknown call direction {direction!r}")
    return {
        "event": event,
        "direction": direction,
        "from": str(caller or "")[:40],
        "to": str(called or "")[:40],
        "duration": max(int(duration), 0) if duration is not None else None,
        "answered": answered,
        "provider_status": str(provider_status or "")[:40],
    }


def as_int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def e164(number: str, region: str) -> str:
    """The number in E.164 (read with the workspace's country when it has no country
    code), or as the PBX gave it when it is not a phone (an extension, "anonymous")."""
    raw = (number or "").strip()
    try:
        parsed = phonenumbers.parse(raw, region or "US")
    except phonenumbers.NumberParseException:
        return raw[:40] or "unknown"
    if not phonenumbers.is_possible_number(parsed):
        return raw[:40] or "unknown"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mmss(seconds) -> str:
    seconds = as_int(seconds) or 0
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def download(url: str, *, auth=None, headers=None, params=None) -> bytes:
    """A recording's bytes, with the channels' timeout and the inbox's size limit enforced
    while reading (a huge file is never held whole). ChannelError if it cannot be had,
    ValueError if it is too large: either fails the delivery, which stays retryable."""
    limit = settings.INBOX_MAX_FILE_BYTES
    try:
        with requests.get(
            url,
            auth=auth,
            headers=headers,
            params=params,
            stream=True,
            timeout=settings.INTEGRATIONS_HTTP_TIMEOUT,
        ) as response:
            if response.status_code != 200:
                raise ChannelError(
                    _("The recording could not be downloaded (%(status)s).")
                    % {"status": response.status_code}
                )
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise ValueError(f"the recording has more than the limit of {limit} bytes")
            return bytes(data)
    except requests.RequestException as exc:
        raise ChannelError(
            _("The recording could not be downloaded (%(error)s).") % {"error": type(exc).__name__}
        ) from None


# --- storing: one entry per call ----------------------------------------------------------


def _region() -> str:
    return Tenant.objects.values_list("country", flat=True).get(pk=require_tenant_id()) or "US"


@ingest.stores("call")
def store(channel: Channel, inbound: Inbound) -> Message | None:
    """Apply one call event to the call's entry (creating it with the first event); the
    entry, or None when the event was applied before."""
    event = dict(inbound.meta)
    if event.get("event") not in EVENTS:
        raise ValueError("a call delivery without a known event")
    message = _locked(channel, inbound.external_id)
    if message is None:
        if event["event"] == RECORDED and not (event.get("from") or event.get("to")):
            # A recording before any other event of its call (its numbers are unknown yet):
            # failed for now, retried once the call's other events are in.
            raise ValueError("a recording for a call this channel has not seen yet")
        message = _create(channel, inbound, event)
        if message is None:  # another worker created it a moment ago
            message = _locked(channel, inbound.external_id)
    return _apply(channel, message, inbound, event)


def _locked(channel: Channel, call_id: str) -> Message | None:
    return (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .filter(channel=channel, external_id=call_id, kind="call")
        .first()
    )


def _create(channel: Channel, inbound: Inbound, event: dict) -> Message | None:
    region = _region()
    direction = event["direction"]
    caller, called = e164(event["from"], region), e164(event["to"], region)
    client = caller if direction == IN else called
    found = dataclasses.replace(inbound, chat_id=client, phones=(client,),
                                sender_name=_shown(client))  # fmt: skip
    conversation = ingest._conversation(channel, found)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                channel=channel,
                direction=Message.IN if direction == IN else Message.OUT,
                kind="call",
                text="",
                meta={"direction": direction, "from": caller, "to": called, "status": RINGING,
                      "duration": 0, "events": []},
                external_id=inbound.external_id,
                created_at=inbound.sent_at,
            )  # fmt: skip
    except IntegrityError:
        return None
    if conversation.contact_id is None:
        conversation.contact_id = ingest.match_contact(found)
    updates = {
        "last_message_at": max(conversation.last_message_at, inbound.sent_at),
        "contact_id": conversation.contact_id,
    }
    if direction == IN:
        # A client calling is a client writing: the conversation opens, and is unread.
        updates.update(unread=F("unread") + 1, status=Conversation.OPEN, snoozed_until=None)
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    conversation.refresh_from_db()
    message.conversation = conversation
    return message


def _apply(channel: Channel, message: Message, inbound: Inbound, event: dict) -> Message | None:
    meta = dict(message.meta)
    name = event["event"]
    key = name if name != RECORDED else f"{RECORDED}:{','.join(f.ref for f in inbound.files)}"
    if key in meta["events"] or (name != RECORDED and name in meta["events"]):
        return None  # applied before: a re-run, or a second delivery of the same event
    meta["events"] = [*meta["events"], key]
    if event.get("duration") is not None:
        meta["duration"] = event["duration"]
    if event.get("provider_status"):
        meta["provider_status"] = event["provider_status"]
    if name == STARTED and meta["status"] not in FINAL:
        meta["status"] = RINGING
    elif name == ANSWERED and meta["status"] not in FINAL:
        meta["status"] = TALKING
    attached = None
    if inbound.files:  # a recording: downloaded now, kept in our storage
        files.attach(message, inbound.files, channel)
        attached = message.attachments.order_by("-id").first()
        meta["recording"] = attached.pk
    just_ended = name == ENDED and ENDED not in message.meta["events"]
    if just_ended:
        answered = event.get("answered")
        if answered is None:  # the PBX did not say: answered if it was picked up
            answered = meta["status"] == TALKING
        if answered:
            meta["status"] = ANSWERED_CALL
        else:
            meta["status"] = MISSED if meta["direction"] == IN else NOT_ANSWERED
    message.meta = meta
    message.save(update_fields=["meta"])
    conversation = message.conversation
    if just_ended:
        if meta["status"] == MISSED:
            _missed(channel, conversation, message)
        _ended(channel, conversation, message)
    elif attached is not None and ENDED in meta["events"]:
        _recorded(channel, conversation, message, attached)
    return message


# --- what an ended call leads to ---------------------------------------------------------


def audio_url(attachment_id) -> str:
    return reverse("inbox_attachment", args=[attachment_id]) if attachment_id else ""


def _summary(message: Message) -> str:
    """Who called whom and for how long, in no language: the card shows it under the
    event's (translated) label."""
    meta = message.meta
    return f"{_shown(meta['from'])} → {_shown(meta['to'])} · {mmss(meta.get('duration'))}"


def _related(conversation: Conversation) -> list:
    return [Contact(pk=conversation.contact_id)] if conversation.contact_id else []


def _ended(channel: Channel, conversation: Conversation, message: Message) -> None:
    meta = message.meta
    emit(
        "call.ended",
        actor=None,
        subject=conversation,
        data={"channel": channel.pk, "message": message.pk, "contact": conversation.contact_id,
              "direction": meta["direction"], "from": meta["from"], "to": meta["to"],
              "duration": meta.get("duration") or 0, "answered": meta["status"] == ANSWERED_CALL,
              "text": _summary(message), "audio": audio_url(meta.get("recording"))},
        related=_related(conversation),
    )  # fmt: skip


def _recorded(channel, conversation, message, attachment) -> None:
    """A recording that came after its call's end: on the client's card too."""
    emit(
        "call.recorded",
        actor=None,
        subject=conversation,
        data={"channel": channel.pk, "message": message.pk, "contact": conversation.contact_id,
              "text": _summary(message), "audio": audio_url(attachment.pk)},
        related=_related(conversation),
    )  # fmt: skip


def callback_assignee(channel: Channel, conversation: Conversation) -> Membership | None:
    """Who calls a missed caller back: the client's owner, else the conversation's
    assignee, else the member the channel names for its queue; failing all of them (a
    queue left "unassigned" and an unknown caller), the workspace's longest-standing admin,
    so a missed call never goes without someone to return it. Active members only."""
    active = Membership.objects.filter(is_active=True).select_related("role", "user", "tenant")
    candidates = []
    if conversation.contact_id:
        owner = Contact.objects.filter(pk=conversation.contact_id).values_list("owner", flat=True)
        candidates.append(owner.first())
    candidates += [conversation.assignee_id, as_int(channel.settings.get(QUEUE_SETTING))]
    for user_id in candidates:
        if user_id:
            found = active.filter(user_id=user_id).first()
            if found is not None:
                return found
    return active.filter(role__can_manage_workspace=True).order_by("joined_at", "pk").first()


def _missed(channel: Channel, conversation: Conversation, message: Message) -> None:
    """The call-back task (once: the end is applied once per call) and `call.missed`."""
    meta = message.meta
    assignee = callback_assignee(channel, conversation)
    task = None
    if assignee is not None:
        # The task is the assignee's own; made through the tasks service (its event, its
        # reminder, My day and the calendar), by a member allowed to make tasks.
        actor = assignee if assignee.can("task", "create") else _an_admin() or assignee
        tenant = actor.tenant
        zone = zoneinfo.ZoneInfo(assignee.user.time_zone or tenant.time_zone or "UTC")
        with translation.override(assignee.user.language or tenant.language or "en"):
            title = _("Call back %(number)s") % {"number": _shown(meta["from"])}
            notes = _("Missed call at %(when)s on %(channel)s.") % {
                "when": timezone.localtime(message.created_at, zone).strftime("%Y-%m-%d %H:%M"),
                "channel": channel.name,
            }
        contact = Contact.objects.filter(pk=conversation.contact_id).first()
        task = activity.task_create(
            actor=actor,
            title=title[:200],
            kind=Task.CALL,
            due_at=timezone.now() + dt.timedelta(minutes=15),
            duration_minutes=15,
            assignee=assignee.user,
            subject=contact,
            notes=notes,
        )
        message.meta = {**meta, "task": task.pk}
        message.save(update_fields=["meta"])
    # The client waits for us to call back: the response-time clock runs.
    Conversation.objects.filter(pk=conversation.pk).update(
        waiting_since=Coalesce(F("waiting_since"), Value(message.created_at))
    )
    emit(
        "call.missed",
        actor=None,
        subject=conversation,
        data={"channel": channel.pk, "message": message.pk, "contact": conversation.contact_id,
              "from": meta["from"], "to": meta["to"], "task": task.pk if task else None,
              "assignee": assignee.user_id if assignee else None, "text": _summary(message)},
        related=_related(conversation),
    )  # fmt: skip


def _an_admin() -> Membership | None:
    return (
        Membership.objects.filter(is_active=True, role__can_manage_workspace=True)
        .select_related("role", "user", "tenant")
        .order_by("joined_at", "pk")
        .first()
    )


def _shown(number: str) -> str:
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return number


# --- what telephony adapters share ---------------------------------------------------------


def queue_field():
    """The channel setting naming who returns missed calls from callers nobody owns."""
    from django import forms

    members = Membership.objects.filter(is_active=True).select_related("user").order_by("joined_at")
    choices = [(UNASSIGNED, _("Unassigned (the workspace's first admin)"))]
    choices += [(str(m.user_id), m.user.display_name) for m in members]
    return forms.ChoiceField(
        label=_("Call-back tasks for unknown callers go to"),
        choices=choices,
        required=False,
        help_text=_("A client's missed call goes to their owner, else to the conversation's "
                    "assignee, else here."),
    )  # fmt: skip


def clean_queue(raw: dict) -> str:
    value = str(raw.get(QUEUE_SETTING) or "").strip()
    if not value:
        return UNASSIGNED
    user_id = as_int(value)
    if user_id is None or not Membership.objects.filter(user_id=user_id, is_active=True).exists():
        raise ValueError(_("Choose an active member of the workspace for call-back tasks."))
    return str(user_id)


def clean_base_url(raw: dict, default: str) -> str:
    from urllib.parse import urlsplit

    base = str(raw.get("api_base_url") or "").strip().rstrip("/") or default
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(_("The API address must be an http(s) URL."))
    return base


# --- click-to-call -----------------------------------------------------------------------


def dialing_channels():
    """The channels that can place a call (their adapter dials) and are connected."""
    from . import channels

    kinds = [k for k, a in channels.ADAPTERS.items() if getattr(a, "can_dial", False)]
    return Channel.objects.filter(kind__in=kinds, status=Channel.ACTIVE).order_by("name", "id")


def dial(*, actor: Membership, channel: Channel, record, number: str, agent: str) -> str:
    """Ask the channel's PBX to ring `agent` (the manager's phone or extension) and then
    `number`, one of the phones of `record` (a contact or company the actor found through
    its selector). The PBX's call id ("" when it names none); its events follow through the
    webhook like any call's. ValueError for a number or agent that cannot be, ChannelError
    when the PBX refuses."""
    from django.core.exceptions import PermissionDenied

    from . import channels, selectors, services

    if not actor.can(selectors.OBJECT_TYPE, "create"):
        raise PermissionDenied(_("Your role does not allow this."))
    if number not in (record.phones or []):
        raise ValueError(_("Choose one of the client's phones."))
    agent = (agent or "").strip()
    if not agent or len(agent) > 40 or not all(c.isalnum() or c in "+-_.@ " for c in agent):
        raise ValueError(_("Enter your phone number or extension."))
    adapter = channels.get(channel.kind)
    return adapter.dial(channel, agent=agent, client=number,
                        webhook_url=services.webhook_url(channel))  # fmt: skip


def register() -> None:
    """From IntegrationsConfig.ready(): the telephony adapters, "Call via <channel>" on
    clients' cards (crm.web.dialers) and the demo's calls (after the inbox's own demo).
    Importing this module registered its ingest path."""
    from crm.accounts import demo as demo_data
    from crm.web import dialers

    from . import call_views, calls_demo
    from .channels import pbx, twilio, zadarma  # noqa: F401  each registers its adapter

    dialers.register(call_views.dialers_for)
    demo_data.register(calls_demo.seed, order=44)
