"""The reports app's entries in the object-type registry. "report": the Reports section in
the navigation and what a role may do with reports (no field catalogue, so no report type
itself). "dashboard" and "sales_plan" are not lists of records: "dashboard" is the right to
open the Dashboards section (its figures then follow the viewer's visibility of deals),
"sales_plan" the right to read and set plans: heads for their department, admins for
everyone, managers may read their own. "plan_fact" is the plans against their fact as a
report type ("plan_facts"), read under the "sales_plan" grant."""

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.accounts.permissions import ALL, OWN, full
from crm.objects import Field

from . import plans, selectors
from .models import Report
from .plan_models import SalesPlan

USE = ("view", "create", "edit", "delete", "export")
VIEW_OWN = {"actions": ["view"], "visibility": "own"}
VIEW_DEPARTMENT = {"actions": ["view"], "visibility": "department"}

# Plan vs fact (`plans.plan_vs_fact`): one row per plan, with its fact and the per cent.
PLAN_FACT_FIELDS = (
    Field("target", _("Plan for"), objects.CHOICE,
          choices=(("manager", _("Manager")), ("department", _("Department"))),
          filterable=True, groupable=True),
    Field("manager", _("Manager"), objects.USER, "user", filterable=True, groupable=True),
    Field("department", _("Department"), objects.RECORD, "department__name", filterable=True,
          groupable=True),
    Field("period", _("Period"), objects.CHOICE, choices=tuple(SalesPlan.PERIODS),
          filterable=True, groupable=True),
    Field("start", _("Period start"), objects.DATE, filterable=True, sortable=True,
          groupable=True),
    Field("plan_amount", _("Plan, amount"), objects.MONEY, "amount", filterable=True,
          sortable=True, summable=True),
    Field("fact_amount", _("Fact, amount"), objects.MONEY, filterable=True, sortable=True,
          summable=True),
    Field("amount_percent", _("Amount vs plan, %"), objects.NUMBER, filterable=True,
          sortable=True),
    Field("plan_deals", _("Plan, won deals"), objects.NUMBER, "deals", filterable=True,
          sortable=True, summable=True),
    Field("fact_deals", _("Fact, won deals"), objects.NUMBER, filterable=True, sortable=True,
          summable=True),
    Field("deals_percent", _("Won deals vs plan, %"), objects.NUMBER, filterable=True,
          sortable=True),
)  # fmt: skip


def register() -> None:
    objects.register(
        objects.ObjectType(
            key="report",
            label=_("Report"),
            plural=_("Reports"),
            model=Report,
            records=selectors.reports_for,
            card="report_run",
            section="reports",
            nav_order=70,
            # Everyone builds their own reports and runs the shared ones; a report runs as
            # its viewer, so it shows nobody more than their role already does.
            builtin_grants={
                "head": full(ALL, USE),
                "manager": full(OWN, USE),
                "accountant": full(OWN, USE),
            },
        )
    )
    objects.register(
        objects.ObjectType(
            key="dashboard",
            label=_("Dashboard"),
            plural=_("Dashboards"),
            section="dashboards",
            nav_order=80,
            builtin_grants={"head": VIEW_DEPARTMENT, "manager": VIEW_OWN, "accountant": None},
        )
    )
    objects.register(
        objects.ObjectType(
            key="sales_plan",
            label=_("Sales plan"),
            plural=_("Sales plans"),
            model=SalesPlan,
            nav_order=210,
            builtin_grants={"manager": VIEW_OWN, "accountant": None},
        )
    )
    # The plans as a report type, under the "sales_plan" grant: a manager with own
    # visibility reads their own plans against their own won deals.
    objects.register(
        objects.ObjectType(
            key="plan_fact",
            label=_("Plan vs fact"),
            plural=_("Plan vs fact"),
            model=SalesPlan,
            records=plans.plan_vs_fact,
            nav_order=211,
            fields=PLAN_FACT_FIELDS,
            part_of="sales_plan",
        )
    )
