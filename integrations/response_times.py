"""Response times: per conversation, the time to the first answer (first_response_at -
created_at) and to closing (closed_at - created_at); per manager, the medians of both and
how many conversations; and the workspace's response target (InboxSettings), past which a
waiting conversation gets a badge in the list.

Who sees whose figures follows the conversations they may see: admins all, heads their
department, a manager with own visibility their own.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import Membership, User
from crm.accounts.permissions import OWN

from . import selectors
from .models import InboxSettings

DEFAULT_TARGET = 60
PERIODS = (7, 30, 90)


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median of intervals, as an interval."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _span(end: str):
    return ExpressionWrapper(F(end) - F("created_at"), output_field=DurationField())


def target_minutes() -> int:
    found = InboxSettings.objects.values_list("response_target_minutes", flat=True).first()
    return DEFAULT_TARGET if found is None else found


@transaction.atomic
def target_save(*, actor: Membership, minutes: int) -> InboxSettings:
    """The workspace's response target, in minutes (admins). ValueError if out of range."""
    from .services import require_admin

    require_admin(actor)
    if minutes is None or not 1 <= minutes <= 60 * 24 * 14:
        raise ValueError(_("The response target is from 1 minute to 14 days (20160 minutes)."))
    found, _created = InboxSettings.objects.select_for_update().get_or_create()
    found.response_target_minutes = minutes
    found.save(update_fields=["response_target_minutes"])
    return found


def of(conversation) -> dict:
    """The conversation's own figures, as text: to the first answer, to closing."""

    def span(end):
        return duration_text(end - conversation.created_at) if end else ""

    return {"first_response": span(conversation.first_response_at),
            "to_close": span(conversation.closed_at)}  # fmt: skip


def overdue(conversation, target: dt.timedelta, now: dt.datetime) -> bool:
    """Waiting for an answer longer than the target (the list's badge)."""
    since = conversation.waiting_since
    return bool(since and conversation.status == "open" and now - since > target)


def per_manager(membership: Membership, days: int = 30) -> list[dict]:
    """For each assignee among the conversations opened in the last `days` that the member
    may see (a manager with own visibility: only their own): conversations, answered,
    closed, median time to first response and to close. One query."""
    qs = selectors.conversations_for(membership).filter(
        created_at__gte=timezone.now() - dt.timedelta(days=days), assignee__isnull=False,
        is_spam=False,
    )  # fmt: skip
    if membership.role.visibility(selectors.OBJECT_TYPE) == OWN:
        # Heads see their department's (conversations_for narrows to it); a manager with
        # own visibility their own alone.
        qs = qs.filter(assignee_id=membership.user_id)
    rows = list(
        qs.order_by()
        .values("assignee_id")
        .annotate(
            count=Count("pk"),
            answered=Count("pk", filter=Q(first_response_at__isnull=False)),
            closed=Count("pk", filter=Q(closed_at__isnull=False)),
            first_response=Median(_span("first_response_at"),
                                  filter=Q(first_response_at__isnull=False)),
            to_close=Median(_span("closed_at"), filter=Q(closed_at__isnull=False)),
        )
    )  # fmt: skip
    people = User.objects.in_bulk([r["assignee_id"] for r in rows])
    for row in rows:
        row["user"] = people.get(row["assignee_id"])
    return sorted(rows, key=lambda r: r["user"].display_name if r["user"] else "")


def duration_text(value: dt.timedelta | None) -> str:
    """1 d 3 h, 2 h 5 min, 4 min, under a minute; an empty string for none."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("under a minute")
    days, rest = divmod(minutes, 60 * 24)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}
