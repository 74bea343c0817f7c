"""The default sales dashboard: every widget's figures, read from the rollup tables, as the
viewer sees them.

The viewer's numbers follow their visibility of deals (`visible_to` on the "deal" grant,
applied to the rollups' owner): a manager with own visibility sees their own figures only, a
head their department's. The filters (period, funnel, department, manager) narrow every
widget. The whole dashboard costs a fixed number of queries, however many days, people or
stages there are (tests/reports/test_dashboard.py asserts it).

Amounts are in the workspace's currency: deals in other currencies are counted but not
summed into it (`other_currencies` says how many were won)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import objects
from crm.accounts.models import Department, Membership
from crm.accounts.permissions import OWN
from crm.accounts.selectors import visible_to
from crm.web.params import InvalidParameter, parse_id
from pipelines.models import LostReason, Pipeline, Stage

from .median import Median
from .plans import period_stop, plans_for, with_won_facts
from .rollup_models import ActivityDay, DealDay, LostReasonDay, SourceDay, StageDay

PERIODS = {
    "month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "quarter": gettext_lazy("This quarter"),
    "last_quarter": gettext_lazy("Last quarter"),
    "year": gettext_lazy("This year"),
    "last_year": gettext_lazy("Last year"),
}
ZERO = Decimal(0)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Filters:
    period: str
    start: dt.date  # the period is [start, stop)
    stop: dt.date
    previous_start: dt.date  # the previous period of the same length, for the KPIs' change
    pipeline_id: int | None = None
    department_id: int | None = None
    manager_id: int | None = None


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(start, stop, previous start) of a named period around `today`."""
    months = {"month": 1, "last_month": 1, "quarter": 3, "last_quarter": 3, "year": 12,
              "last_year": 12}[period]  # fmt: skip
    if months == 1:
        start = today.replace(day=1)
    elif months == 3:
        start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    else:
        start = dt.date(today.year, 1, 1)
    if period.startswith("last_"):
        start = _add_months(start, -months)
    return start, _add_months(start, months), _add_months(start, -months)


def parse_filters(params, tenant) -> Filters:
    """The dashboard's filters from query parameters; a bad one raises InvalidParameter."""
    period = params.get("period") or "month"
    if period not in PERIODS:
        raise InvalidParameter("period", _("Choose one of: %(p)s") % {"p": ", ".join(PERIODS)})
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(tenant.time_zone or "UTC"))
    start, stop, previous = period_bounds(period, today)
    return Filters(
        period=period, start=start, stop=stop, previous_start=previous,
        pipeline_id=parse_id(params.get("pipeline"), "pipeline"),
        department_id=parse_id(params.get("department"), "department"),
        manager_id=parse_id(params.get("manager"), "manager"),
    )  # fmt: skip


def _people(qs, membership: Membership, filters: Filters, field: str):
    """Rollup rows of the people the viewer may see (their deal visibility), narrowed to the
    chosen manager and department. `field` is the rollup's person column."""
    qs = visible_to(qs, membership, "deal", owner_field=field.removesuffix("_id"))
    if filters.manager_id:
        qs = qs.filter(**{field: filters.manager_id})
    if filters.department_id:
        members = Membership.objects.filter(department_id=filters.department_id).values("user_id")
        qs = qs.filter(**{f"{field}__in": members})
    return qs


def _deal_rows(model, membership, filters, start, stop):
    qs = _people(
        model.objects.filter(day__gte=start, day__lt=stop), membership, filters, "owner_id"
    )
    if filters.pipeline_id:
        qs = qs.filter(pipeline_id=filters.pipeline_id)
    return qs.order_by()


def _change(value, previous):
    """The change against the previous period, in per cent (None when there was nothing)."""
    if previous in (None, 0) or value is None:
        return None
    return round(float((Decimal(value) - Decimal(previous)) / Decimal(previous) * 100), 1)


def _kpis(membership, filters, currency) -> dict:
    current = Q(day__gte=filters.start)
    previous = Q(day__lt=filters.start)
    mine = Q(currency=currency)
    sums = {}
    for name, q in (("now", current), ("before", previous)):
        sums.update({
            f"created_{name}": Sum("created", filter=q),
            f"won_{name}": Sum("won", filter=q),
            f"won_cur_{name}": Sum("won", filter=q & mine),
            f"amount_{name}": Sum("won_amount", filter=q & mine),
            f"lost_{name}": Sum("lost", filter=q),
            f"cycle_{name}": Sum("won_cycle_days", filter=q),
        })  # fmt: skip
    row = _deal_rows(DealDay, membership, filters, filters.previous_start, filters.stop).aggregate(
        **sums
    )
    out = {}
    for name in ("now", "before"):
        won, lost = row[f"won_{name}"] or 0, row[f"lost_{name}"] or 0
        amount, won_cur = row[f"amount_{name}"] or ZERO, row[f"won_cur_{name}"] or 0
        out[name] = {
            "won_amount": amount,
            "won_deals": won,
            "created_deals": row[f"created_{name}"] or 0,
            "average_deal": (amount / won_cur).quantize(Decimal("0.01")) if won_cur else None,
            "win_rate": round(won * 100 / (won + lost), 1) if won + lost else None,
            "cycle_days": round((row[f"cycle_{name}"] or 0) / won, 1) if won else None,
        }
    other = (row["won_now"] or 0) - (row["won_cur_now"] or 0)
    return {
        key: {"value": value, "previous": out["before"][key],
              "change": _change(value, out["before"][key])}
        for key, value in out["now"].items()
    } | {"other_currencies": other}  # fmt: skip


