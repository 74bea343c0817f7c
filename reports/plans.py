"""Sales plans: reading them under the viewer's visibility, setting and removing them.

Who may do what follows the "sales_plan" grant: admins (all) every target; a head
(department) their department and its members; a manager (own, view only) reads their own.
The fact a plan is measured against is the won amount and number of won deals credited to
the deal's owner on the day it was won, read from the rollups (`with_won_facts`); the "plan vs
fact" report type's rows are the plans with it (`plan_vs_fact`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    DateField,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import Department, Membership
from crm.accounts.permissions import ALL, DEPARTMENT
from crm.accounts.selectors import visible_to
from crm.activity.events import changes, emit, snapshot

from .plan_models import SalesPlan
from .rollup_models import DealDay

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


class _PeriodStop(Func):
    """The day after a plan's month or quarter: `start` + `months` months (1 or 3)."""

    template = "(%(expressions)s)::date"
    arg_joiner = " + INTERVAL '1 month' * "
    output_field = DateField()


def with_won_facts(plans: QuerySet, membership: Membership) -> QuerySet:
    """`plans` with their fact as the member may see it (aliases): the won amount in the
    workspace's currency (`fact_amount`) and the number of deals won in any currency
    (`fact_deals`), credited to the deal's owner on the day it was won, within the plan's
    month or quarter (`period_stop` its end), for its manager or its department's active
    members. Read from the rollups (`DealDay`) under the member's visibility of deals, as
    the sales dashboard's plan vs fact widget counts."""
    months = Case(When(period=SalesPlan.QUARTER, then=Value(3)), default=Value(1))
    department = Membership.objects.filter(
        department_id=OuterRef(OuterRef("department_id")), is_active=True
    ).values("user_id")
    days = visible_to(DealDay.objects.all(), membership, "deal").filter(
        Q(owner_id=OuterRef("user_id")) | Q(owner_id__in=department),
        day__gte=OuterRef("start"),
        day__lt=OuterRef("period_stop"),
    )

    def total(value):
        one = days.order_by().annotate(k=Value(1)).values("k").annotate(v=value).values("v")
        return Coalesce(Subquery(one[:1]), Value(0), output_field=value.output_field)

    money = DecimalField(max_digits=18, decimal_places=2)
    mine = Q(currency=OuterRef("tenant__currency"))
    return plans.alias(period_stop=_PeriodStop(F("start"), months)).alias(
        fact_amount=total(Sum("won_amount", filter=mine, output_field=money)),
        fact_deals=total(Sum("won", output_field=IntegerField())),
    )


def plan_vs_fact(membership: Membership) -> QuerySet:
    """Each plan the member may see with its fact (`with_won_facts`) and the fact in per
    cent of the target (`amount_percent`, `deals_percent`; null without a target): the
    "plan vs fact" report type's rows. Aliases: computed only where a report asks."""
    percent = DecimalField(max_digits=40, decimal_places=1)  # a tiny target, a big fact

    def share(fact: str, plan: str):
        ratio = F(fact) * Value(100) / Cast(NullIf(F(plan), Value(0)), percent)
        return Func(Cast(ratio, percent), Value(1), function="ROUND", output_field=percent)

    target = Case(When(user__isnull=False, then=Value("manager")), default=Value("department"))
    return with_won_facts(plans_for(membership), membership).alias(
        target=target,
        amount_percent=share("fact_amount", "amount"),
        deals_percent=share("fact_deals", "deals"),
    )


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
