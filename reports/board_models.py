"""Custom dashboards: a grid of widgets, each one a saved report shown as its chart, as one
KPI number or as the table of its groups. A widget holds no figures: the report runs, as the
viewer, each time the dashboard is opened."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class Dashboard(TenantModel):
    """A dashboard of the workspace: private to its owner, or shared with the workspace."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_shared = models.BooleanField(_("shared with the workspace"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "owner"], name="dashboard_owner")]
        verbose_name = _("dashboard")

    def __str__(self):
        return self.name


class DashboardWidget(TenantModel):
    CHART, KPI, TABLE = "chart", "kpi", "table"
    KINDS = [(CHART, _("Chart")), (KPI, _("KPI number")), (TABLE, _("Table"))]
    WIDTHS = [(1, _("Narrow")), (2, _("Half")), (3, _("Wide")), (4, _("Full width"))]

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    report = models.ForeignKey(
        "reports.Report", on_delete=models.CASCADE, related_name="+", verbose_name=_("report")
    )
    kind = models.CharField(_("shown as"), max_length=8, choices=KINDS, default=CHART)
    # The summary a KPI shows (a key of the report's values, "count" for the group count);
    # empty: the report's first summary.
    value = models.CharField(_("value"), max_length=80, blank=True)
    title = models.CharField(_("title"), max_length=120, blank=True)
    position = models.PositiveIntegerField(default=0)
    width = models.PositiveSmallIntegerField(_("width"), choices=WIDTHS, default=2)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "dashboard"], name="dashwidget_board")]
        verbose_name = _("dashboard widget")

    def __str__(self):
        return self.title or str(self.report_id)
