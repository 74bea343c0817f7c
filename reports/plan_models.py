"""Sales plans: a target for one manager or one department, for a month or a quarter, in
amount (the workspace's currency) and/or number of won deals."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class SalesPlan(TenantModel):
    MONTH, QUARTER = "month", "quarter"
    PERIODS = [(MONTH, _("Month")), (QUARTER, _("Quarter"))]

    period = models.CharField(_("period"), max_length=7, choices=PERIODS, default=MONTH)
    start = models.DateField(_("starts"))  # the first day of the month or quarter
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    deals = models.PositiveIntegerField(_("won deals"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    event_subject_type = "sales_plan"

    class Meta:
        # Exactly one of user and department: reports.plans.plan_save checks it.
        ordering = ["start", "id"]
        verbose_name = _("sales plan")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "period", "start", "user"],
                condition=Q(user__isnull=False),
                name="salesplan_user_once",
            ),
            models.UniqueConstraint(
                fields=["tenant", "period", "start", "department"],
                condition=Q(department__isnull=False),
                name="salesplan_department_once",
            ),
        ]

    def __str__(self):
        return f"{self.get_period_display()} {self.start:%Y-%m}"
