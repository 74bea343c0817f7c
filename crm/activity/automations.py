"""What the activity core adds to the automation catalogue (crm/automations.py): create a
task, notify someone, add a comment, on any record tasks and comments hang on; and the
workspace rule on an overdue task, with the action that gives a task to someone."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from crm import assigning, automations, objects
from crm.accounts.models import Department, Membership, Role, User
from crm.automations import Action, Invalid, Params, Trigger

from . import selectors
from .models import Notification, Task
from .records import activity_type
from .services import comments, notifications, tasks

PEOPLE = Literal["owner", "user", "role", "department_head"]


class Person(Params):
    """Who: the record's owner, a named member, the least loaded member of a role, or the
    head of the owner's department."""

    user: int | None = Field(None, ge=1, description='The member (when "user").')
    role: int | None = Field(None, ge=1, description='The role (when "role").')


def _check_person(kind: str, params) -> None:
    if kind == "user":
        if params.user is None:
            raise Invalid("user", _("Choose a person."))
        if not Membership.objects.filter(user_id=params.user, is_active=True).exists():
            raise Invalid("user", _("Choose an active member of the workspace."))
    elif kind == "role" and (
        params.role is None or not Role.objects.filter(pk=params.role).exists()
    ):
        raise Invalid("role", _("No such role."))


def _owner_of(record) -> int | None:
    """Whose the record is: its owner (deals, contacts), else its assignee (a conversation,
    a task)."""
    owner = getattr(record, "owner_id", None)
    return owner if owner is not None else getattr(record, "assignee_id", None)


def _person(kind: str, ctx, params) -> User:
    """The member `kind` names for this record; Invalid when there is none."""
    user_id = None
    if kind == "user":
        user_id = params.user
    elif kind == "owner":
        user_id = _owner_of(ctx.record())
    elif kind == "department_head":
        owner = _owner_of(ctx.record())
        department = Membership.objects.filter(user_id=owner).values_list("department", flat=True)
        user_id = Department.objects.filter(pk__in=department).values_list("head", flat=True)
        user_id = user_id.first()
    elif kind == "role":
        members = Membership.objects.filter(role_id=params.role, is_active=True)
        ranked = list(members.values_list("user_id", flat=True))
        busy = dict(
            Task.objects.filter(assignee_id__in=ranked, done_at=None)
            .values_list("assignee_id")
            .annotate(n=Count("id"))
        )
        candidates = sorted(ranked, key=lambda u: (busy.get(u, 0), u))
        user_id = candidates[0] if candidates else None
    found = _active_user(ctx, user_id) if user_id else None
    if found is None:
        raise Invalid(kind, _("There is nobody to give it to (%(who)s).") % {"who": kind})
    return found


def _active_user(ctx, user_id: int) -> User | None:
    """The active member's account, once per batch of steps (`ctx.memo`)."""
    key = ("active_user", user_id)
    if key not in ctx.memo:
        member = Membership.objects.filter(user_id=user_id, is_active=True).select_related("user")
        found = list(member[:1])
        ctx.memo[key] = found[0].user if found else None
    return ctx.memo[key]


def _describe_person(kind: str, ctx, params) -> str:
    try:
        return _person(kind, ctx, params).display_name
    except Invalid:
        return _("nobody")


class TaskParams(Person):
    title: str = Field(..., min_length=1, max_length=200, description="The task's title.")
    kind: Literal["call", "meeting", "task"] = Field("task", description="Call, meeting, to-do.")
    assignee: PEOPLE = Field("owner", description="For whom.")
    due_in_minutes: int = Field(0, ge=0, le=60 * 24 * 366, description="Due after this long.")
    notes: str = Field("", max_length=2000)


def _create_task(ctx, params) -> dict:
    record = ctx.record()
    task = tasks.task_create(
        actor=ctx.actor, title=params.title, kind=params.kind,
        due_at=timezone.now() + dt.timedelta(minutes=params.due_in_minutes),
        assignee=_person(params.assignee, ctx, params),
        subject=record if activity_type(ctx.object_type) else None, notes=params.notes,
    )  # fmt: skip
    return {"task": task.pk}


