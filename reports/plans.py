"""Sales plans: reading them under the viewer's visibility, setting and removing them.

Who may do what follows the "sales_plan" grant: admins (all) every target; a head
(department) their department and its members; a manager (own, view only) reads their own.
The fact a plan is measured against is the won amount and number of won deals credited to
the deal's owner on the day it was won (the rollups: reports.dashboards.plan_vs_fact)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import Department, Membership
from crm.accounts.permissions import ALL, DEPARTMENT
from crm.activity.events import changes, emit, snapshot

from .plan_models import SalesPlan

OBJECT_TYPE = "sales_plan"
FIELDS = ["period", "start", "user", "department", "amount", "deals"]


def period_start(period: str, day: dt.date) -> dt.date:
    """The first day of the month or quarter holding `day`."""
    month = day.month if period == SalesPlan.MONTH else 3 * ((day.month - 1) // 3) + 1
    return dt.date(day.year, month, 1)


def period_stop(period: str, start: dt.date) -> dt.date:
    """The day after the month or quarter starting at `start`."""
    months = 1 if period == SalesPlan.MONTH else 3
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1)


def _departments_of(membership: Membership) -> Q:
    """The departments a head may plan for: those they head and their own."""
    q = Q(head_id=membership.user_id)
    if membership.department_id:
        q |= Q(pk=membership.department_id)
    return q


def plans_for(membership: Membership) -> QuerySet:
    """The plans the member may see, with their target's user and department loaded."""
    qs = SalesPlan.objects.select_related("user", "department")
    if not membership.can(OBJECT_TYPE, "view"):
        return qs.none()
    visibility = membership.role.visibility(OBJECT_TYPE)
    if visibility == ALL:
        return qs
    if visibility == DEPARTMENT:
        departments = Department.objects.filter(_departments_of(membership)).values("pk")
        colleagues = Membership.objects.filter(department_id__in=departments).values("user_id")
        return qs.filter(
            Q(user_id=membership.user_id)
            | Q(user_id__in=colleagues)
            | Q(department_id__in=departments)
        )
    return qs.filter(user_id=membership.user_id)


def _check_target(actor: Membership, user, department) -> None:
    """The target must be one the actor may plan for; a hidden one reads as not found."""
    if (user is None) == (department is None):
        raise ValidationError({"user": _("Choose either a manager or a department.")})
    visibility = actor.role.visibility(OBJECT_TYPE)
    if user is not None:
        member = Membership.objects.filter(user=user, is_active=True).first()
        if member is None:
            raise ValidationError({"user": _("Not an active member of this workspace.")})
        if visibility == ALL:
            return
        if visibility == DEPARTMENT and (
            member.user_id == actor.user_id
            or Department.objects.filter(_departments_of(actor), pk=member.department_id).exists()
        ):
            return
        raise ValidationError({"user": _("You cannot set plans for this member.")})
    if visibility == ALL:
        return
    if (
        visibility == DEPARTMENT
        and Department.objects.filter(_departments_of(actor), pk=department.pk).exists()
    ):
        return
    raise ValidationError({"department": _("You cannot set plans for this department.")})


def _clean(amount, deals) -> tuple[Decimal | None, int | None]:
    try:
        amount = None if amount in (None, "") else Decimal(str(amount))
    except InvalidOperation:
        raise ValidationError({"amount": _("Enter a number.")}) from None
    try:
        deals = None if deals in (None, "") else int(deals)
    except (TypeError, ValueError):
        raise ValidationError({"deals": _("Enter a whole number.")}) from None
    if amount is None and deals is None:
        raise ValidationError({"amount": _("Set an amount, a number of deals, or both.")})
    if amount is not None and (amount < 0 or amount >= Decimal("1e12")):
        raise ValidationError({"amount": _("Enter an amount from 0 to 999,999,999,999.")})
    if deals is not None and not 0 <= deals <= 1_000_000:
        raise ValidationError({"deals": _("Enter a number of deals from 0 to 1,000,000.")})
    return amount, deals


@transaction.atomic
def plan_save(
    *,
    actor: Membership,
    period: str,
    start: dt.date,
    user=None,
    department=None,
    amount=None,
    deals=None,
    plan: SalesPlan | None = None,
) -> SalesPlan:
    """Set the plan of a manager or a department for a month or a quarter. `start` may be
    any day of the period. A target that already has a plan for that period gets it
    updated, so setting a plan twice never makes two."""
    if not actor.can(OBJECT_TYPE, "edit" if plan else "create"):
        raise PermissionDenied
    if period not in dict(SalesPlan.PERIODS):
        raise ValidationError({"period": _("Choose a month or a quarter.")})
    if not isinstance(start, dt.date):
        raise ValidationError({"start": _("Enter a date.")})
    if plan is not None:
        plan = plans_for(actor).select_for_update(of=("self",)).filter(pk=plan.pk).first()
        if plan is None:
            raise PermissionDenied
    _check_target(actor, user, department)
    amount, deals = _clean(amount, deals)
    start = period_start(period, start)
    same = SalesPlan.objects.select_for_update().filter(
        period=period, start=start, user=user, department=department
    )
    if plan is None:
        plan = same.first()
    elif same.exclude(pk=plan.pk).exists():
        raise ValidationError({"start": _("This target already has a plan for that period.")})
    before = snapshot(plan, FIELDS) if plan else {}
    plan = plan or SalesPlan()
    plan.period, plan.start, plan.user, plan.department = period, start, user, department
    plan.amount, plan.deals = amount, deals
    plan.updated_by, plan.updated_at = actor.user, timezone.now()
    plan.full_clean(exclude=["tenant", "updated_by"], validate_constraints=False)
    plan.save()
    emit(
        "sales_plan.saved",
        actor=actor.user,
        subject=plan,
        data={
            "changes": changes(before, snapshot(plan, FIELDS)),
            "period": period,
            "start": start.isoformat(),
            "user_id": plan.user_id,
            "department_id": plan.department_id,
        },
    )
    return plan


@transaction.atomic
def plan_delete(*, actor: Membership, plan: SalesPlan) -> None:
    if not actor.can(OBJECT_TYPE, "delete"):
        raise PermissionDenied
    plan = plans_for(actor).select_for_update(of=("self",)).filter(pk=plan.pk).first()
    if plan is None:
        raise PermissionDenied
    _check_target(actor, plan.user, plan.department)
    emit(
        "sales_plan.deleted",
        actor=actor.user,
        subject=plan,
        data={
            "period": plan.period,
            "start": plan.start.isoformat(),
            "user_id": plan.user_id,
            "department_id": plan.department_id,
        },
    )
    plan.delete()
