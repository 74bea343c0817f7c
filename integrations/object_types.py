"""The "conversation" object type for the registry (crm/objects.py): the inbox's section in
the navigation, the grants roles give on it, and who sees which (selectors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.objects import Field

from . import selectors
from .models import Conversation, Message

FIELDS = (
    Field("status", _("Status"), objects.CHOICE, choices=tuple(Conversation.STATUSES),
          filterable=True, groupable=True),
    Field("assignee", _("Assignee"), objects.USER, filterable=True, groupable=True),
    Field("last_message_at", _("Last message"), objects.DATETIME, filterable=True,
          sortable=True),
    Field("unread", _("Unread"), objects.NUMBER, sortable=True),
)  # fmt: skip


# A conversation's messages, calls among them (kind "call"), as reports read them
# (`selectors.message_rows`); the conversation's fields join as `conversation.status`.
MESSAGE_FIELDS = (
    Field("sent_at", _("Sent or received"), objects.DATETIME, "created_at", filterable=True,
          sortable=True, groupable=True),
    Field("channel", _("Channel"), objects.RECORD, "channel__name", filterable=True,
          groupable=True),
    Field("direction", _("Direction"), objects.CHOICE, choices=tuple(Message.DIRECTIONS),
          filterable=True, groupable=True),
    Field("kind", _("Kind"), objects.CHOICE, choices=tuple(Message.KINDS), filterable=True,
          groupable=True),
    Field("status", _("Delivery"), objects.CHOICE, choices=tuple(Message.DELIVERY),
          filterable=True, groupable=True),
    Field("author", _("Author"), objects.USER, filterable=True, groupable=True),
    Field("duration", _("Call duration, s"), objects.NUMBER, "duration", filterable=True,
          sortable=True, summable=True),
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
    objects.register(
        objects.ObjectType(
            key="message",
            label=_("Message"),
            plural=_("Messages"),
            model=Message,
            records=selectors.message_rows,
            nav_order=11,
            fields=MESSAGE_FIELDS,
            lookups=(objects.Lookup("conversation", _("Conversation"), "conversation"),),
            # "Conversations without an answer": no outgoing message.
            relations=(
                objects.Relation(
                    "messages", _("Messages"), "conversation", "message", "conversation"
                ),
            ),
            part_of="conversation",
        )
    )
