"""Automation's tables: rules and their versions, runs and their steps.

A rule is edited by writing a new immutable version; a run keeps the version it started
with. A run is unique per (version, event, record): an event redelivered makes no second
run. A step is unique per (run, index) and is the durable delay: a row with `due_at`, swept
by beat (`tasks.sweep_steps`), so a restart loses nothing.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class Rule(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    # Where it sits: a funnel's stage (the board's automation view), a funnel, or the
    # whole workspace (both empty). Derived from the spec when a version is saved.
    pipeline = models.ForeignKey(
        "pipelines.Pipeline", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.ForeignKey(
        "pipelines.Stage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    trigger = models.CharField(max_length=64)  # the current version's trigger key
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)
    version = models.ForeignKey(
        "RuleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    event_subject_type = "automation_rule"

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["tenant", "trigger"], name="rule_trigger",
                         condition=models.Q(is_active=True)),
            models.Index(fields=["tenant", "stage", "position"], name="rule_stage"),
        ]  # fmt: skip
        verbose_name = _("automation rule")

    def __str__(self):
        return self.name


class RuleVersion(TenantModel):
    """One saved spec of a rule, never changed: {"trigger", "conditions", "actions"}."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "rule", "number"], name="ruleversion_unique"),
        ]


class Run(TenantModel):
    """A rule (one version of it) acting on one record for one event."""

    PENDING, DONE, FAILED, STOPPED = "pending", "done", "failed", "stopped"
    STATUSES = [
        (PENDING, _("Pending")),
        (DONE, _("Done")),
        (FAILED, _("Failed")),
        (STOPPED, _("Stopped")),
    ]

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(RuleVersion, on_delete=models.CASCADE, related_name="runs")
    # The event that started it; kept by id so pruning the outbox does not erase history.
    event_id = models.BigIntegerField()
    event_type = models.CharField(max_length=64)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    # The chain of rules started by one event a person (or a channel) caused: its first
    # event's id, and how many rule runs deep this one is (loop guard).
    chain = models.BigIntegerField()
    depth = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=8, choices=STATUSES, default=PENDING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "version", "event_id", "object_type", "object_id"],
                name="run_once_per_event_record",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "rule", "-id"], name="run_rule"),
            models.Index(fields=["tenant", "chain", "object_type", "object_id"], name="run_chain"),
            models.Index(fields=["tenant", "object_type", "object_id", "-id"], name="run_record"),
        ]


class Step(TenantModel):
    """One action of a run, due at a time: the durable delay and the once-only guard."""

    PENDING, DONE, FAILED, SKIPPED = "pending", "done", "failed", "skipped"
    STATUSES = [
        (PENDING, _("Pending")),
        (DONE, _("Done")),
        (FAILED, _("Failed")),
        (SKIPPED, _("Skipped")),
    ]

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=64)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "run", "index"], name="step_once_per_run"),
        ]
        indexes = [
            # The sweep's: only pending steps, by due time.
            models.Index(fields=["tenant", "due_at", "id"], name="step_due",
                         condition=models.Q(status="pending")),
        ]  # fmt: skip


from .webhook_models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
