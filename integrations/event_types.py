"""The inbox's events: messages in and out of a conversation."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import declare


def declare_all() -> None:
    declare(
        "message.received",
        _("Message received"),
        subject="conversation",
        payload=("channel", "kind", "message", "contact", "text"),
    )
    declare(
        "message.sent",
        _("Message sent"),
        subject="conversation",
        payload=("channel", "kind", "message", "contact", "text"),
    )
    declare(
        "conversation.assigned",
        _("Conversation assigned"),
        subject="conversation",
        payload=("assignee", "previous"),
    )
    declare(
        "conversation.closed",
        _("Conversation closed"),
        subject="conversation",
        payload=("channel", "contact"),
    )
    # Unsorted requests (unsorted.py): accepted (a client made from the sender), declined.
    declare(
        "conversation.accepted",
        _("Request accepted"),
        subject="conversation",
        payload=("contact", "channel"),
    )
    declare(
        "conversation.declined",
        _("Request declined as spam"),
        subject="conversation",
        payload=("channel", "blocked"),
    )
    declare(
        "conversation.note_added",
        _("Internal note added"),
        subject="conversation",
        payload=("message", "mentions", "text"),
    )
    declare(
        "form.submitted",
        _("Form submitted"),
        subject="conversation",
        payload=("form", "name", "channel", "message", "contact", "deal", "text", "utm",
                 "referrer", "landing_page"),
    )  # fmt: skip
    declare(
        "contact.visited_site",
        _("Visited the site"),
        subject="contact",
        payload=("url", "title", "referrer", "returned_after_days", "visit"),
    )
    declare(
        "call.ended",
        _("Call ended"),
        subject="conversation",
        payload=("channel", "message", "contact", "direction", "from", "to", "duration",
                 "answered", "text", "audio"),
    )  # fmt: skip
    declare(
        "call.missed",
        _("Missed call"),
        subject="conversation",
        payload=("channel", "message", "contact", "from", "to", "task", "assignee", "text"),
    )
    declare(
        "call.recorded",
        _("Call recorded"),
        subject="conversation",
        payload=("channel", "message", "contact", "text", "audio"),
    )
