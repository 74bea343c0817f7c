""" "dashboard" and "sales_plan" in the object-type registry. Neither is a list of records:
"dashboard" is the right to open the Dashboards section (its figures then follow the
viewer's visibility of deals), "sales_plan" the right to read and set plans: heads for
their department, admins for everyone, managers may read their own."""

from django.utils.translation import gettext_lazy as _

from crm import objects

from .plan_models import SalesPlan

VIEW_OWN = {"actions": ["view"], "visibility": "own"}
VIEW_DEPARTMENT = {"actions": ["view"], "visibility": "department"}


def register() -> None:
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
