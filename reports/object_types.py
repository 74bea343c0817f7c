"""The reports app's entries in the object-type registry. "report": the Reports section in
the navigation and what a role may do with reports (no field catalogue, so no report type
itself). "dashboard" and "sales_plan" are not lists of records: "dashboard" is the right to
open the Dashboards section (its figures then follow the viewer's visibility of deals),
"sales_plan" the right to read and set plans: heads for their department, admins for
everyone, managers may read their own."""

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.accounts.permissions import ALL, OWN, full

from . import selectors
from .models import Report
from .plan_models import SalesPlan

USE = ("view", "create", "edit", "delete", "export")
VIEW_OWN = {"actions": ["view"], "visibility": "own"}
VIEW_DEPARTMENT = {"actions": ["view"], "visibility": "department"}


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
