"""Saved reports and their folders. A report is data: its type's key and a definition (see
reports/spec.py) that names fields by their registered keys, never by ORM paths."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class ReportFolder(TenantModel):
    """A folder of reports: private to its owner, or shared with the workspace."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_shared = models.BooleanField(_("shared with the workspace"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "owner"], name="reportfolder_owner")]
        verbose_name = _("report folder")

    def __str__(self):
        return self.name


class Report(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True)
    report_type = models.CharField(_("report type"), max_length=40)
    spec = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    folder = models.ForeignKey(
        ReportFolder, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    is_shared = models.BooleanField(_("shared with the workspace"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["tenant", "owner"], name="report_owner"),
            models.Index(fields=["tenant", "is_shared"], name="report_shared"),
        ]
        verbose_name = _("report")

    def __str__(self):
        return self.name


class CustomReportType(TenantModel):
    """A report type an admin builds: a built-in one (`primary`, "deals") and up to three of
    its relations, each "with" (only records that have related ones) or "with or without"
    (`related`: [{"relation": "tasks", "with": false}, ...]). Reports name it
    "custom_<id>"; reports/custom_types.py turns it into a report type."""

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True)
    primary = models.CharField(_("primary type"), max_length=40)
    related = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("custom report type")

    def __str__(self):
        return self.name

    @property
    def key(self) -> str:
        return f"custom_{self.pk}"

    @property
    def rows(self) -> str:
        """ "pairs" when a relation gives one row per (primary, related) pair."""
        return "pairs" if any((r or {}).get("pairs") for r in self.related or []) else "primary"


class ReportExport(TenantModel):
    """A big export written by a worker (reports/background.py): the member who asked for
    it follows its progress and downloads the file; nobody else sees it."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [
        (QUEUED, _("Queued")),
        (RUNNING, _("Running")),
        (DONE, _("Done")),
        (FAILED, _("Failed")),
    ]

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_format = models.CharField(max_length=4, default="csv")
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="report-exports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "requested_by"], name="reportexport_owner")]

    def __str__(self):
        return self.file_name or str(self.pk)

    @property
    def progress(self) -> int:
        if self.status == self.DONE:
            return 100
        return min(int(100 * self.processed / self.total), 99) if self.total else 0


class ReportSubscription(TenantModel):
    """A report or a custom dashboard mailed to one member on a schedule, run as that member.

    `target_kind` names what is mailed: a saved report (`report`) or a custom dashboard
    (`dashboard`, every widget); exactly one of the two keys is set. The schedule is a time of day
    in the recipient's time zone; `next_run_at` is the next moment it is due (UTC), and
    `pending_for` the moment being sent now: the sweep moves a due moment into it under a row
    lock, the mail task clears it once the mail is out, so each period is mailed once."""

    REPORT, DASHBOARD = "report", "dashboard"
    TARGET_KINDS = [(REPORT, _("Report")), (DASHBOARD, _("Dashboard"))]
    DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"
    FREQUENCIES = [(DAILY, _("Daily")), (WEEKLY, _("Weekly")), (MONTHLY, _("Monthly"))]
    SENT, SKIPPED, NO_ACCESS, FAILED = "sent", "skipped", "no_access", "failed"
    STATUSES = [
        (SENT, _("Sent")),
        (SKIPPED, _("Not sent: the condition did not hold")),
        (NO_ACCESS, _("Not sent: the recipient cannot open the report")),
        (FAILED, _("Not sent: the report has problems")),
    ]

    target_kind = models.CharField(
        _("what is sent"), max_length=20, choices=TARGET_KINDS, default=REPORT
    )
    report = models.ForeignKey(
        Report, verbose_name=_("report"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="subscriptions",
    )  # fmt: skip
    # Set when target_kind is "dashboard" (then `report` is empty): every widget is mailed.
    dashboard = models.ForeignKey(
        "reports.Dashboard", verbose_name=_("dashboard"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="subscriptions",
    )  # fmt: skip
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    frequency = models.CharField(_("how often"), max_length=10, choices=FREQUENCIES)
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)  # 0: Monday
    # 29-31 in a shorter month: its last day.
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    time_of_day = models.TimeField(_("time of day"))
    # {"measure": "count" or a summary's key, "op": "gt", "value": 0}; empty: always send.
    condition = models.JSONField(_("condition"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    pending_for = models.DateTimeField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status = models.CharField(max_length=20, choices=STATUSES, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["tenant", "next_run_at"],
                name="reportsub_due",
                condition=models.Q(is_active=True),
            ),
            models.Index(fields=["tenant", "recipient"], name="reportsub_recipient"),
            models.Index(fields=["tenant", "report"], name="reportsub_report"),
            models.Index(fields=["tenant", "dashboard"], name="reportsub_dashboard"),
        ]
        verbose_name = _("report subscription")

    def __str__(self):
        return f"{self.report or self.dashboard} → {self.recipient}"

    @property
    def target(self):
        """The report or the dashboard mailed."""
        return self.dashboard if self.target_kind == self.DASHBOARD else self.report


# Sales plans and the dashboards' rollups, each family in its own module.
from .board_models import *  # noqa: E402, F403
from .plan_models import *  # noqa: E402, F403
from .rollup_models import *  # noqa: E402, F403
