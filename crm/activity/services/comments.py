"""Comments on any record, with @mentions of colleagues."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.accounts.models import Membership, User
from crm.activity.events import emit, subject_type
from crm.activity.models import Comment

# "@priya" (the part of a colleague's email before the @, or a unique first name) or
# "@[Priya Sharma]" (a full name or an email). Not the @ inside an email address.
MENTION = re.compile(r"(?<![\w@.])@(?:\[([^\]\n]{1,120})\]|([\w.+-]{1,64}))")


def mentioned_users(body: str) -> list[User]:
    """The active members of the workspace that `body` mentions, in order of appearance.
    A mention that could mean two people means nobody."""
    matches = list(MENTION.finditer(body or ""))
    if not matches:
        return []
    users = [
        m.user
        for m in Membership.objects.filter(is_active=True, user__is_active=True).select_related(
            "user"
        )
    ]
    found: dict[int, User] = {}
    for match in matches:
        bracketed, word = match.group(1), match.group(2)
        if bracketed:
            wanted = " ".join(bracketed.split()).lower()
            hits = [
                u
                for u in users
                if wanted in (u.get_full_name().lower(), u.email.lower())
                or wanted == " ".join(u.get_full_name().split()).lower()
            ]
        else:
            wanted = word.rstrip(".").lower()
            hits = [u for u in users if u.email.lower().split("@")[0] == wanted]
            if not hits:
                hits = [u for u in users if u.first_name.lower() == wanted]
        if len(hits) == 1:
            found.setdefault(hits[0].pk, hits[0])
    return list(found.values())


@transaction.atomic
def comment_add(*, actor: Membership, subject, body: str) -> Comment:
    """A comment on `subject` (found through its selector by the caller). Mentioned
    colleagues are notified through the event spine."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    body = body[:10000]
    mentions = [u.pk for u in mentioned_users(body)]
    kind = subject_type(subject)
    comment = Comment.objects.create(
        object_type=kind, object_id=subject.pk, author=actor.user, body=body, mentions=mentions
    )
    emit(
        "comment.added",
        actor=actor.user,
        subject=comment,
        data={
            "body": body[:1000],
            "mentions": mentions,
            "object_type": kind,
            "object_id": subject.pk,
            "subject_repr": str(subject)[:200],
        },
        related=[subject],
    )
    return comment
