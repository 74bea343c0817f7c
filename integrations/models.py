"""Channels, their conversations and messages, and the raw deliveries they came from.

Idempotency lives in the database: a raw delivery is unique per channel and external id (a
re-sent webhook is stored once), and so is a message (a re-run ingestion adds nothing).
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
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
    # Declined as spam (an unsorted request): closed, and its sender blocked.
    is_spam = models.BooleanField(_("spam"), default=False)
    # How the sender introduced themselves at the channel (handle, phones, emails), kept
    # until a contact is linked: accepting an unsorted request makes the contact from it.
    sender = models.JSONField(default=dict, blank=True)
    # The title lower-cased, for the list's search (LIKE on a trigram index, as contacts).
    search = models.GeneratedField(
        expression=Lower("title"), output_field=models.TextField(), db_persist=True
    )

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
            GinIndex(
                fields=["tenant", "search"],
                opclasses=["int8_ops", "gin_trgm_ops"],
                name="conversation_search",
            ),
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
    # The text lower-cased, for the inbox's search (LIKE on a trigram index): generated by
    # the database, so every way a message is written keeps it.
    search = models.GeneratedField(
        expression=Lower("text"), output_field=models.TextField(), db_persist=True
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "conversation", "id"], name="message_thread"),
            GinIndex(
                fields=["tenant", "search"],
                opclasses=["int8_ops", "gin_trgm_ops"],
                name="message_search",
            ),
        ]
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


class InboxSettings(TenantModel):
    """The workspace's inbox settings (one row, made on first save)."""

    # A conversation waiting longer than this for an answer gets a badge in the list.
    response_target_minutes = models.PositiveIntegerField(_("response target, minutes"), default=60)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="inbox_settings_one")]
        verbose_name = _("inbox settings")


class AssignmentRule(TenantModel):
    """Who gets a channel's new conversations (as Bitrix24's Open Channels queues): nobody
    (they wait in Unassigned), the members of a department in turn (round robin), or the
    one with the fewest open conversations (least loaded). Members at `limit` open
    conversations are skipped. The row is also the queue's state (`last_assignee`), locked
    while a conversation is handed out, so two at once never go to the same turn."""

    NONE, ROUND_ROBIN, LEAST_LOADED = "none", "round_robin", "least_loaded"
    MODES = [
        (NONE, _("Nobody: they wait in Unassigned")),
        (ROUND_ROBIN, _("Round robin")),
        (LEAST_LOADED, _("Least loaded")),
    ]

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(_("assignment"), max_length=20, choices=MODES, default=NONE)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: every member who works in the inbox."),
    )
    limit = models.PositiveIntegerField(
        _("open conversations per person"),
        default=0,
        help_text=_("0: no limit."),
    )
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )  # fmt: skip

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "channel"], name="assignment_rule_channel")
        ]
        verbose_name = _("assignment rule")


class BlockedSender(TenantModel):
    """A sender whose messages a channel no longer takes in (a declined unsorted request):
    by their chat at the channel, or by an email or phone they write from. Ingestion marks
    their deliveries processed with a note and opens no conversation."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    external_chat_id = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "channel", "external_chat_id"], name="blocked_chat"),
        ]
        verbose_name = _("blocked sender")

    def __str__(self):
        return self.name or self.email or self.phone or self.external_chat_id


class CannedResponse(TenantModel):
    """A prepared answer with placeholders (`{{contact.first_name}}`, canned.PLACEHOLDERS),
    shared by the workspace (`owner` empty) or one member's own (`owner`): a personal one
    is seen by its owner alone."""

    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), max_length=4096)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["tenant", "owner", "title"], name="canned_owner")]
        verbose_name = _("canned response")

    def __str__(self):
        return self.title

    @property
    def shared(self) -> bool:
        return self.owner_id is None


class TeamRoom(TenantModel):
    """A team chat room: the workspace's channel ("General", every active member) or a
    direct conversation between two members (its `TeamMember` rows, and nobody else).
    Kept apart from client conversations: no channel, no adapter, no client selector
    ever reads these tables."""

    WORKSPACE, DIRECT = "workspace", "direct"
    KINDS = [(WORKSPACE, _("Workspace channel")), (DIRECT, _("Direct conversation"))]

    kind = models.CharField(max_length=10, choices=KINDS)
    name = models.CharField(_("name"), max_length=120, blank=True)
    # "<smaller user id>:<larger user id>" for a direct room: one room per pair.
    direct_key = models.CharField(max_length=50, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    # Events and notifications about a room name it so (crm.activity.events.subject_type).
    event_subject_type = "team_room"

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "direct_key"],
                condition=~Q(direct_key=""),
                name="teamroom_direct_pair",
            ),
            models.UniqueConstraint(
                fields=["tenant", "kind"],
                condition=Q(kind="workspace"),
                name="teamroom_one_workspace_channel",
            ),
        ]
        verbose_name = _("team chat room")

    def __str__(self):
        return self.name or f"#{self.pk}"


class TeamMember(TenantModel):
    """A member's place in a room: who is in a direct room, and for every room how far
    the member has read (the unread count is the messages after `last_read_id`)."""

    room = models.ForeignKey(TeamRoom, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_id = models.BigIntegerField(default=0)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "room", "user"], name="teammember_once"),
        ]
        indexes = [models.Index(fields=["tenant", "user"], name="teammember_user")]


class TeamMessage(TenantModel):
    """A message of the team chat. Shaped like a thread entry (`direction`, `kind`) so the
    inbox's thread templates show it."""

    direction, kind, subject, status = "team", "message", "", ""

    room = models.ForeignKey(TeamRoom, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    meta = models.JSONField(default=dict, blank=True)  # {"mentions": [user ids]}
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "room", "id"], name="teammessage_room")]
        verbose_name = _("team message")

    def __str__(self):
        return self.text[:80]


