"""Every write of the inbox made by a person: channels (connect), replies and notes,
reading a conversation. Incoming deliveries are ingest.py's.

Calls to a channel's far end (setWebhook, sendMessage) run outside any transaction: a slow
API never holds a row lock, and what it answered is written after.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import Contact
from contacts.selectors import contacts_for
from crm.accounts.models import Membership
from crm.activity.events import emit

from . import channels, crypto, mentions, receiver, selectors
from . import files as file_store
from .channels import ChannelError
from .models import Channel, Conversation, Message

# The kind of thread entry a reply makes, by channel kind (a chat message unless named).
OUTGOING_KIND = {"email": "email", "sitechat": "chat"}

MAX_TEXT = 4096  # Telegram's limit for one message, and a sane one for a note


def require_admin(actor: Membership) -> None:
    if not actor.role.can_manage_workspace:
        raise PermissionDenied(_("Only those who manage the workspace may change channels."))


def webhook_url(channel: Channel) -> str:
    route = reverse(f"{channel.kind}_webhook", args=[channel.webhook_token])
    return settings.SITE_URL.rstrip("/") + route


def channel_create(
    *, actor: Membership, kind: str, name: str, raw_settings: dict, connect: bool = True
) -> Channel:
    """A new channel, connected at once: its status says whether the far end took the
    webhook (active) or not (error, with the reason in last_error). ValueError for
    settings the adapter cannot use. `connect=False` leaves it pending (the demo's)."""
    require_admin(actor)
    if kind not in channels.ADAPTERS:
        raise ValueError(_("Unknown channel kind: %(kind)s") % {"kind": kind})
    adapter = channels.get(kind)
    public, secret = adapter.clean_settings(raw_settings or {})
    channel = Channel(kind=kind, name=name.strip()[:120] or adapter.label, settings=public)
    channel.secrets = secret
    channel.save()
    return channel_connect(actor=actor, channel=channel) if connect else channel


def channel_connect(*, actor: Membership, channel: Channel) -> Channel:
    """(Re-)register the channel's webhook with its far end and record how it went."""
    require_admin(actor)
    adapter = channels.get(channel.kind)
    try:
        # A polled channel (email) has no webhook to register.
        adapter.connect(channel, webhook_url(channel) if adapter.webhook else "")
    except ChannelError as exc:
        channel.status, channel.last_error = Channel.ERROR, str(exc)[:2000]
    else:
        channel.status, channel.last_error = Channel.ACTIVE, ""
    channel.save(update_fields=["status", "last_error"])
    return channel


def channel_update(
    *, actor: Membership, channel: Channel, name: str = "", raw_settings: dict | None = None
) -> Channel:
    """Rename a channel, or change its settings (a new bot token, another API address):
    those are checked as on creation, kept secrets are kept unless replaced, and the
    channel is connected again. ValueError for settings the adapter cannot use."""
    require_admin(actor)
    fields = []
    if name.strip():
        channel.name = name.strip()[:120]
        fields.append("name")
    if raw_settings is not None:
        adapter = channels.get(channel.kind)
        kept = {k: v for k, v in channel.secrets.items() if k in adapter.secret_fields}
        merged = {**channel.settings, **kept, **{k: v for k, v in raw_settings.items() if v}}
        public, secret = adapter.clean_settings(merged)
        channel.settings = public
        channel.secrets = secret
        fields += ["settings", "secrets_blob"]
    if fields:
        channel.save(update_fields=fields)
    return channel_connect(actor=actor, channel=channel) if raw_settings is not None else channel


def deliveries_retry(*, actor: Membership, channel: Channel) -> int:
    """Queue the channel's failed deliveries for ingestion again (after a fix, say); how
    many. Those that fail again are marked failed again, with the new reason."""
    require_admin(actor)
    return receiver.retry_failed(channel)


def masked_settings(channel: Channel) -> dict:
    """The channel's settings as they may be shown: secrets masked, generated ones left out."""
    adapter = channels.get(channel.kind)
    shown = {k: channel.settings.get(k, "") for k in adapter.public_fields}
    secrets = channel.secrets
    for key in adapter.secret_fields:
        if key != "secret_token" and secrets.get(key):
            shown[key] = crypto.mask(secrets[key])
    # What the admin pastes into the far end's console (Meta's verify token, VK's secret
    # key, and the webhook URL itself), shown in full to those who manage channels.
    for key in adapter.pasted_fields:
        shown[key] = secrets.get(key, "")
    if adapter.pasted_webhook:
        shown["webhook_url"] = webhook_url(channel)
    return shown


def _visible(actor: Membership, conversation: Conversation | int) -> Conversation:
    """The conversation again, through the actor's visibility, locked: a conversation the
    actor cannot see cannot be written to, whoever found it."""
    pk = getattr(conversation, "pk", conversation)
    found = (
        selectors.conversations_for(actor)
        .select_related("channel")
        .select_for_update(of=("self",))
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise PermissionDenied(_("You cannot see this conversation."))
    return found


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError(_("Write a message first."))
    if len(text) > MAX_TEXT:
        raise ValueError(_("A message may be at most %(n)s characters.") % {"n": MAX_TEXT})
    return text


def note_add(*, actor: Membership, conversation: Conversation, text: str) -> Message:
    """An internal note: stored in the thread, never sent to the client. Colleagues it
    @mentions are notified (conversation.note_added); ValueError, storing nothing, when it
    mentions one who cannot open the conversation (mentions.py)."""
    if not actor.can(selectors.OBJECT_TYPE, "create"):
        raise PermissionDenied(_("Your role does not allow this."))
    text = _clean_text(text)
    with transaction.atomic():
        found = _visible(actor, conversation)
        mentioned = mentions.check_note(found, mentions.in_text(text))
        note = Message.objects.create(
            conversation=found,
            channel_id=found.channel_id,
            direction=Message.NOTE,
            text=text,
            meta={"mentions": mentioned} if mentioned else {},
            author=actor.user,
        )
        emit("conversation.note_added", actor=actor.user, subject=found,
             data={"message": note.pk, "mentions": mentioned, "text": text[:200]})  # fmt: skip
        return note


def reply_send(
    *,
    actor: Membership,
    conversation: Conversation,
    text: str,
    files: tuple[channels.File, ...] = (),
    subject: str = "",
    meta: dict | None = None,
) -> Message:
    """Send `text` (and `files`) to the client through the conversation's channel, then
    keep it in the thread with the id the channel gave it (and `meta`). ChannelError if the
    channel refused it (then nothing is stored: the manager sees the error and may send
    again)."""
    if not actor.can(selectors.OBJECT_TYPE, "create"):
        raise PermissionDenied(_("Your role does not allow this."))
    text = text.strip() if files else _clean_text(text)
    with transaction.atomic():
        found = _visible(actor, conversation)  # checked before anything leaves
    channel = found.channel
    subject = subject or channels.get(channel.kind).reply_subject(found)
    outgoing = channels.Outgoing(
        chat_id=found.external_chat_id,
        text=text,
        files=tuple(files),
        subject=subject,
        conversation=found,
    )
    external_id = channels.get(channel.kind).send(channel, outgoing)
    now = timezone.now()
    with transaction.atomic():
        found = _visible(actor, found)
        message = Message.objects.create(
            conversation=found,
            channel_id=found.channel_id,
            direction=Message.OUT,
            kind=OUTGOING_KIND.get(channel.kind, "message"),
            text=text,
            subject=subject[:300],
            status=Message.SENT,
            external_id=external_id,
            meta=meta or {},
            author=actor.user,
            created_at=now,
        )
        file_store.attach(message, tuple(files))
        updates = {"last_message_at": now, "unread": 0, "waiting_since": None}
        if found.first_response_at is None:
            updates["first_response_at"] = now
        if found.assignee_id is None:
            # Whoever answers an unassigned conversation takes it.
            updates["assignee_id"] = actor.user_id
        Conversation.objects.filter(pk=found.pk).update(**updates)
        emit(
            "message.sent",
            actor=actor.user,
            subject=found,
            data={"channel": channel.pk, "kind": channel.kind, "message": message.pk,
                  "contact": found.contact_id, "text": text[:200]},
            # On the client's card too (emit() reads only the related record's type and id).
            related=[Contact(pk=found.contact_id)] if found.contact_id else [],
        )  # fmt: skip
    return message


def email_start(
    *, actor: Membership, channel: Channel, contact, address: str, subject: str, text: str,
    meta: dict | None = None,
) -> Message:  # fmt: skip
    """A first email to a client's address through an email channel (a rule's email), kept
    as a new conversation with the client whose thread is the email's Message-ID, so the
    client's answer lands in it. ChannelError if the server refused it (nothing stored)."""
    if not actor.can(selectors.OBJECT_TYPE, "create"):
        raise PermissionDenied(_("Your role does not allow this."))
    text = _clean_text(text)
    outgoing = channels.Outgoing(chat_id="", text=text, subject=subject, to=address)
    external_id = channels.get(channel.kind).send(channel, outgoing)
    now = timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            channel=channel, contact=contact, external_chat_id=external_id[:100],
            title=subject[:200] or address, last_message_at=now, first_response_at=now,
        )  # fmt: skip
        message = Message.objects.create(
            conversation=conversation, channel_id=channel.pk, direction=Message.OUT,
            kind=OUTGOING_KIND.get(channel.kind, "message"), text=text, subject=subject[:300],
            status=Message.SENT, external_id=external_id, meta={"to": address, **(meta or {})},
            author=actor.user, created_at=now,
        )  # fmt: skip
        emit(
            "message.sent", actor=actor.user, subject=conversation,
            data={"channel": channel.pk, "kind": channel.kind, "message": message.pk,
                  "contact": contact.pk if contact else None, "text": text[:200]},
            related=[Contact(pk=contact.pk)] if contact else [],
        )  # fmt: skip
    return message


UNCHANGED = object()


def conversation_update(
    *,
    actor: Membership,
    conversation: Conversation,
    status: str = "",
    assignee=UNCHANGED,
    contact=UNCHANGED,
    snoozed_until=None,
) -> Conversation:
    """Close, snooze (until `snoozed_until`, a datetime; without it, until the client
    writes) or reopen a conversation, (re)assign it: to an active member of the workspace
    (a User), or to nobody (None), and link it to a client the actor may see (a Contact or
    its id; None unlinks). Emits conversation.closed and conversation.assigned.
    ValueError for a status, an assignee or a client that cannot be."""
    if not actor.can(selectors.OBJECT_TYPE, "edit"):
        raise PermissionDenied(_("Your role does not allow this."))
    if status and status not in dict(Conversation.STATUSES):
        raise ValueError(_("Unknown status: %(status)s") % {"status": status})
    with transaction.atomic():
        found = _visible(actor, conversation)
        fields = []
        if status == Conversation.SNOOZED and snoozed_until is not None:
            if snoozed_until <= timezone.now():
                raise ValueError(_("Choose a time in the future."))
            found.snoozed_until = snoozed_until
            fields.append("snoozed_until")
        if status and status != found.status:
            found.status = status
            fields.append("status")
            if status != Conversation.SNOOZED and found.snoozed_until is not None:
                found.snoozed_until = None
                fields.append("snoozed_until")
            found.closed_at = timezone.now() if status == Conversation.CLOSED else None
            fields.append("closed_at")
            if status == Conversation.CLOSED:
                emit("conversation.closed", actor=actor.user, subject=found,
                     data={"channel": found.channel_id, "contact": found.contact_id})  # fmt: skip
        if assignee is not UNCHANGED:
            user_id = getattr(assignee, "pk", assignee)
            if (
                user_id is not None
                and not Membership.objects.filter(user_id=user_id, is_active=True).exists()
            ):
                raise ValueError(_("Choose an active member of the workspace."))
            if user_id != found.assignee_id:
                emit("conversation.assigned", actor=actor.user, subject=found,
                     data={"assignee": user_id, "previous": found.assignee_id})  # fmt: skip
                found.assignee_id = user_id
                fields.append("assignee")
        if contact is not UNCHANGED:
            contact_id = getattr(contact, "pk", contact)
            if contact_id is not None and not contacts_for(actor).filter(pk=contact_id).exists():
                raise ValueError(_("Choose a client you can see."))
            if contact_id != found.contact_id:
                found.contact_id = contact_id
                fields.append("contact")
        if fields:
            found.save(update_fields=fields)
        return found


def mark_read(*, actor: Membership, conversation: Conversation) -> None:
    if conversation.unread:
        selectors.conversations_for(actor).filter(pk=conversation.pk).update(unread=0)
        conversation.unread = 0
