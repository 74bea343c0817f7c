import hashlib

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class Event(TenantModel):
    """A domain event, written in the same transaction as the change it describes (outbox)."""

    type = models.CharField(max_length=64)  # "member.role_changed", "deal.stage_changed", ...
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_type = models.CharField(max_length=40)  # "member", "role", "deal", ...
    subject_id = models.BigIntegerField()
    subject_repr = models.CharField(max_length=200, blank=True)
    # Other records whose timeline shows this event: [["company", 4], ["contact", 9]].
    related = models.JSONField(default=list, blank=True)
    data = models.JSONField(default=dict, blank=True)  # {"changes": {field: [old, new]}, ...}
    # What made the system cause it, when no person did (events.caused_by): an automation
    # rule's run and its chain, {"rule": 4, "run": 9, "chain": 120, "depth": 1}.
    cause = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # Failed deliveries stay visible: how often, and the last error.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["tenant", "id"],
                name="event_pending",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.subject_type}:{self.subject_id}"


class EventDelivery(TenantModel):
    """One event handed to one consumer, written in the consumer's own transaction:
    its presence is what makes a delivery happen once."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    consumer = models.CharField(max_length=64)
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "event", "consumer"], name="delivery_once_per_consumer"
            ),
        ]


class AuditEntry(TenantModel):
    """Who changed what, when, with the old and new values."""

    # The trail outlives its events: pruning the outbox must not erase who did what.
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event"], name="audit_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["tenant", "object_type", "object_id"], name="audit_object"),
            models.Index(fields=["tenant", "-id"], name="audit_recent"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")


class TimelineEntry(TenantModel):
    """An event as it appears on a card's timeline (one row per record it concerns)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "event", "object_type", "object_id"], name="timeline_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "object_type", "object_id", "-created_at"],
                name="timeline_object",
            ),
        ]


class Note(TenantModel):
    """A note on any record's card (a contact, a company, later a deal)."""

    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    event_subject_type = "note"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "object_type", "object_id"], name="note_object")]

    def __str__(self):
        return self.body[:80]


# --- tasks, comments, notifications -----------------------------------------------------


class Task(TenantModel):
    """A call, meeting or to-do for one person, due at a moment or on a whole day, usually
    about a record (a deal, a contact, a company)."""

    CALL, MEETING, TASK = "call", "meeting", "task"
    KINDS = [(CALL, _("Call")), (MEETING, _("Meeting")), (TASK, _("Task"))]

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=KINDS, default=TASK)
    # Timed tasks have due_at; whole-day tasks have all_day and due_date instead.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    all_day = models.BooleanField(_("all day"), default=False)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration, minutes"), default=30, validators=[MaxValueValidator(60 * 24 * 7)]
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The record the task is about: ("deal" | "contact" | "company", id), or empty.
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    subject_repr = models.CharField(max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    completion_note = models.TextField(_("result"), blank=True)
    reminder_minutes_before = models.PositiveIntegerField(
        _("reminder, minutes before"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(60 * 24 * 28)],
    )
    # When the reminder is due (computed by the services) and when it went out.
    remind_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # When beat found it past due and not done (task.overdue, once); cleared when it is
    # given a new due time or reopened, so it can fall overdue again.
    overdue_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    event_subject_type = "task"

    class Meta:
        ordering = ["due_date", "due_at", "id"]
        # Exactly one of due_at / (all_day, due_date) is set: the services see to it.
        indexes = [
            models.Index(fields=["tenant", "assignee", "due_at"], name="task_assignee_due"),
            models.Index(fields=["tenant", "assignee", "due_date"], name="task_assignee_day"),
            models.Index(fields=["tenant", "object_type", "object_id"], name="task_subject"),
            models.Index(
                fields=["tenant", "remind_at"],
                name="task_reminder_due",
                condition=models.Q(reminded_at__isnull=True, done_at__isnull=True),
            ),
            models.Index(
                fields=["tenant", "due_at"],
                name="task_overdue_due",
                condition=models.Q(overdue_at__isnull=True, done_at__isnull=True),
            ),
            models.Index(
                fields=["tenant", "due_date"],
                name="task_overdue_day",
                condition=models.Q(overdue_at__isnull=True, done_at__isnull=True),
            ),
        ]
        verbose_name = _("task")

    def __str__(self):
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class Comment(TenantModel):
    """A comment on any record, which may @mention colleagues."""

    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    mentions = ArrayField(models.BigIntegerField(), default=list, blank=True)  # user ids
    created_at = models.DateTimeField(default=timezone.now)

    event_subject_type = "comment"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["tenant", "object_type", "object_id", "created_at"], name="comment_object"
            ),
        ]
        verbose_name = _("comment")

    def __str__(self):
        return self.body[:80]


