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