def _dynamics(membership, filters, currency) -> list[dict]:
    """Won amount and deals by month, for the twelve months up to the period's end."""
    start = _add_months(filters.stop, -12)
    rows = {
        r["month"]: r
        for r in _deal_rows(DealDay, membership, filters, start, filters.stop)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(
            amount=Coalesce(Sum("won_amount", filter=Q(currency=currency)), ZERO),
            won=Sum("won"),
            created=Sum("created"),
        )
    }
    out = []
    for i in range(12):
        month = _add_months(start, i)
        row = rows.get(month, {})
        out.append({
            "month": month.strftime("%Y-%m"), "won_amount": row.get("amount", ZERO),
            "won_deals": row.get("won", 0), "created_deals": row.get("created", 0),
        })  # fmt: skip
    return out


def _funnel(membership, filters, pipelines) -> dict:
    """Stage to stage, for the deals created in the period, in the chosen funnel (else the
    first one)."""
    pipeline = next((p for p in pipelines if p.pk == filters.pipeline_id), None) or next(
        iter(pipelines), None
    )
    if pipeline is None:
        return {"pipeline": None, "stages": []}
    reached = dict(
        _people(
            StageDay.objects.filter(
                day__gte=filters.start, day__lt=filters.stop, pipeline_id=pipeline.pk
            ),
            membership, filters, "owner_id",
        )
        .order_by()
        .values_list("stage_id")
        .annotate(n=Sum("reached"))
    )  # fmt: skip
    stages, before = [], None
    for stage in pipeline.funnel_stages:
        count = reached.get(stage.pk, 0)
        stages.append({
            "id": stage.pk, "name": stage.name, "kind": stage.kind, "reached": count,
            "conversion": round(count * 100 / before, 1) if before else None,
        })  # fmt: skip
        before = count
    return {"pipeline": pipeline.pk, "pipeline_name": pipeline.name, "stages": stages}


def _plans(membership, filters, members, departments) -> list[dict]:
    """Plans overlapping the period, each against the fact of its own month or quarter: the
    won amount and won deals credited to its manager (or its department's members), as the
    "plan vs fact" report type counts them (`plans.with_won_facts`). One query."""
    plans = list(
        with_won_facts(plans_for(membership), membership)
        .filter(start__lt=filters.stop, start__gte=_add_months(filters.start, -2))
        .annotate(won_amount=F("fact_amount"), won_deals=F("fact_deals"))
    )
    plans = [p for p in plans if period_stop(p.period, p.start) > filters.start]
    if filters.manager_id:
        plans = [p for p in plans if p.user_id == filters.manager_id]
    if filters.department_id:
        chosen = filters.department_id
        plans = [
            p for p in plans
            if chosen in (p.department_id, members.get(p.user_id, {}).get("department_id"))
        ]  # fmt: skip
    out = []
    for plan in plans:
        if plan.user_id:
            name = members.get(plan.user_id, {}).get("name") or str(plan.user)
        else:
            name = departments.get(plan.department_id, "")
        amount, won = plan.won_amount, plan.won_deals
        out.append({
            "id": plan.pk, "target": "manager" if plan.user_id else "department",
            "user": plan.user_id, "department": plan.department_id, "name": name,
            "period": plan.period, "start": plan.start.isoformat(),
            "amount": plan.amount, "fact_amount": amount,
            "amount_percent": round(float(amount * 100 / plan.amount), 1) if plan.amount else None,
            "deals": plan.deals, "fact_deals": won,
            "deals_percent": round(won * 100 / plan.deals, 1) if plan.deals else None,
        })  # fmt: skip
    return sorted(out, key=lambda r: (r["target"] != "department", r["name"], r["start"]))


def _sources(membership, filters) -> list[dict]:
    rows = (
        _deal_rows(SourceDay, membership, filters, filters.start, filters.stop)
        .values("source")
        .annotate(created=Sum("created"), won=Sum("won"))
        .order_by("-created", "source")
    )
    return [{"source": r["source"] or _("(none)"), "created": r["created"], "won": r["won"]}
            for r in rows]  # fmt: skip


def _lost_reasons(membership, filters, reasons) -> list[dict]:
    rows = (
        _deal_rows(LostReasonDay, membership, filters, filters.start, filters.stop)
        .values("reason_id")
        .annotate(lost=Sum("lost"))
        .order_by("-lost")
    )
    return [{"reason": reasons.get(r["reason_id"], _("No reason given")), "lost": r["lost"]}
            for r in rows]  # fmt: skip