# --- the site: web forms, site chat visitors, page visits ---------------------------------


class WebForm(TenantModel):
    """A form on the workspace's site. Each form has a channel of its own (kind "form"):
    the channel's token is the form's public address, its failed submissions show and are
    retried on Settings → Channels, and the inbox filters by it.

    `fields` is a list of {"key", "label", "type", "required", "maps_to", "options"}:
    `type` one of FIELD_TYPES; `maps_to` "contact.<field>", "deal.<field>" or "" (a free
    answer, kept on the message only); `options` the choices of a select.
    """

    FIELD_TYPES = [
        ("text", _("Text")),
        ("email", _("Email")),
        ("phone", _("Phone")),
        ("textarea", _("Long text")),
        ("select", _("Choice")),
        ("checkbox", _("Checkbox")),
    ]
    MAPPINGS = [
        ("", _("A free answer")),
        ("contact.first_name", _("Contact: first name")),
        ("contact.last_name", _("Contact: last name")),
        ("contact.middle_name", _("Contact: middle name")),
        ("contact.email", _("Contact: email")),
        ("contact.phone", _("Contact: phone")),
        ("contact.position", _("Contact: position")),
        ("contact.company", _("Contact: company name")),
        ("contact.telegram", _("Contact: Telegram")),
        ("deal.title", _("Deal: title")),
        ("deal.amount", _("Deal: amount")),
    ]

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    fields = models.JSONField(default=list, blank=True)
    thank_you = models.TextField(_("thank-you text"), blank=True)
    # A deal is made in this stage for each submission; none without it.
    pipeline = models.ForeignKey(
        "pipelines.Pipeline",
        verbose_name=_("funnel"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stage = models.ForeignKey(
        "pipelines.Stage",
        verbose_name=_("stage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who new clients, deals and conversations from the form go to (none: the team's queue).
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The admin who built it: submissions create clients and deals in their name.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sites (scheme://host[:port]) that may post to the JSON endpoint; empty: any site.
    allowed_origins = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "channel"], name="webform_channel"),
        ]
        verbose_name = _("web form")

    def __str__(self):
        return self.name


class Visitor(TenantModel):
    """Someone on the workspace's site, known by the random key of the signed token the
    site script keeps (sitechat.py); linked to a client once they name themselves (a form,
    a chat with a known email or phone, a tracked link)."""

    key = models.CharField(max_length=64)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="visitor_key")]
        indexes = [models.Index(fields=["tenant", "contact"], name="visitor_contact")]

    def __str__(self):
        return self.key


class PageVisit(TenantModel):
    """A page a known client opened on the workspace's site (the site script reports it)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(Visitor, null=True, on_delete=models.SET_NULL, related_name="+")
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=300, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    visited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "contact", "-visited_at"], name="pagevisit_contact")
        ]
        verbose_name = _("page visit")

    def __str__(self):
        return self.url


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
