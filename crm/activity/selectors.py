"""Reads of the activity core, shared by pages, the API, the calendar feed and reports."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from crm.accounts import permissions
from crm.accounts.models import Department, Membership, User
from crm.accounts.selectors import visible_to
from crm.web.params import as_id

from .models import (
    AuditEntry,
    CalendarFeed,
    Comment,
    Notification,
    NotificationPreference,
    Task,
    TimelineEntry,
)


def audit_trail():
    return AuditEntry.objects.select_related("actor").order_by("-id")


def timeline_for(object_type: str, object_id: int):
    return (
        TimelineEntry.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("event", "event__actor")
        .order_by("-created_at", "-id")
    )


# --- tasks ------------------------------------------------------------------------------


def tasks_visible_to(membership: Membership) -> QuerySet[Task]:
    """The one way to reach tasks: the role's "task" grant, owned by the assignee."""
    qs = Task.objects.select_related("assignee")
    return visible_to(qs, membership, "task", owner_field="assignee")


def in_due_order(qs: QuerySet[Task], tz) -> QuerySet[Task]:
    """By day (in `tz`), whole-day tasks first, then by time."""
    return qs.order_by(
        Coalesce("due_date", TruncDate("due_at", tzinfo=tz)),
        F("due_at").asc(nulls_first=True),
        "id",
    )


def day_start(day: dt.date, tz) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def due_between(qs: QuerySet[Task], first: dt.date, last: dt.date, tz) -> QuerySet[Task]:
    """Tasks due on the days first..last inclusive, as seen in `tz`."""
    start, end = day_start(first, tz), day_start(last + dt.timedelta(days=1), tz)
    return qs.filter(
        Q(all_day=False, due_at__gte=start, due_at__lt=end)
        | Q(all_day=True, due_date__gte=first, due_date__lte=last)
    )


def overdue(qs: QuerySet[Task], now: dt.datetime, today: dt.date) -> QuerySet[Task]:
    return qs.filter(done_at=None).filter(
        Q(all_day=False, due_at__lt=now) | Q(all_day=True, due_date__lt=today)
    )


def task_local_day(task: Task, tz) -> dt.date:
    return task.due_date if task.all_day else timezone.localtime(task.due_at, tz).date()


def task_start(task: Task, tz) -> dt.datetime:
    """The moment a task begins; a whole-day task at the start of its day in `tz`."""
    return day_start(task.due_date, tz) if task.all_day else task.due_at


def is_overdue(task: Task, now: dt.datetime, today: dt.date) -> bool:
    if task.done_at:
        return False
    return task.due_date < today if task.all_day else task.due_at < now


@dataclass
class MyDay:
    overdue: list
    today: list
    upcoming: list
    done: list
    upcoming_days: int


UPCOMING_DAYS = 14
LIMIT = 100


def my_day(membership: Membership, *, now: dt.datetime, tz, user: User | None = None) -> MyDay:
    """The member's (or a visible colleague's) tasks: overdue, today, the next two weeks, and
    what was done today. Four queries."""
    today = timezone.localtime(now, tz).date()
    tomorrow = today + dt.timedelta(days=1)
    mine = tasks_visible_to(membership).filter(assignee=user or membership.user)
    open_ = mine.filter(done_at=None)
    return MyDay(
        overdue=list(in_due_order(overdue(open_, now, today), tz)[:LIMIT]),
        today=list(
            in_due_order(
                open_.filter(
                    Q(all_day=False, due_at__gte=now, due_at__lt=day_start(tomorrow, tz))
                    | Q(all_day=True, due_date=today)
                ),
                tz,
            )[:LIMIT]
        ),
        upcoming=list(
            in_due_order(
                due_between(open_, tomorrow, today + dt.timedelta(days=UPCOMING_DAYS), tz), tz
            )[:LIMIT]
        ),
        done=list(mine.filter(done_at__gte=day_start(today, tz)).order_by("-done_at", "-id")),
        upcoming_days=UPCOMING_DAYS,
    )