def _activity(membership, filters, members) -> list[dict]:
    qs = _people(
        ActivityDay.objects.filter(day__gte=filters.start, day__lt=filters.stop),
        membership, filters, "user_id",
    )  # fmt: skip
    people: dict[int, dict] = {}
    for row in qs.order_by().values("user_id", "kind").annotate(done=Sum("done")):
        person = people.setdefault(row["user_id"], {
            "user": row["user_id"], "name": members.get(row["user_id"], {}).get("name", ""),
            "call": 0, "meeting": 0, "task": 0, "phone": 0,
        })  # fmt: skip
        person[row["kind"]] = person.get(row["kind"], 0) + row["done"]
    return sorted(people.values(), key=lambda p: p["name"])


def _response_times(membership, filters, members, zone) -> list[dict] | None:
    """From the inbox, when there is one (its "conversation" object type): per assignee,
    conversations opened in the period and the median time to the first answer."""
    conversation = objects.get("conversation")
    if conversation is None or conversation.records is None:
        return None
    start = dt.datetime.combine(filters.start, dt.time.min, tzinfo=zone)
    stop = dt.datetime.combine(filters.stop, dt.time.min, tzinfo=zone)
    qs = conversation.records(membership).filter(
        created_at__gte=start, created_at__lt=stop, assignee__isnull=False, is_spam=False
    )
    if membership.role.visibility(conversation.key) == OWN:
        qs = qs.filter(assignee_id=membership.user_id)
    if filters.manager_id:
        qs = qs.filter(assignee_id=filters.manager_id)
    if filters.department_id:
        qs = qs.filter(
            assignee_id__in=Membership.objects.filter(department_id=filters.department_id).values(
                "user_id"
            )
        )
    span = ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())
    rows = (
        qs.order_by()
        .values("assignee_id")
        .annotate(
            count=Count("pk"),
            answered=Count("pk", filter=Q(first_response_at__isnull=False)),
            median=Median(span, filter=Q(first_response_at__isnull=False)),
        )
    )
    return sorted(
        (
            {
                "user": r["assignee_id"],
                "name": members.get(r["assignee_id"], {}).get("name", ""),
                "conversations": r["count"],
                "answered": r["answered"],
                "first_response_minutes": round(r["median"].total_seconds() / 60, 1)
                if r["median"] is not None
                else None,
            }
            for r in rows
        ),
        key=lambda r: r["name"],
    )


def choices(membership: Membership) -> dict:
    """What the filters offer and the widgets name: funnels with their stages, departments,
    the members the viewer may pick (own visibility: themselves), lost reasons. Four
    queries."""
    stages = list(Stage.objects.exclude(kind=Stage.LOST).order_by("pipeline_id", "position", "id"))
    pipelines = list(Pipeline.objects.filter(is_archived=False).order_by("position", "id"))
    for pipeline in pipelines:
        pipeline.funnel_stages = [s for s in stages if s.pipeline_id == pipeline.pk]
    departments = dict(Department.objects.values_list("pk", "name"))
    members = {
        m.user_id: {"name": m.user.display_name, "department_id": m.department_id}
        for m in Membership.objects.filter(is_active=True).select_related("user")
    }
    reasons = dict(LostReason.objects.values_list("pk", "name"))
    visibility = membership.role.visibility("deal")
    if visibility == OWN:
        pickable = [membership.user_id]
        departments_pickable = {}
    else:
        pickable = sorted(members, key=lambda u: members[u]["name"])
        departments_pickable = departments
    return {
        "pipelines": pipelines, "departments": departments, "members": members,
        "reasons": reasons, "pickable": pickable, "departments_pickable": departments_pickable,
    }  # fmt: skip


def sales_dashboard(membership: Membership, filters: Filters, tenant) -> dict:
    """Every widget of the sales dashboard for `membership`, under `filters`."""
    currency = tenant.currency
    found = choices(membership)
    members = found["members"]
    return {
        "period": {
            "key": filters.period, "start": filters.start.isoformat(),
            "stop": filters.stop.isoformat(), "previous_start": filters.previous_start.isoformat(),
        },
        "filters": {"pipeline": filters.pipeline_id, "department": filters.department_id,
                    "manager": filters.manager_id},
        "currency": currency,
        "kpis": _kpis(membership, filters, currency),
        "dynamics": _dynamics(membership, filters, currency),
        "funnel": _funnel(membership, filters, found["pipelines"]),
        "plans": _plans(membership, filters, members, found["departments"]),
        "sources": _sources(membership, filters),
        "lost_reasons": _lost_reasons(membership, filters, found["reasons"]),
        "activity": _activity(membership, filters, members),
        "response_times": _response_times(
            membership, filters, members, zoneinfo.ZoneInfo(tenant.time_zone or "UTC")
        ),
    }  # fmt: skip
