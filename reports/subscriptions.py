"""Subscriptions to saved reports: who may see and change which, and their writes.

A member subscribes themselves to a report they can open; those whose role sees more than
their own records (heads, admins) may also subscribe other members of the workspace, who
must be able to open the report too (a private report is its owner's alone). The report is
always run as the recipient when mailed (reports/delivery.py), so a subscription shows a
recipient nothing their own visibility hides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from crm.accounts import permissions
from crm.accounts.models import Membership

from . import boards, schedule, selectors
from .board_models import Dashboard
from .models import Report, ReportSubscription

OPS = {
    "gt": _lazy("is above"),
    "gte": _lazy("is at least"),
    "lt": _lazy("is below"),
    "lte": _lazy("is at most"),
    "eq": _lazy("equals"),
    "ne": _lazy("is not"),
}
WEEKDAYS = [
    _lazy("Monday"), _lazy("Tuesday"), _lazy("Wednesday"), _lazy("Thursday"), _lazy("Friday"),
    _lazy("Saturday"), _lazy("Sunday"),
]  # fmt: skip
COUNT = "count"


def may_subscribe_others(membership: Membership) -> bool:
    """Heads and admins: a role that sees more of the reports' data than its own records."""
    return membership.role.can_manage_workspace or (
        membership.role.visibility("report") != permissions.OWN
    )


def _visible_report_q(membership: Membership) -> Q:
    """A report subscription on a report the member can open, or a dashboard subscription on
    a dashboard they can open (their own or a shared one)."""
    mine = membership.user_id
    return Q(target_kind=ReportSubscription.REPORT) & (
        Q(report__owner_id=mine) | Q(report__is_shared=True)
    ) | Q(target_kind=ReportSubscription.DASHBOARD) & (
        Q(dashboard__owner_id=mine) | Q(dashboard__is_shared=True)
    )


def _can_open(membership: Membership, target) -> bool:
    if isinstance(target, Dashboard):
        return boards.boards_for(membership).filter(pk=target.pk).exists()
    return selectors.reports_for(membership).filter(pk=target.pk).exists()


def subscriptions_for(membership: Membership) -> QuerySet[ReportSubscription]:
    """Those the member sees: their own (as recipient or author) on reports they can open;
    heads and admins see every subscription to those reports."""
    if not membership.can("report", "view"):
        return ReportSubscription.objects.none()
    qs = ReportSubscription.objects.select_related(
        "report", "dashboard", "recipient", "created_by"
    ).filter(_visible_report_q(membership))
    if may_subscribe_others(membership):
        return qs
    return qs.filter(Q(recipient_id=membership.user_id) | Q(created_by_id=membership.user_id))


def recipient_time_zone(user, tenant) -> str:
    return user.time_zone or tenant.time_zone or "UTC"


def measures(report: Report | None) -> list[tuple[str, str]]:
    """What a condition may compare: the row count and each of the report's summaries (a
    dashboard has no condition: nothing)."""
    from .designer import AGG_LABELS

    if report is None:
        return []
    out = [(COUNT, str(_("Number of rows")))]
    for s in report.spec.get("summaries") or []:
        if s.get("agg") == "count" and not s.get("field"):
            continue
        key = f"{s.get('field')}__{s.get('agg')}"
        out.append((key, f"{AGG_LABELS.get(s.get('agg'), s.get('agg'))}: {s.get('field')}"))
    for f in report.spec.get("formulas") or []:
        out.append((f.get("key"), str(f.get("label") or f.get("key"))))
    return out


def _clean_condition(raw, report: Report | None) -> dict:
    if not raw:
        return {}
    if report is None:
        # A dashboard's widgets have no one number to compare; refused rather than ignored.
        raise ValidationError({"condition": _("A dashboard subscription cannot have a "
                                              "condition; it is always sent.")})  # fmt: skip
    if not isinstance(raw, dict):
        raise ValidationError({"condition": _("A condition is an object: measure, op, value.")})
    measure, op, value = raw.get("measure") or COUNT, raw.get("op"), raw.get("value")
    known = dict(measures(report))
    if measure not in known:
        raise ValidationError({"condition": _('The report has no summary "%(key)s"; compare '
                                              "one of: %(known)s.")
                               % {"key": measure, "known": ", ".join(known)}})  # fmt: skip
    if op not in OPS:
        message = _('Unknown comparison "%(op)s"; use one of: %(ops)s.')
        raise ValidationError({"condition": message % {"op": op, "ops": ", ".join(OPS)}})
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite() or isinstance(value, bool):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        message = _("The condition needs a number to compare with.")
        raise ValidationError({"condition": message}) from None
    return {"measure": measure, "op": op, "value": str(number)}


