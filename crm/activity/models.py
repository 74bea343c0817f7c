from django.conf import settings
from django.db import models
from django.utils import timezone
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
