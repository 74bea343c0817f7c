""" "report" in the object-type registry: the Reports section in the navigation and what a
role may do with reports. It has no field catalogue, so it is no report type itself."""

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.accounts.permissions import ALL, OWN, full

from . import selectors
from .models import Report

USE = ("view", "create", "edit", "delete", "export")


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
