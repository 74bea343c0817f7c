"""The events of sales plans: who set or removed which target (the audit trail)."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import MANAGERS, declare


def declare_all() -> None:
    payload = ("changes", "period", "start", "user_id", "department_id")
    declare("sales_plan.saved", _("Sales plan set"), subject="sales_plan", payload=payload,
            audience=MANAGERS)  # fmt: skip
    declare("sales_plan.deleted", _("Sales plan removed"), subject="sales_plan",
            payload=payload, audience=MANAGERS)  # fmt: skip
