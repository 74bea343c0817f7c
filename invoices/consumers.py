"""The invoices' consumers on the event spine: the accountant asked for an invoice is told,
with a link to the deal card, where the one-click draft is (the built-in accountant role has
no rights on tasks, so the task's own notification leads them nowhere)."""

from django.utils import translation
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.activity.dispatch import consumer
from crm.activity.models import Notification
from crm.activity.records import card_url
from crm.activity.services import notify


@consumer("invoice_requests", types=["invoice.requested"])
def tell_the_accountant(event) -> None:
    people = User.objects.in_bulk([event.data.get("assignee"), event.actor_id])
    recipient, actor = people.get(event.data.get("assignee")), people.get(event.actor_id)
    if recipient is None:
        return
    with translation.override(recipient.language or translation.get_language()):
        title = _("%(who)s asks you for an invoice for the deal %(deal)s") % {
            "who": actor.display_name if actor else _("Someone"),
            "deal": event.subject_repr,
        }
    notify(recipient=recipient, kind=Notification.ASSIGNMENT, title=title,
           url=card_url("deal", event.subject_id), event=event)  # fmt: skip