def _clean_schedule(data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    frequency = data.get("frequency")
    if frequency not in dict(ReportSubscription.FREQUENCIES):
        errors["frequency"] = [_("Choose daily, weekly or monthly.")]
    weekday = day = None
    if frequency == ReportSubscription.WEEKLY:
        weekday = _int(data.get("weekday"))
        if weekday is None or not 0 <= weekday <= 6:
            errors["weekday"] = [_("Choose a weekday (0 is Monday, 6 is Sunday).")]
    if frequency == ReportSubscription.MONTHLY:
        day = _int(data.get("day_of_month"))
        if day is None or not 1 <= day <= 31:
            errors["day_of_month"] = [_("Choose a day of the month from 1 to 31.")]
    at = data.get("time_of_day")
    if isinstance(at, str):
        try:
            at = dt.time.fromisoformat(at.strip())
        except ValueError:
            at = None
    if not isinstance(at, dt.time):
        errors["time_of_day"] = [_("Give a time of day as HH:MM.")]
    if errors:
        raise ValidationError(errors)
    return {"frequency": frequency, "weekday": weekday, "day_of_month": day,
            "time_of_day": at.replace(second=0, microsecond=0, tzinfo=None)}  # fmt: skip


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _recipient(actor: Membership, user_id, target) -> Membership:
    if user_id in (None, "", actor.user_id):
        recipient = actor
    else:
        if not may_subscribe_others(actor):
            raise ValidationError({"recipient": _("You may subscribe only yourself.")})
        recipient = (
            Membership.objects.select_related("role", "user", "tenant")
            .filter(user_id=_int(user_id), is_active=True)
            .first()
        )
        if recipient is None:
            raise ValidationError({"recipient": _("No such member in this workspace.")})
    if not _can_open(recipient, target):
        if isinstance(target, Dashboard):
            message = _("%(name)s cannot open this dashboard; share it first.")
        else:
            message = _("%(name)s cannot open this report; share it first.")
        raise ValidationError({"recipient": message % {"name": recipient.user}})
    return recipient


def schedule_next(sub: ReportSubscription, after: dt.datetime, tenant) -> dt.datetime:
    return schedule.next_run(
        after, frequency=sub.frequency, time_of_day=sub.time_of_day,
        zone=recipient_time_zone(sub.recipient, tenant), weekday=sub.weekday,
        day_of_month=sub.day_of_month,
    )  # fmt: skip


@transaction.atomic
def subscription_create(
    *,
    actor: Membership,
    report: Report | None = None,
    dashboard: Dashboard | None = None,
    data: dict,
) -> ReportSubscription:
    """A subscription to a report or (given `dashboard` instead) to a custom dashboard."""
    if not actor.can("report", "view"):
        raise PermissionDenied
    if (report is None) == (dashboard is None):
        raise ValidationError({"report": _("Give either a report or a dashboard.")})
    if report is not None and not _can_open(actor, report):
        raise ValidationError({"report": _("No such report.")})
    if dashboard is not None and not _can_open(actor, dashboard):
        raise ValidationError({"dashboard": _("No such dashboard.")})
    recipient = _recipient(actor, data.get("recipient"), report or dashboard)
    sub = ReportSubscription(
        report=report, dashboard=dashboard, recipient=recipient.user, created_by=actor.user,
        target_kind=ReportSubscription.DASHBOARD if dashboard else ReportSubscription.REPORT,
        condition=_clean_condition(data.get("condition"), report),
        is_active=data.get("is_active", True) is not False, **_clean_schedule(data),
    )  # fmt: skip
    sub.next_run_at = schedule_next(sub, timezone.now(), actor.tenant)
    sub.save()
    return sub


@transaction.atomic
def subscription_update(*, actor: Membership, sub: ReportSubscription,
                        data: dict) -> ReportSubscription:  # fmt: skip
    """Changes the schedule, condition, active flag and (heads, admins) the recipient; what is
    not given is kept. The next moment is worked out again from now."""
    if not subscriptions_for(actor).filter(pk=sub.pk).exists():
        raise PermissionDenied
    current = {"frequency": sub.frequency, "weekday": sub.weekday,
               "day_of_month": sub.day_of_month, "time_of_day": sub.time_of_day}  # fmt: skip
    for key, value in _clean_schedule({**current, **data}).items():
        setattr(sub, key, value)
    if "condition" in data:
        sub.condition = _clean_condition(data["condition"], sub.report)
    if "recipient" in data and _int(data["recipient"]) != sub.recipient_id:
        sub.recipient = _recipient(actor, data["recipient"], sub.target).user
    if "is_active" in data:
        sub.is_active = bool(data["is_active"])
    sub.next_run_at = schedule_next(sub, timezone.now(), actor.tenant)
    sub.save()
    return sub


def subscription_delete(*, actor: Membership, sub: ReportSubscription) -> None:
    if not subscriptions_for(actor).filter(pk=sub.pk).exists():
        raise PermissionDenied
    sub.delete()


def condition_holds(condition: dict, result) -> bool:
    """Whether the run's result meets the condition (an empty condition always does)."""
    if not condition:
        return True
    if condition["measure"] == COUNT:
        actual = result.total_rows
    else:
        actual = result.totals.get(condition["measure"])
    if actual is None:
        return False
    actual, limit = Decimal(str(actual)), Decimal(condition["value"])
    return {
        "gt": actual > limit, "gte": actual >= limit, "lt": actual < limit,
        "lte": actual <= limit, "eq": actual == limit, "ne": actual != limit,
    }[condition["op"]]  # fmt: skip


def describe(sub: ReportSubscription) -> str:
    """The schedule in words, for the lists: "Weekly, Monday at 09:00"."""
    at = sub.time_of_day.strftime("%H:%M")
    if sub.frequency == ReportSubscription.WEEKLY and sub.weekday is not None:
        return _("Weekly, %(day)s at %(time)s") % {"day": WEEKDAYS[sub.weekday], "time": at}
    if sub.frequency == ReportSubscription.MONTHLY:
        return _("Monthly, day %(day)s at %(time)s") % {"day": sub.day_of_month, "time": at}
    return _("Daily at %(time)s") % {"time": at}


def describe_condition(sub: ReportSubscription) -> str:
    if not sub.condition:
        return ""
    labels = dict(measures(sub.report)) if sub.report_id else {}
    c = sub.condition
    return _("only when %(measure)s %(op)s %(value)s") % {
        "measure": labels.get(c["measure"], c["measure"]), "op": OPS.get(c["op"], c["op"]),
        "value": c["value"],
    }  # fmt: skip