def subject_tasks(membership: Membership, object_type: str, object_id: int, tz=None):
    """Open tasks about one record that the member may see, soonest first."""
    tz = tz or timezone.get_current_timezone()
    qs = tasks_visible_to(membership).filter(
        object_type=object_type, object_id=object_id, done_at=None
    )
    return in_due_order(qs, tz)


def next_activity_at(object_type: str, object_id: int, tz=None) -> dt.datetime | None:
    """When the record's next open task begins (whole-day tasks at the start of their day in
    `tz`, the workspace's time zone by default): what a deal shows as its next activity."""
    if tz is None:
        from crm.tenancy.context import require_tenant_id
        from crm.tenancy.models import Tenant

        tz = zoneinfo.ZoneInfo(Tenant.objects.get(pk=require_tenant_id()).time_zone)
    task = in_due_order(
        Task.objects.filter(object_type=object_type, object_id=object_id, done_at=None), tz
    ).first()
    return task_start(task, tz) if task else None


def calendar_people(membership: Membership) -> list[User]:
    """Whose calendars the member may open: their own, their team's when they head a
    department (and may see the department's tasks), everyone's with "all" visibility."""
    role = membership.role
    if not role.can("task", "view"):
        return []
    visibility = role.visibility("task")
    people = Membership.objects.filter(is_active=True).select_related("user")
    if visibility == permissions.ALL:
        rows = list(people)
    elif visibility == permissions.DEPARTMENT:
        headed = Department.objects.filter(head_id=membership.user_id).values("id")
        rows = list(people.filter(Q(department_id__in=headed) | Q(user_id=membership.user_id)))
    else:
        rows = list(people.filter(user_id=membership.user_id))
    users = [m.user for m in rows]
    me = [u for u in users if u.pk == membership.user_id]
    others = sorted(
        (u for u in users if u.pk != membership.user_id), key=lambda u: u.display_name.lower()
    )
    return me + others


def calendar_tasks(
    membership: Membership, people: list[User], first: dt.date, last: dt.date, tz
) -> list[Task]:
    qs = tasks_visible_to(membership).filter(assignee__in=[u.pk for u in people])
    return list(in_due_order(due_between(qs, first, last, tz), tz)[:1000])


# --- comments ---------------------------------------------------------------------------


def comments_on(object_type: str, object_id: int) -> QuerySet[Comment]:
    """Comments on one record; the caller has found the record through its selector."""
    return (
        Comment.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("author")
        .order_by("created_at", "id")
    )


def comments_involving(user: User) -> QuerySet[Comment]:
    """Comments the person wrote or was mentioned in."""
    return Comment.objects.filter(Q(author=user) | Q(mentions__contains=[user.pk])).select_related(
        "author"
    )


# --- notifications ----------------------------------------------------------------------


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def email_wanted(user_id: int, kind: str) -> bool:
    """Email is on unless the person turned it off for this kind, in this workspace."""
    pref = NotificationPreference.objects.filter(user_id=user_id, kind=kind).first()
    return True if pref is None else pref.email


def email_preferences(user: User) -> dict[str, bool]:
    prefs = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: prefs.get(kind, True) for kind, _label in Notification.KINDS}


# --- calendar feeds ---------------------------------------------------------------------


def calendar_feed_of(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_resolve(raw: str) -> CalendarFeed | None:
    """The feed for a raw token `cal_<tenant id>_<secret>`, looked up inside the workspace it
    names, if its person is still an active member there. Call it inside that workspace's
    scope (see `feed_tenant_id`)."""
    feed = (
        CalendarFeed.objects.select_related("user", "tenant")
        .filter(token_hash=CalendarFeed.hash(raw), user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    feed.membership = (
        Membership.objects.select_related("role").filter(user=feed.user, is_active=True).first()
    )
    return feed if feed.membership is not None else None


def feed_tenant_id(raw: str) -> int | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "cal" or not parts[2]:
        return None
    return as_id(parts[1])
