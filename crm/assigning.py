"""Who a rule gives a record to: a fixed member, in turn (round robin) or the least loaded,
among the workspace's active members or one department's. Shared by the apps' "assign"
actions (a deal's owner, a contact's owner, a conversation's or a task's assignee), each
of which says what "load" means for its records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from django.utils.translation import gettext as _
from pydantic import Field

from crm.accounts.models import Department, Membership
from crm.automations import Invalid, Params


class AssignParams(Params):
    mode: Literal["fixed", "round_robin", "least_loaded"] = Field(
        "fixed", description="A fixed person, round robin, or the least loaded."
    )
    user: int | None = Field(None, ge=1, description="The person (fixed).")
    department: int | None = Field(
        None, ge=1, description="Among this department's members (round robin, least loaded)."
    )


def check(params) -> None:
    if params.mode == "fixed":
        if params.user is None:
            raise Invalid("user", _("Choose a person."))
        if not Membership.objects.filter(user_id=params.user, is_active=True).exists():
            raise Invalid("user", _("Choose an active member of the workspace."))
    elif (
        params.department is not None
        and not Department.objects.filter(pk=params.department).exists()
    ):
        raise Invalid("department", _("No such department."))


def pool(params) -> list[int]:
    members = Membership.objects.filter(is_active=True)
    if params.department is not None:
        members = members.filter(department_id=params.department)
    return list(members.order_by("user_id").values_list("user_id", flat=True))


def choose(ctx, params, load: Callable[[list[int]], dict[int, int]]) -> int:
    """The user id to give the record to; `load(user ids)` counts what each one has open
    (asked for the least loaded only). Round robin goes by the rule's earlier runs."""
    if params.mode == "fixed":
        return params.user
    members = pool(params)
    if not members:
        raise Invalid("department", _("Nobody is there to assign to."))
    if params.mode == "round_robin":
        return members[ctx.sequence() % len(members)]
    counts = load(members)
    return min(members, key=lambda user_id: (counts.get(user_id, 0), user_id))


def describe(params, fewest: str) -> str:
    if params.mode == "fixed":
        from crm.accounts.models import User

        user = User.objects.filter(pk=params.user).first()
        return _("Assign %(name)s.") % {"name": user.display_name if user else "?"}
    if params.mode == "round_robin":
        return _("Assign in turn.")
    return fewest
