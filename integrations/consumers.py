"""The inbox's consumer of the event spine: colleagues @mentioned in an internal note are
notified (crm.activity's `notify`: in the app, and by email if they want mentions mailed),
with a link to the conversation."""

from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.activity.dispatch import consumer
from crm.activity.models import Event, Notification
from crm.activity.services.notifications import notify
from crm.tenancy.models import Tenant

from . import mentions
from .models import Conversation


@consumer("inbox_mentions", types=["conversation.note_added"])
def notify_mentioned(event: Event) -> None:
    ids = [i for i in event.data.get("mentions", []) if i != event.actor_id]
    if not ids:
        return
    conversation = Conversation.objects.filter(pk=event.subject_id).first()
    if conversation is None:
        return
    people = User.objects.in_bulk([*ids, event.actor_id] if event.actor_id else ids)
    actor = people.get(event.actor_id)
    tenant = Tenant.objects.get(pk=event.tenant_id)
    url = reverse("inbox_conversation", args=[conversation.pk])
    for user_id in ids:
        user = people.get(user_id)
        if user is None:
            continue
        # Checked again now: the conversation may have moved away from them since.
        seen = mentions.can_open(user_id, conversation)
        with translation.override(user.language or tenant.language):
            who = actor.display_name if actor else _("Someone")
            if seen:
                title = _("%(who)s mentioned you in a conversation: %(text)s") % {
                    "who": who,
                    "text": Truncator(event.data.get("text", "")).chars(120),
                }
            else:
                title = _(
                    "%(who)s mentioned you in a conversation you cannot open; ask them to share it."
                ) % {"who": who}
        notify(
            recipient=user,
            kind=Notification.MENTION,
            title=title,
            url=url if seen else "",
            event=event,
        )
