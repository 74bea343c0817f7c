"""The "conversation" object type for the registry (crm/objects.py): the inbox's section in
the navigation, the grants roles give on it, and who sees which (selectors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.objects import Field

from . import selectors
from .models import Conversation

FIELDS = (
    Field("status", _("Status"), objects.CHOICE, choices=tuple(Conversation.STATUSES),
          filterable=True, groupable=True),
    Field("assignee", _("Assignee"), objects.USER, filterable=True, groupable=True),
    Field("last_message_at", _("Last message"), objects.DATETIME, filterable=True,
          sortable=True),
    Field("unread", _("Unread"), objects.NUMBER, sortable=True),
)  # fmt: skip


def register() -> None:
    objects.register(
        objects.ObjectType(
            key=selectors.OBJECT_TYPE,
            label=_("Conversation"),
            plural=_("Inbox"),
            model=Conversation,
            records=selectors.conversations_for,
            card="inbox_conversation",
            section="inbox",
            badge="inbox_unread",
            nav_order=10,
            fields=FIELDS,
        )
    )
