"""The inbox's panel on the client cards (contacts.panels): the client's conversations the
member may see, each with its channel, its last message and a link to it."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string

from . import selectors
from .models import Message

PANEL_SIZE = 10


def client_conversations(membership, kind: str, record):
    """The conversations of a contact (or of a company's people), visible to the member,
    the latest first, each with `last_text` (its last message or note). Two queries."""
    qs = selectors.conversations_for(membership)
    if kind == "contact":
        qs = qs.filter(contact_id=record.pk)
    elif kind == "company":
        qs = qs.filter(contact__company_id=record.pk)
    else:
        return []
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    return list(
        qs.select_related("channel")
        .annotate(last_text=Subquery(last.values("text")[:1]),
                  last_direction=Subquery(last.values("direction")[:1]))
        .order_by("-last_message_at", "-id")[:PANEL_SIZE]
    )  # fmt: skip


def client_panel(request, kind: str, record) -> str:
    """Nothing for a role without the inbox."""
    membership = request.membership
    if not membership.can(selectors.OBJECT_TYPE, "view"):
        return ""
    rows = client_conversations(membership, kind, record)
    return render_to_string(
        "integrations/_card_conversations.html", {"rows": rows, "kind": kind}, request=request
    )
