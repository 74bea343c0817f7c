"""Running a custom dashboard: every widget's report, as the viewer, under the dashboard's
filters.

The filters are applied to the report's definition (data), never to SQL:
- period: replaces the report's relative-date filter (or, without one, bounds its first
  date grouping) by the chosen period;
- funnel, department, manager: added as filters on the type's funnel and person fields, only
  where the report type has such a field.
They can narrow a report, never widen it: the report runs on the viewer's records
(`visible_to`), so a manager with "own" visibility sees their own numbers in any dashboard.

Cost: a widget runs its report without detail rows, so one query (a KPI with a previous
period to compare: two). Custom fields are read once per report type, not per widget."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from crm import objects
from crm.web.params import as_id

from . import present, spec, types
from .board_models import DashboardWidget
from .compiler import Compiler, Result
from .dashboards import PERIODS, period_bounds

# A report's relative-date op and the dashboard period it is (last_n_days has none).
OP_PERIOD = {
    "this_month": "month", "last_month": "last_month", "this_quarter": "quarter",
    "last_quarter": "last_quarter", "this_year": "year", "last_year": "last_year",
}  # fmt: skip
PERSON_FIELDS = ("owner", "assignee", "author")


@dataclass
class BoardFilters:
    period: str = ""  # empty: each report's own dates
    pipeline: object = None  # a Pipeline, or None
    department_members: list | None = None  # user ids, or None for every department
    manager_id: int | None = None
    today: dt.date = field(default_factory=dt.date.today)


def filters_from(params, found: dict, tenant) -> BoardFilters:
    """The dashboard's filters from query parameters, checked against what the viewer may
    pick (`dashboards.choices`): anything else is ignored, never widens."""
    period = params.get("period") if params.get("period") in PERIODS else ""
    wanted = as_id(params.get("pipeline"))
    pipeline = next((p for p in found["pipelines"] if p.pk == wanted), None)
    department = as_id(params.get("department"))
    members = None
    if department in found["departments_pickable"]:
        members = sorted(u for u, v in found["members"].items() if v["department_id"] == department)
    manager = as_id(params.get("manager"))
    return BoardFilters(
        period=period, pipeline=pipeline, department_members=members,
        manager_id=manager if manager in found["pickable"] else None, today=today_in(tenant),
    )  # fmt: skip


def today_in(tenant) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(tenant.time_zone or "UTC"))


def _bounds(op: str, value, today: dt.date):
    """(start, stop, previous start) of a relative period; stop is exclusive."""
    if op in OP_PERIOD:
        return period_bounds(OP_PERIOD[op], today)
    n = int(value or 1)
    start = today - dt.timedelta(days=n - 1)
    return start, today + dt.timedelta(days=1), start - dt.timedelta(days=n)


def _between(field_key: str, start: dt.date, stop: dt.date) -> dict:
    last = stop - dt.timedelta(days=1)
    return {"field": field_key, "op": "between", "value": [start.isoformat(), last.isoformat()]}


def _person_field(fields: dict) -> str | None:
    for key in PERSON_FIELDS:
        if key in fields and fields[key].type == objects.USER:
            return key
    return None


def _date_field(definition: dict, fields: dict) -> tuple[int | None, str | None]:
    """(index of the report's relative-date filter or None, the date field the period is on)."""
    for i, flt in enumerate(definition.get("filters") or []):
        if isinstance(flt, dict) and flt.get("op") in (*OP_PERIOD, "last_n_days"):
            return i, flt.get("field")
    for key in definition.get("group_by") or []:
        name = str(key).split(":")[0]
        if name in fields and fields[name].type in types.DATED:
            return None, name
    return None, None


def shaped(definition: dict, fields: dict, filters: BoardFilters, *, previous: bool = False,
           kpi: bool = False) -> tuple[dict | None, bool]:  # fmt: skip
    """(the definition to run, whether it has a period that a previous one can shift).
    None: nothing can match (a department without members)."""
    raw = {**definition, "columns": [], "sort": None}
    if kpi:  # one number: the whole result, no groups
        raw.update(group_by=[], column_group="", chart="")
    flts = [dict(f) for f in definition.get("filters") or [] if isinstance(f, dict)]
    added = []
    index, date_key = _date_field(definition, fields)
    bounds = None
    if filters.period in PERIODS and date_key:
        bounds = period_bounds(filters.period, filters.today)
    elif index is not None:
        flt = flts[index]
        bounds = _bounds(flt["op"], flt.get("value"), filters.today)
    if bounds:
        start, stop, previous_start = bounds
        window = _between(date_key, *((previous_start, start) if previous else (start, stop)))
        if index is not None:
            flts[index] = window  # in place: the filter logic's numbers stay right
        else:
            added.append(window)
    if filters.pipeline is not None and "pipeline" in fields:
        added.append({"field": "pipeline", "op": "eq", "value": filters.pipeline.name})
    person = _person_field(fields)
    if person and filters.department_members is not None:
        if not filters.department_members:
            return None, bool(bounds)
        added.append({"field": person, "op": "in", "value": filters.department_members})
    if person and filters.manager_id:
        added.append({"field": person, "op": "eq", "value": filters.manager_id})
    logic = (definition.get("filter_logic") or "").strip()
    if logic and added:
        numbers = " AND ".join(str(n) for n in range(len(flts) + 1, len(flts) + len(added) + 1))
        logic = f"({logic}) AND {numbers}"
    raw.update(filters=[*flts, *added], filter_logic=logic)
    return raw, bool(bounds)


@dataclass
class Shown:
    widget: DashboardWidget
    problems: list = field(default_factory=list)
    chart: dict | None = None
    table: dict | None = None
    result: Result | None = None
    value: object = None
    value_label: str = ""
    previous: object = None
    value_key: str = ""  # the summary a KPI shows, and those it could show (the editor)
    value_choices: list = field(default_factory=list)
    value_text: str = ""  # value and previous as the reader writes them
    previous_text: str = ""
    change: Decimal | None = None

    @property
    def chart_id(self) -> str:
        """The id of the chart's data in the page (one per widget)."""
        return f"widget-chart-{self.widget.pk}"


def _number(value):
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def value_choices(cleaned: spec.Spec) -> list[tuple[str, str]]:
    """What a KPI may show of a report: its summaries and formulas, and the record count."""
    return [(s.key, present.summary_label(s)) for s in cleaned.summaries] + [
        (f.key, f.label) for f in cleaned.formulas
    ]


def _kpi_key(widget, cleaned: spec.Spec) -> tuple[str, str]:
    keys = value_choices(cleaned)
    for key, label in keys:
        if key == widget.value:
            return key, label
    if widget.value == "count" or not keys:
        return "count", _("Count")
    return keys[0]


def _one(widget, membership, time_zone, filters, fields, *, previous=False):
    """(cleaned spec, result, has a period) of one run, or (problems, None, False)."""
    report = widget.report
    raw, shiftable = shaped(report.spec, fields, filters, previous=previous,
                            kpi=widget.kind == DashboardWidget.KPI)  # fmt: skip
    try:
        cleaned = spec.clean(raw or report.spec, fields)
    except spec.SpecError as exc:
        return [m for ms in exc.errors.values() for m in ms], None, False
    if raw is None:
        return cleaned, Result(), shiftable
    compiler = Compiler(types.get(report.report_type), cleaned, membership, time_zone)
    return cleaned, compiler.run(page=1, page_size=1), shiftable


def run_widget(widget, membership, time_zone, filters: BoardFilters, fields_of,
               currency: str = "") -> Shown:  # fmt: skip
    """One widget as the viewer sees it. `fields_of(type_key)` reads a type's fields (cached
    by the caller: one query per type for its custom fields). `currency`: the workspace's,
    for the figures written on the page and in the mail."""
    out = Shown(widget)
    if not (widget.report.is_shared or widget.report.owner_id == membership.user_id):
        # A shared dashboard may hold its owner's private report: others do not run it.
        out.problems = [_("This report is private to its owner.")]
        return out
    report_type = types.get(widget.report.report_type)
    if report_type is None:
        out.problems = [_('The report type "%(key)s" no longer exists.')
                        % {"key": widget.report.report_type}]  # fmt: skip
        return out
    fields = fields_of(widget.report.report_type)
    cleaned, result, shiftable = _one(widget, membership, time_zone, filters, fields)
    if result is None:
        out.problems = cleaned
        return out
    out.result = result
    if widget.kind == DashboardWidget.KPI:
        key, out.value_label = _kpi_key(widget, cleaned)
        out.value_key = key
        out.value_choices = [("count", _("Count"))] + [
            c for c in value_choices(cleaned) if c[0] != "count"
        ]
        group = result.groups[0] if result.groups else {"count": 0, "values": {}}
        out.value = group["count"] if key == "count" else group["values"].get(key)
        money = present.summary_is_money(cleaned, key)
        out.value_text = present.amount(out.value, money, currency)
        if shiftable:
            _c, before, _s = _one(widget, membership, time_zone, filters, fields, previous=True)
            if before is not None:
                prev = before.groups[0] if before.groups else {"count": 0, "values": {}}
                out.previous = prev["count"] if key == "count" else prev["values"].get(key)
                out.previous_text = present.amount(out.previous, money, currency)
                now, then = _number(out.value), _number(out.previous)
                if now is not None and then:
                    out.change = ((now - then) * 100 / abs(then)).quantize(Decimal("0.1"))
        return out
    out.table = present.table(cleaned, result, currency)
    if widget.kind == DashboardWidget.CHART:
        out.chart = present.chart(cleaned, result)
    return out


def run_board(board, membership, tenant, filters: BoardFilters) -> list[Shown]:
    widgets = list(board.widgets.select_related("report").order_by("position", "id"))
    cache: dict = {}

    def fields_of(key):
        if key not in cache:
            cache[key] = types.get(key).fields()
        return cache[key]

    return [
        run_widget(w, membership, tenant.time_zone, filters, fields_of, tenant.currency)
        for w in widgets
    ]
