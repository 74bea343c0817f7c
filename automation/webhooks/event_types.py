"""The events webhook endpoints' changes write (the audit trail shows them to admins)."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import MANAGERS, declare


def declare_all() -> None:
    for verb, label in (
        ("created", _("Webhook added")),
        ("updated", _("Webhook changed")),
        ("deleted", _("Webhook deleted")),
    ):
        declare(f"webhook.{verb}", label, subject="webhook", payload=("changes",),
                audience=MANAGERS)  # fmt: skip
    declare("webhook.disabled", _("Webhook switched off after failures"), subject="webhook",
            payload=("reason",), audience=MANAGERS)  # fmt: skip