class Notification(TenantModel):
    """Something a person should know about, shown in the app (and mailed, if they wish)."""

    MENTION, ASSIGNMENT, REMINDER = "mention", "assignment", "reminder"
    DEAL_ASSIGNED = "deal_assigned"
    AUTOMATION = "automation"
    WEBHOOK_DISABLED = "webhook_disabled"
    KINDS = [
        (MENTION, _("Mentions in comments")),
        (ASSIGNMENT, _("Tasks assigned to me")),
        (REMINDER, _("Task reminders")),
        (DEAL_ASSIGNED, _("Deals assigned to me")),
        (AUTOMATION, _("Messages from automation rules")),
        (WEBHOOK_DISABLED, _("Webhooks switched off after failures")),
    ]

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=KINDS)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    # The event that caused it, if any: one notification per event and recipient.
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "event", "recipient"], name="notification_once_per_event"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "recipient", "-id"], name="notification_recipient"),
            models.Index(
                fields=["tenant", "recipient"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]
        verbose_name = _("notification")

    def __str__(self):
        return self.title

    # A notification about a record its reader may not open (because it is a colleague's,
    # or no longer theirs) is shown without the record's title, text and link.
    @property
    def shown_title(self) -> str:
        if not getattr(self, "subject_hidden", False):
            return self.title
        actor = self.event.actor if self.event_id and self.event else None
        return hidden_title(self.kind, actor.display_name if actor else "")

    @property
    def shown_url(self) -> str:
        return "" if getattr(self, "subject_hidden", False) else self.url


def hidden_title(kind: str, who: str) -> str:
    """What a notification says about a record its reader may not open: who, never what."""
    who = who or gettext("Someone")
    if kind == Notification.MENTION:
        text = gettext("%(who)s mentioned you in a comment on a record you cannot open.")
    elif kind == Notification.DEAL_ASSIGNED:
        text = gettext("%(who)s assigned you a deal that you cannot open.")
    elif kind == Notification.ASSIGNMENT:
        text = gettext("%(who)s assigned you a task that you cannot open.")
    else:
        text = gettext("%(who)s did something on a record you cannot open.")
    return text % {"who": who}


class NotificationPreference(TenantModel):
    """Whether a person wants email for one kind of notification in this workspace. In-app
    notifications are always on; with no row, email is on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Notification.KINDS)
    email = models.BooleanField(_("email"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "kind"], name="notificationpref_unique"
            ),
        ]


class CalendarFeed(TenantModel):
    """A private iCal feed of one person's tasks in this workspace. The token names the
    workspace (`cal_<tenant id>_<secret>`) and only its hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="calendarfeed_one_per_user"),
            models.UniqueConstraint(fields=["tenant", "token_hash"], name="calendarfeed_hash"),
        ]

    def __str__(self):
        return f"calendar feed #{self.pk}"

    @staticmethod
    def hash(raw_token: str) -> str:
        # A long random secret: a fast hash is enough, as for API keys.
        return hashlib.sha256(raw_token.encode()).hexdigest()
