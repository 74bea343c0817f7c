"""Automation's own events: rules made, changed and deleted (the audit trail shows them)."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import MANAGERS, declare


def declare_all() -> None:
    payload = ("name", "version", "changes")
    declare("automation.rule_created", _("Automation rule created"), subject="automation_rule",
            payload=payload, audience=MANAGERS)  # fmt: skip
    declare("automation.rule_updated", _("Automation rule changed"), subject="automation_rule",
            payload=payload, audience=MANAGERS)  # fmt: skip
    declare("automation.rule_deleted", _("Automation rule deleted"), subject="automation_rule",
            payload=payload, audience=MANAGERS)  # fmt: skip