def _describe_task(ctx, params) -> str:
    kinds = dict(Task.KINDS)
    return _("Create a %(kind)s «%(title)s» for %(who)s, due in %(minutes)s minutes.") % {
        "kind": str(kinds[params.kind]).lower(), "title": params.title,
        "who": _describe_person(params.assignee, ctx, params), "minutes": params.due_in_minutes,
    }  # fmt: skip


class NotifyParams(Person):
    recipient: PEOPLE = Field("owner", description="Whom to notify.")
    text: str = Field(..., min_length=1, max_length=300, description="What to say.")


def _notify(ctx, params) -> dict:
    spec = objects.get(ctx.object_type)
    recipient = _person(params.recipient, ctx, params)
    key = ("email_wanted", recipient.pk)  # once per batch of steps
    if key not in ctx.memo:
        ctx.memo[key] = selectors.member_email_wanted(recipient.pk, Notification.AUTOMATION)
    if ctx.memo[key] is None:
        raise Invalid(params.recipient, _("There is nobody to give it to (%(who)s).")
                      % {"who": params.recipient})  # fmt: skip
    note = notifications.notify(
        recipient=recipient, kind=Notification.AUTOMATION, title=params.text,
        url=spec.card_url(ctx.object_id) if spec else "", email=ctx.memo[key],
    )  # fmt: skip
    return {"notification": note.pk if note else None, "recipient": recipient.pk}


def _describe_notify(ctx, params) -> str:
    return _("Notify %(who)s: «%(text)s».") % {
        "who": _describe_person(params.recipient, ctx, params),
        "text": params.text,
    }


class CommentParams(Params):
    body: str = Field(..., min_length=1, max_length=10000, description="The comment.")


def _comment(ctx, params) -> dict:
    if activity_type(ctx.object_type) is None:
        raise Invalid("type", _("Comments cannot hang on this record."))
    comment = comments.comment_add(actor=ctx.actor, subject=ctx.record(), body=params.body)
    return {"comment": comment.pk}


def _describe_comment(ctx, params) -> str:
    return _("Add the comment «%(body)s».") % {"body": params.body[:200]}


class OverdueParams(Params):
    kind: Literal["call", "meeting", "task"] | None = Field(None, description="Only this kind.")


def _overdue(event, params) -> list[int]:
    if params.kind is not None and (event.data or {}).get("kind") != params.kind:
        return []
    return [event.subject_id]


def _open_tasks(pool: list[int]) -> dict[int, int]:
    return dict(
        Task.objects.filter(assignee_id__in=pool, done_at=None)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def _assign_task(ctx, params) -> dict:
    task = ctx.record()
    user = User.objects.get(pk=assigning.choose(ctx, params, _open_tasks))
    if task.assignee_id != user.pk:
        tasks.task_update(actor=ctx.actor, task=task, data={"assignee": user})
    return {"assignee": user.pk}


def register() -> None:
    automations.register_action(Action(
        "task.create", gettext_lazy("Create a task"), TaskParams, _create_task,
        validate=lambda p: _check_person(p.assignee, p), describe=_describe_task,
        help=gettext_lazy("A call, meeting or to-do for the owner, a person or a role."),
    ))  # fmt: skip
    automations.register_action(Action(
        "notify", gettext_lazy("Notify someone"), NotifyParams, _notify,
        validate=lambda p: _check_person(p.recipient, p), describe=_describe_notify,
    ))  # fmt: skip
    automations.register_action(Action(
        "comment.add", gettext_lazy("Add a comment"), CommentParams, _comment,
        describe=_describe_comment,
    ))  # fmt: skip
    automations.register_trigger(Trigger(
        "task.overdue", gettext_lazy("Task overdue"), ("task.overdue",), "task", OverdueParams,
        records=_overdue,
        help=gettext_lazy("A workspace rule: once when a task is past due and not done."),
    ))  # fmt: skip
    automations.register_action(Action(
        "task.assign", gettext_lazy("Give the task to someone"), assigning.AssignParams,
        _assign_task, validate=assigning.check, object_types=("task",),
        describe=lambda ctx, p: assigning.describe(
            p, _("Give it to the member with the fewest open tasks.")),
    ))  # fmt: skip
