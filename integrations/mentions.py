"""@mentions in internal notes and in the team chat.

The syntax is the comments' (crm.activity.services.comments): `@priya` (the part of an
email before the @, or a unique first name) or `@[Priya Sharma]`, which the composer's
autocomplete inserts.

Decision: a mention grants nothing, and a note may mention only members who can open the
conversation. Mentioning anyone else is refused with their name (the note is not stored,
the text stays in the box), and the autocomplete lists them as unable to open it; the
way to bring a colleague in is to assign the conversation to them. Should the
conversation move away from the mentioned member before the notification is dispatched,
the notification says who, never what (crm.activity's rule).
"""

from __future__ import annotations

import re

from django.db.models import Q
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from crm.accounts.models import Membership, User
from crm.activity.services.comments import MENTION, mentioned_users

from . import selectors
from .models import Conversation

SUGGESTIONS = 8


def in_text(text: str) -> list[User]:
    """The active members `text` mentions (in order, once each)."""
    return mentioned_users(text)


def can_open(user_id: int, conversation: Conversation) -> bool:
    membership = (
        Membership.objects.select_related("role")
        .filter(user_id=user_id, is_active=True, user__is_active=True)
        .first()
    )
    return membership is not None and (
        selectors.conversations_for(membership).filter(pk=conversation.pk).exists()
    )


def check_note(conversation: Conversation, users: list[User]) -> list[int]:
    """The ids of the mentioned members, or ValueError naming those who cannot open the
    conversation (one query per person mentioned)."""
    blocked = [u.display_name for u in users if not can_open(u.pk, conversation)]
    if blocked:
        raise ValueError(
            _(
                "%(names)s cannot open this conversation, so a mention would not reach "
                "them. Assign the conversation to them, or leave the mention out."
            )
            % {"names": ", ".join(blocked)}
        )
    return [u.pk for u in users]


def members_matching(query: str, limit: int = SUGGESTIONS) -> list[Membership]:
    """Active members whose name or email starts with, or contains, `query`."""
    query = (query or "").strip().lstrip("@[")[:60]
    qs = Membership.objects.filter(is_active=True, user__is_active=True).select_related(
        "user", "role"
    )
    if query:
        qs = qs.filter(
            Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
            | Q(user__email__istartswith=query)
        )
    return list(qs.order_by("user__first_name", "user__last_name", "user__email")[:limit])


def suggestions(query: str, conversation: Conversation | None = None) -> list[dict]:
    """What the autocomplete lists: each member's name, the text to insert, and for a
    note whether they can open the conversation (at most SUGGESTIONS + 1 queries)."""
    out = []
    for membership in members_matching(query):
        user = membership.user
        allowed = conversation is None or (
            selectors.conversations_for(membership).filter(pk=conversation.pk).exists()
        )
        out.append(
            {
                "id": user.pk,
                "name": user.display_name,
                "insert": f"@[{user.get_full_name() or user.email}]",
                "allowed": allowed,
            }
        )
    return out


def highlight(text: str) -> str:
    """The text, escaped, line breaks kept, each mention in a <mark>."""
    out, last = [], 0
    for match in MENTION.finditer(text or ""):
        out.append(escape(text[last : match.start()]))
        out.append(f'<mark class="mention">{escape(match.group(0))}</mark>')
        last = match.end()
    out.append(escape((text or "")[last:]))
    return mark_safe(re.sub(r"\r\n|\r|\n", "<br>", "".join(out)))  # noqa: S308  (escaped above)
