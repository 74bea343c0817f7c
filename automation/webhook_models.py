"""Outgoing webhooks' tables: an endpoint subscribed to event types, and one delivery per
(endpoint, event). The code that uses them is in `automation/webhooks/`."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import Membership
from crm.activity.models import Event
from crm.tenancy.models import TenantModel

__all__ = ["WebhookDelivery", "WebhookEndpoint"]


class WebhookEndpoint(TenantModel):
    """A URL that receives the workspace's events of the types it names ("deal.won",
    "deal.*"), signed with its own secret. It acts as the admin who made it: an event is sent
    only if that member may see it (crm/activity/catalogue.py, audiences)."""

    GONE, FAILING, MANUAL = "gone", "failing", "manual"
    DISABLED_REASONS = [
        (GONE, _("The endpoint answered 410 Gone.")),
        (FAILING, _("Too many deliveries in a row failed.")),
        (MANUAL, _("Switched off by an admin.")),
    ]

    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # The signing secret ("whsec_" + base64), encrypted at rest (crm/crypto.py).
    secret_encrypted = models.TextField()
    owner = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(max_length=20, choices=DISABLED_REASONS, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Failed attempts since the last success, and when the first of them happened.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    event_subject_type = "webhook"

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["tenant", "id"],
                name="webhook_active",
                condition=models.Q(is_active=True),
            ),
        ]

    def __str__(self):
        return self.url


class WebhookDelivery(TenantModel):
    """One event for one endpoint. `next_attempt_at` is when the beat sweep takes it next
    (a due pending row), also while an attempt runs (a lease: a worker that dies mid-attempt
    leaves it due again once the lease ends)."""

    PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
    STATUSES = [
        (PENDING, _("Pending")),
        (DELIVERED, _("Delivered")),
        (FAILED, _("Failed")),
    ]

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=64)
    # The `webhook-id` header: the same on every attempt and resend, for the receiver to
    # recognise a message it already has.
    message_id = models.UUIDField(default=uuid.uuid4, editable=False)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "event"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["tenant", "endpoint", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self):
        return f"{self.event_type} -> {self.endpoint_id}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.message_id.hex}"
