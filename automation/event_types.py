"""Automation's own events: rules made, changed and deleted (the audit trail shows them), and
a rule's "call an outgoing webhook" step, on the timeline of the record it acted on."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import MANAGERS, SUBJECT, declare


def declare_all() -> None:
    payload = ("name", "version", "changes")
    declare("automation.rule_created", _("Automation rule created"), subject="automation_rule",
            payload=payload, audience=MANAGERS)  # fmt: skip
    declare("automation.rule_updated", _("Automation rule changed"), subject="automation_rule",
            payload=payload, audience=MANAGERS)  # fmt: skip
    declare("automation.rule_deleted", _("Automation rule deleted"), subject="automation_rule",
            payload=payload, audience=MANAGERS)  # fmt: skip
    # Its subject is the rule's record (any object type), so whoever sees the record sees it;
    # "run" and "step" make the step's event findable again (once per step).
    declare("automation.webhook_called", _("Webhook called by a rule"), subject="record",
            payload=("rule", "run", "step", "endpoint"), audience=SUBJECT)  # fmt: skip
