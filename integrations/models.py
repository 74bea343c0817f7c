"""Channels, their conversations and messages, and the raw deliveries they came from.

Idempotency lives in the database: a raw delivery is unique per channel and external id (a
re-sent webhook is stored once), and so is a message (a re-run ingestion adds nothing).
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import TenantModel

from . import crypto


def new_webhook_token() -> str:
    """`<workspace id>_<random>`: the receiver looks the channel up inside the workspace the
    token names (as API keys do), so no query runs outside a workspace; the random part,
    compared in the database, is what makes it unguessable."""
    return f"{require_tenant_id()}_{secrets.token_urlsafe(32)}"


class Channel(TenantModel):
    PENDING, ACTIVE, ERROR = "pending", "active", "error"
    STATUSES = [(PENDING, _("Connecting")), (ACTIVE, _("Active")), (ERROR, _("Error"))]

    kind = models.CharField(_("kind"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=PENDING)
    last_error = models.TextField(_("last error"), blank=True)
    # What may be shown back (the Bot API base URL); tokens go to `secrets_blob`, encrypted.
    settings = models.JSONField(default=dict, blank=True)
    secrets_blob = models.TextField(blank=True, editable=False)
    webhook_token = models.CharField(max_length=80, default=new_webhook_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "webhook_token"], name="channel_token"),
        ]
        verbose_name = _("channel")

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        from . import channels  # the adapters import the models

        adapter = channels.ADAPTERS.get(self.kind)
        return adapter.label if adapter else self.kind

    @property
    def secrets(self) -> dict:
        return json.loads(crypto.decrypt(self.secrets_blob)) if self.secrets_blob else {}

    @secrets.setter
    def secrets(self, value: dict) -> None:
        self.secrets_blob = crypto.encrypt(json.dumps(value))


class Conversation(TenantModel):
    OPEN, SNOOZED, CLOSED = "open", "snoozed", "closed"
    STATUSES = [(OPEN, _("Open")), (SNOOZED, _("Snoozed")), (CLOSED, _("Closed"))]

    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="conversations"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_chat_id = models.CharField(max_length=100)
    # Who wrote, as the channel names them: shown while no contact is linked.
    title = models.CharField(_("title"), max_length=200, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    unread = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # A snoozed conversation opens again at this time (or when the client writes).
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    # Since when the client has waited for an answer: the oldest incoming message after
    # our last reply; None while nobody waits. The response-time badge reads it.
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "external_chat_id"], name="conversation_chat"
            ),
        ]
        indexes = [
            # The inbox list: newest first, whole or per assignee.
            models.Index(fields=["tenant", "-last_message_at", "-id"], name="conversation_recent"),
            models.Index(
                fields=["tenant", "assignee", "-last_message_at"], name="conversation_mine"
            ),
            models.Index(fields=["tenant", "contact"], name="conversation_contact"),
        ]
        verbose_name = _("conversation")

    def __str__(self):
        return self.title or f"#{self.pk}"


class Message(TenantModel):
    IN, OUT, NOTE = "in", "out", "note"
    DIRECTIONS = [(IN, _("Incoming")), (OUT, _("Outgoing")), (NOTE, _("Internal note"))]
    # What the entry is: a chat message, an email, a phone call, a form submission.
    KINDS = [
        ("message", _("Message")),
        ("email", _("Email")),
        ("call", _("Call")),
        ("form", _("Form submission")),
        ("chat", _("Site chat")),
    ]
    # Delivery status of an outgoing message, as the far end reports it.
    SENT, DELIVERED, READ, FAILED = "sent", "delivered", "read", "failed"
    DELIVERY = [
        (SENT, _("Sent")),
        (DELIVERED, _("Delivered")),
        (READ, _("Read")),
        (FAILED, _("Not delivered")),
    ]

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # The conversation's channel again, so the unique constraint below can name it.
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=4, choices=DIRECTIONS)
    kind = models.CharField(max_length=10, choices=KINDS, default="message")
    text = models.TextField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    html = models.TextField(blank=True)  # sanitised; kept whole, quoted history included
    meta = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=DELIVERY, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_external_id",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "conversation", "id"], name="message_thread")]
        verbose_name = _("message")

    def __str__(self):
        return self.text[:80]


def attachment_path(instance, filename: str) -> str:
    # Under the workspace and a random folder: a file's URL is never guessed from another's.
    return f"inbox/{instance.tenant_id}/{secrets.token_urlsafe(12)}/{filename}"


class Attachment(TenantModel):
    """A file a message carried in or out; served only through the inbox's own view,
    which checks the conversation's visibility."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "message"], name="attachment_message")]
        verbose_name = _("attachment")

    def __str__(self):
        return self.name


class RawDelivery(TenantModel):
    RECEIVED, PROCESSED, FAILED = "received", "processed", "failed"
    STATUSES = [(RECEIVED, _("Received")), (PROCESSED, _("Processed")), (FAILED, _("Failed"))]

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    external_id = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=STATUSES, default=RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "external_id"], name="delivery_external_id"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "channel", "status"], name="delivery_status")]
        verbose_name = _("delivery")


class MailboxState(TenantModel):
    """Where an email channel's polling stands in one IMAP folder: the folder's UIDVALIDITY
    and the last UID taken in. A poll locks this row (SKIP LOCKED), so two polls never take
    the same mail; a changed UIDVALIDITY starts the folder again from UID 1 (the messages'
    own Message-IDs keep that from doubling anything)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="mailboxes")
    folder = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    polled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "folder"], name="mailbox_state_folder"
            ),
        ]

    def __str__(self):
        return f"{self.channel_id}:{self.folder}"


class AutoReplySettings(TenantModel):
    """A channel's automatic answers (integrations/autoreply.py): a first-contact reply,
    an out-of-hours reply outside the working hours in a time zone, and keyword answers
    (some of which hand the conversation to a person)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    first_contact = models.TextField(_("first-contact reply"), blank=True)
    out_of_hours = models.TextField(_("out-of-hours reply"), blank=True)
    work_start = models.TimeField(_("working hours from"), null=True, blank=True)
    work_end = models.TimeField(_("working hours until"), null=True, blank=True)
    # ISO weekdays the working hours apply to, "12345" for Monday to Friday.
    work_days = models.CharField(_("working days"), max_length=7, default="12345")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # [{"keyword": "...", "answer": "...", "handoff": bool}, ...]
    keywords = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "channel"], name="autoreply_channel"),
        ]
        verbose_name = _("auto-reply settings")


class AutoReplyLog(TenantModel):
    """One automatic answer given: at most one per sender, per channel, per day (the
    constraint is the limit, so two workers racing give one)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    sender = models.CharField(max_length=254)
    day = models.DateField()
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "sender", "day"], name="autoreply_once_a_day"
            ),
        ]
