"""Every write to tasks: create, update (reschedule), complete, reopen, delete.

Each one checks the role's "task" grant, emits its event with the task's record as related
(so the record's timeline shows it) and tells `subjects.changed` about that record, so
figures other apps derive from tasks (a deal's next activity) stay true.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import Membership, User
from crm.activity import subjects
from crm.activity.events import changes, emit, snapshot, subject_type
from crm.activity.models import Task
from crm.activity.records import Ref, activity_type

FIELDS = [
    "title", "kind", "due_at", "all_day", "due_date", "duration_minutes", "assignee", "notes",
    "reminder_minutes_before", "subject_repr",
]  # fmt: skip
EDITABLE = {
    "title", "kind", "due_at", "all_day", "due_date", "duration_minutes", "assignee", "notes",
    "reminder_minutes_before",
}  # fmt: skip
# A whole-day task is reminded about relative to this time of its day, in the assignee's zone.
ALL_DAY_REMINDER_TIME = dt.time(9, 0)
UNCHANGED = object()


def require(actor: Membership, action: str) -> None:
    if not actor.can("task", action):
        raise PermissionDenied(_("Your role does not allow this."))


def _tz_of(user: User | None, actor: Membership):
    name = (user.time_zone if user else "") or actor.tenant.time_zone
    return zoneinfo.ZoneInfo(name or "UTC")


def _check_assignee(user: User | None) -> None:
    if user is None or not Membership.objects.filter(user=user, is_active=True).exists():
        raise ValidationError({"assignee": _("Choose an active member of this workspace.")})


def _normalise_due(task: Task, tz) -> None:
    """Exactly one of: a moment (due_at), or a whole day (all_day + due_date)."""
    if task.all_day:
        if task.due_date is None and task.due_at is not None:
            task.due_date = timezone.localtime(task.due_at, tz).date()
        task.due_at = None
        if task.due_date is None:
            raise ValidationError({"due_date": _("Choose the day.")})
    else:
        if task.due_at is None:
            raise ValidationError({"due_at": _("Choose when it is due, or make it all day.")})
        task.due_date = None


def reminder_at(task: Task, tz) -> dt.datetime | None:
    """When the reminder should go out: none without one, and none for a task already due."""
    if task.reminder_minutes_before is None or task.done_at:
        return None
    if task.all_day:
        start = dt.datetime.combine(task.due_date, ALL_DAY_REMINDER_TIME, tzinfo=tz)
    else:
        start = task.due_at
    if start <= timezone.now():
        return None
    return start - dt.timedelta(minutes=task.reminder_minutes_before)


def _schedule_reminder(task: Task, tz) -> None:
    when = reminder_at(task, tz)
    if when != task.remind_at:
        task.remind_at = when
        task.reminded_at = None  # rescheduled: remind again


def _set_subject(task: Task, subject) -> None:
    if subject is None:
        task.object_type, task.object_id, task.subject_repr = "", None, ""
        return
    kind = subject_type(subject)
    if activity_type(kind) is None:
        raise ValidationError(
            {"object_type": _("Tasks can be about deals, contacts or companies.")}
        )
    task.object_type, task.object_id, task.subject_repr = kind, subject.pk, str(subject)[:200]


def _related(task: Task, *more) -> list:
    refs = {(task.object_type, task.object_id), *more}
    return [Ref(kind, pk) for kind, pk in sorted(refs, key=str) if kind and pk]


def _changed(*refs) -> None:
    for kind, pk in dict.fromkeys(refs):
        if kind and pk:
            subjects.changed(kind, pk)


def _clean(task: Task) -> None:
    if task.duration_minutes is None:
        task.duration_minutes = 30
    task.title = (task.title or "").strip()
    task.full_clean(exclude=["tenant", "assignee", "created_by"])


@transaction.atomic
def task_create(
    *,
    actor: Membership,
    title: str,
    kind: str = Task.TASK,
    due_at: dt.datetime | None = None,
    all_day: bool = False,
    due_date: dt.date | None = None,
    duration_minutes: int = 30,
    assignee: User | None = None,
    subject=None,
    notes: str = "",
    reminder_minutes_before: int | None = None,
) -> Task:
    """A new task. `subject` is a record the actor found through its selector."""
    require(actor, "create")
    assignee = assignee or actor.user
    _check_assignee(assignee)
    task = Task(
        title=title,
        kind=kind,
        due_at=due_at,
        all_day=all_day,
        due_date=due_date,
        duration_minutes=duration_minutes,
        assignee=assignee,
        created_by=actor.user,
        notes=(notes or "").strip(),
        reminder_minutes_before=reminder_minutes_before,
    )
    _set_subject(task, subject)
    tz = _tz_of(assignee, actor)
    _normalise_due(task, tz)
    _clean(task)
    _schedule_reminder(task, tz)
    task.save()
    emit(
        "task.created",
        actor=actor.user,
        subject=task,
        data={"assignee_id": task.assignee_id, "kind": task.kind, "due": _due_text(task)},
        related=_related(task),
    )
    _changed((task.object_type, task.object_id))
    return task


def _due_text(task: Task) -> str:
    return task.due_date.isoformat() if task.all_day else task.due_at.isoformat()


def _locked(task: Task) -> Task:
    locked = Task.objects.select_for_update(of=("self",)).select_related("assignee")
    return locked.get(pk=task.pk)


@transaction.atomic
def task_update(*, actor: Membership, task: Task, data: dict, subject=UNCHANGED) -> Task:
    """Change any of EDITABLE (moving the due time reschedules the reminder); `subject` moves
    the task to another record (None: to none)."""
    require(actor, "edit")
    task = _locked(task)
    before = snapshot(task, FIELDS)
    before_ref = (task.object_type, task.object_id)
    old_assignee, old_due = task.assignee_id, (task.due_at, task.due_date)
    for name, value in data.items():
        if name in EDITABLE:
            setattr(task, name, value.strip() if isinstance(value, str) else value)
    if "due_at" in data and "all_day" not in data and data["due_at"] is not None:
        task.all_day = False
    if "due_date" in data and "all_day" not in data and data["due_date"] is not None:
        task.all_day = True
    if task.assignee_id != old_assignee:
        _check_assignee(task.assignee)
    if subject is not UNCHANGED:
        _set_subject(task, subject)
    tz = _tz_of(task.assignee, actor)
    _normalise_due(task, tz)
    if (task.due_at, task.due_date) != old_due:
        task.overdue_at = None  # a new due time: it may fall overdue again (task.overdue)
    _clean(task)
    _schedule_reminder(task, tz)
    task.save()
    diff = changes(before, snapshot(task, FIELDS))
    if diff:
        extra = {}
        if task.assignee_id != old_assignee:
            extra["assignee_id"] = [old_assignee, task.assignee_id]
        emit(
            "task.updated",
            actor=actor.user,
            subject=task,
            data={"changes": diff, **extra},
            related=_related(task, before_ref),
        )
    _changed(before_ref, (task.object_type, task.object_id))
    return task


@transaction.atomic
def task_reschedule(*, actor: Membership, task: Task, day: dt.date, tz) -> Task:
    """Move the task to another day (dragged on the calendar), keeping its time of day as
    seen in `tz`."""
    if task.all_day:
        return task_update(actor=actor, task=task, data={"due_date": day})
    local = timezone.localtime(task.due_at, tz)
    moved = dt.datetime.combine(day, local.time(), tzinfo=tz)
    return task_update(actor=actor, task=task, data={"due_at": moved})


@transaction.atomic
def task_complete(*, actor: Membership, task: Task, note: str = "") -> Task:
    require(actor, "edit")
    task = _locked(task)
    if task.done_at:
        return task
    task.done_at = timezone.now()
    task.completion_note = (note or "").strip()[:5000]
    task.save(update_fields=["done_at", "completion_note", "updated_at"])
    emit(
        "task.completed",
        actor=actor.user,
        subject=task,
        data={"note": task.completion_note},
        related=_related(task),
    )
    _changed((task.object_type, task.object_id))
    return task


@transaction.atomic
def task_reopen(*, actor: Membership, task: Task) -> Task:
    require(actor, "edit")
    task = _locked(task)
    if not task.done_at:
        return task
    task.done_at = None
    task.completion_note = ""
    task.overdue_at = None
    _schedule_reminder(task, _tz_of(task.assignee, actor))
    task.save(
        update_fields=["done_at", "completion_note", "remind_at", "reminded_at", "overdue_at",
                       "updated_at"]
    )  # fmt: skip
    emit("task.reopened", actor=actor.user, subject=task, related=_related(task))
    _changed((task.object_type, task.object_id))
    return task


@transaction.atomic
def task_delete(*, actor: Membership, task: Task) -> None:
    require(actor, "delete")
    ref = (task.object_type, task.object_id)
    emit("task.deleted", actor=actor.user, subject=task, related=_related(task))
    Task.objects.filter(pk=task.pk).delete()
    _changed(ref)
