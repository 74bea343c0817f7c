"""Reads of the activity core, shared by pages, the API, the calendar feed and reports."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.accounts import permissions
from crm.accounts.models import Department, Membership, User
from crm.accounts.selectors import visible_to
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant
from crm.web.params import as_id

from . import records
from .models import (
    AuditEntry,
    CalendarFeed,
    Comment,
    Event,
    Note,
    Notification,
    NotificationPreference,
    Task,
    TimelineEntry,
)


def audit_trail():
    return AuditEntry.objects.select_related("actor").order_by("-id")


# --- what a member may see of events ----------------------------------------------------


def _tasks_of(membership: Membership) -> QuerySet[Task]:
    return visible_to(Task.objects.all(), membership, "task", owner_field="assignee")


def subjects_visible_q(membership: Membership, prefix: str = "event__") -> Q:
    """Events (or rows reaching one through `prefix`) whose subject the member may see: a
    deal, a contact or a company by its type's grant; a task by the task grant (its
    assignee); a comment or a note by the record it is on; a record of any other registered
    type by that type's selector (an invoice on its deal's timeline). Any other subject: no."""
    type_field, id_field = f"{prefix}subject_type", f"{prefix}subject_id"
    seen = records.visible_sets(membership)
    on_seen_records = records.visible_q(membership, seen=seen)
    subjects = {**seen, "task": records.seen_by(membership, "task", _tasks_of)}
    subjects.update(records.other_visible_sets(membership, subjects))
    condition = records.visible_q(membership, type_field, id_field, seen=subjects)
    for model in (Comment, Note):
        on_them = model.objects.filter(on_seen_records).values("pk")
        condition |= Q(**{type_field: model.event_subject_type, f"{id_field}__in": on_them})
    return condition


def _merged_into(membership: Membership, object_type: str) -> Q:
    """Events of records merged into one of `object_type`: the same type, and gone (a merge
    moves their timeline to the survivor; nothing else puts a record on the timeline of
    another record of its own type)."""
    spec = records.activity_type(object_type)
    if spec is None:
        return Q(pk__in=[])
    model = spec.records(membership).model
    return Q(event__subject_type=object_type) & ~Q(event__subject_id__in=model.objects.values("pk"))


def timeline_for(membership: Membership, object_type: str, object_id: int):
    """The timeline of a record the caller has found through its selector, as `membership`
    may see it: the record's own events (and those of records merged into it), and events
    about other records (a deal on its contact's card, a task, a comment) only when the
    member may see those too. The others are left out, not shortened. One query."""
    shown = (
        Q(event__subject_type=object_type, event__subject_id=object_id)
        | _merged_into(membership, object_type)
        | subjects_visible_q(membership)
    )
    return (
        TimelineEntry.objects.filter(object_type=object_type, object_id=object_id)
        .filter(shown)
        .select_related("event", "event__actor")
        .order_by("-created_at", "-id")
    )


HIDDEN_LABELS = {
    "contact": _("A contact you cannot see"),
    "company": _("A company you cannot see"),
    "deal": _("A deal you cannot see"),
}


def timeline_page(membership: Membership, object_type: str, object_id: int, limit: int = 100):
    """The newest `limit` entries of `timeline_for`, with the names of records the member
    may not see taken out of what they say: an event about a visible deal may name a
    contact or company (its `related` records) that the member cannot see, as "Person
    added: <name>" or a company change. One query per type of record named, at most."""
    entries = list(timeline_for(membership, object_type, object_id)[:limit])
    hidden = _hidden_related(membership, [entry.event for entry in entries])
    for entry in entries:
        kinds = {kind for kind, pk in entry.event.related if (kind, int(pk)) in hidden}
        if kinds:
            entry.event.data = _without_names(entry.event.data, kinds)
    return entries


def event_data_seen_by(membership: Membership, event: Event) -> dict:
    """An event's `data` as `membership` may read it: names of the related records they
    may not see taken out, as on a timeline (outgoing webhooks send this)."""
    hidden = _hidden_related(membership, [event])
    kinds = {kind for kind, pk in event.related if (kind, int(pk)) in hidden}
    return _without_names(event.data, kinds) if kinds else dict(event.data)


def _hidden_related(membership: Membership, events) -> set[tuple[str, int]]:
    """The (type, id) of the records named by the events' `related` that the member may not
    see. One query per type of record named, at most."""
    named = {(kind, int(pk)) for e in events for kind, pk in e.related}
    hidden = set()
    for kind in {kind for kind, _pk in named}:
        spec = records.activity_type(kind)
        if spec is None or records.seen_by(membership, kind, spec.records) is None:
            continue  # not a record type, or the member sees every one of them
        ids = {pk for k, pk in named if k == kind}
        seen = set(spec.records(membership).filter(pk__in=ids).values_list("pk", flat=True))
        hidden |= {(kind, pk) for pk in ids - seen}
    return hidden


def _without_names(data: dict, kinds: set[str]) -> dict:
    """`data` with the values naming a record of `kinds` ("contact", a change of
    "company") replaced by "a ... you cannot see"."""
    data = dict(data)
    changes = dict(data.get("changes") or {})
    for kind in kinds:
        label = str(HIDDEN_LABELS.get(kind, _("A record you cannot see")))
        if kind in data:
            data[kind] = label
        if kind in changes:
            changes[kind] = [label if value else value for value in changes[kind]]
    if changes:
        data["changes"] = changes
    return data


# --- tasks ------------------------------------------------------------------------------


def tasks_visible_to(membership: Membership) -> QuerySet[Task]:
    """The one way to reach tasks: the role's "task" grant, owned by the assignee. Each
    task says whether the member may see its record too (`subject_visible`)."""
    qs = Task.objects.select_related("assignee")
    return with_subject_visible(
        visible_to(qs, membership, "task", owner_field="assignee"), membership
    )


def with_subject_visible(qs: QuerySet[Task], membership: Membership) -> QuerySet[Task]:
    """Annotate `subject_visible`: a task of the member's may be about a colleague's record
    (the admin put it there); the task shows, that record's name and link do not."""
    return qs.annotate(
        subject_visible=ExpressionWrapper(
            Q(object_type="") | records.visible_q(membership), output_field=BooleanField()
        )
    )


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


def comments_visible_to(membership: Membership) -> QuerySet[Comment]:
    """Comments on the records the member may see: the one rule for listing and opening."""
    return Comment.objects.filter(records.visible_q(membership)).select_related("author")


def comments_involving(membership: Membership) -> QuerySet[Comment]:
    """Comments the member wrote or was mentioned in, on records they may see (a mention
    notifies; it does not open the record)."""
    user = membership.user
    return comments_visible_to(membership).filter(Q(author=user) | Q(mentions__contains=[user.pk]))


# --- notifications ----------------------------------------------------------------------


def notifications_for(membership: Membership) -> QuerySet[Notification]:
    """The member's notifications; `subject_hidden` marks those about a record they may not
    see (any more): they are shown without its title and link (`Notification.shown_*`)."""
    hidden = Case(
        When(event__isnull=True, then=Value(False)),
        When(subjects_visible_q(membership), then=Value(False)),
        default=Value(True),
        output_field=BooleanField(),
    )
    return (
        Notification.objects.filter(recipient_id=membership.user_id)
        .select_related("event__actor")
        .annotate(subject_hidden=hidden)
        .order_by("-created_at", "-id")
    )


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def email_wanted(user_id: int, kind: str) -> bool:
    """Email is on unless the person turned it off for this kind, in this workspace."""
    pref = NotificationPreference.objects.filter(user_id=user_id, kind=kind).first()
    return True if pref is None else pref.email


def member_email_wanted(user_id: int, kind: str) -> bool | None:
    """In one query: None when the person is not an active member of this workspace, else
    whether they want email for this kind (`email_wanted`)."""
    wanted = NotificationPreference.objects.filter(user_id=OuterRef("user_id"), kind=kind)
    row = (
        Membership.objects.filter(user_id=user_id, is_active=True)
        .annotate(email=Subquery(wanted.values("email")[:1]))
        .values_list("email", flat=True)[:1]
    )
    found = list(row)
    if not found:
        return None
    return True if found[0] is None else found[0]


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
