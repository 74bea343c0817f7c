"""A report's definition (JSON) checked against its report type.

    {"columns": ["title", "amount"],
     "filters": [{"field": "status", "op": "eq", "value": "won"}],
     "filter_logic": "1 AND (2 OR 3)",            # optional: all filters hold by default
     "group_by": ["owner", "won_at:month"],        # up to three row groupings
     "column_group": "stage",                      # optional: a matrix
     "summaries": [{"field": "amount", "agg": "sum"}],
     "formulas": [{"key": "avg_deal", "label": "Average deal", "expr": "amount__sum / count"}],
     "sort": {"field": "amount", "desc": true},
     "chart": "bar"}

`clean()` returns a Spec whose every key is one of the type's fields, or raises SpecError with
messages by part ("columns", "filters", ...), each naming what is wrong. A saved report is
cleaned again before it runs: a field that has since gone becomes a message, not a 500.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from crm import objects

from . import formulas, logic
from .types import DATED, NUMERIC, ORDERED, ReportField

MAX_COLUMNS, MAX_FILTERS, MAX_GROUPS, MAX_SUMMARIES, MAX_FORMULAS = 30, 20, 3, 10, 5
MAX_BUCKETS, MAX_BANDS = 3, 10
MAX_CROSS_FILTERS = 5  # conditions on the related records of one cross filter
BUCKET_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PERIODS = ("day", "week", "month", "quarter", "year")
AGGREGATES = ("count", "sum", "avg", "min", "max", "count_distinct")
RELATIVE = ("this_month", "last_month", "this_quarter", "last_quarter", "this_year",
            "last_year", "last_n_days")  # fmt: skip
OPS = ("eq", "ne", "in", "contains", "gt", "gte", "lt", "lte", "is_empty", "between", *RELATIVE)
TEXTUAL = {objects.TEXT, objects.RECORD, objects.EMAIL, objects.PHONE, objects.URL,
           objects.CHOICE}  # fmt: skip
CHARTS = ("bar", "line", "pie", "funnel")


class SpecError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Grouping:
    field: ReportField
    period: str = ""  # for dates: day, week, month, quarter, year

    @property
    def key(self) -> str:
        return f"{self.field.key}:{self.period}" if self.period else self.field.key


@dataclass(frozen=True)
class Filter:
    field: ReportField
    op: str
    value: object = None


@dataclass(frozen=True)
class CrossFilter:
    """Records that have (or have not) related records of another type matching `filters`:
    "companies without deals", "deals with invoices overdue". `relation` is a
    crm.objects.Relation, `target` the report type of the related records."""

    key: str
    relation: object
    target: object
    present: bool
    filters: list[Filter] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    field: ReportField | None
    agg: str

    @property
    def key(self) -> str:
        return f"{self.field.key}__{self.agg}" if self.field else self.agg


@dataclass(frozen=True)
class Formula:
    key: str
    label: str
    expr: str
    tree: object


@dataclass(frozen=True)
class Spec:
    columns: list[ReportField] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    logic: object = None
    logic_text: str = ""
    group_by: list[Grouping] = field(default_factory=list)
    column_group: Grouping | None = None
    summaries: list[Summary] = field(default_factory=list)
    formulas: list[Formula] = field(default_factory=list)
    sort: tuple[ReportField, bool] | None = None
    chart: str = ""
    buckets: list[ReportField] = field(default_factory=list)

    @property
    def is_summary(self) -> bool:
        return bool(self.group_by or self.summaries or self.column_group)

    def as_json(self) -> dict:
        """The stored form: keys only."""
        return {
            "columns": [c.key for c in self.columns],
            "filters": [_filter_json(f) for f in self.filters],
            "filter_logic": self.logic_text,
            "group_by": [g.key for g in self.group_by],
            "column_group": self.column_group.key if self.column_group else "",
            "summaries": [
                {"field": s.field.key if s.field else "", "agg": s.agg} for s in self.summaries
            ],
            "formulas": [{"key": f.key, "label": f.label, "expr": f.expr} for f in self.formulas],
            "sort": {"field": self.sort[0].key, "desc": self.sort[1]} if self.sort else None,
            "chart": self.chart,
            "buckets": [
                {"key": b.key, "label": str(b.label), "field": b.bucket[0].key,
                 "bands": [{"label": lbl, "to": _jsonable(to)} for lbl, to in b.bucket[1]]}
                for b in self.buckets
            ],
        }  # fmt: skip


def _filter_json(f) -> dict:
    if isinstance(f, CrossFilter):
        return {"cross": f.key, "with": f.present,
                "filters": [_filter_json(x) for x in f.filters]}  # fmt: skip
    return {"field": f.field.key, "op": f.op, "value": _jsonable(f.value)}


def _jsonable(value):
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | datetime.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


class _Errors(dict):
    def add(self, part: str, message: str) -> None:
        self.setdefault(part, []).append(message)


def _unknown(key) -> str:
    return _('Unknown field "%(key)s": this report type has no such field.') % {"key": key}


def _field(fields, key, errors, part, need: str = ""):
    if not isinstance(key, str) or not key:
        errors.add(part, _("A field key is missing."))
        return None
    f = fields.get(key)
    if f is None:
        errors.add(part, _unknown(key))
        return None
    if need and not getattr(f, need):
        messages = {
            "filterable": _('"%(key)s" cannot be filtered on.'),
            "groupable": _('"%(key)s" cannot be grouped by.'),
        }
        errors.add(part, messages[need] % {"key": key})
        return None
    return f


def _grouping(fields, raw, errors, part) -> Grouping | None:
    if not isinstance(raw, str):
        errors.add(part, _('A grouping is a field key, such as "owner" or "won_at:month".'))
        return None
    key, _sep, period = raw.partition(":")
    f = _field(fields, key, errors, part, "groupable")
    if f is None:
        return None
    if f.type in DATED:
        period = period or "month"
        if period not in PERIODS:
            errors.add(part, _('"%(p)s" is not a period: use %(all)s.')
                       % {"p": period, "all": ", ".join(PERIODS)})  # fmt: skip
            return None
    elif period:
        errors.add(part, _('"%(key)s" is not a date: it has no periods.') % {"key": key})
        return None
    return Grouping(f, period)


def _scalar(f: ReportField, raw):
    """One filter value as the field's type, or ValueError."""
    if f.type in NUMERIC:
        try:
            value = Decimal(str(raw).replace(" ", "").replace(",", "."))
        except InvalidOperation as exc:
            raise ValueError(_("%(v)s is not a number") % {"v": raw}) from exc
        if not value.is_finite():
            raise ValueError(_("%(v)s is not a number") % {"v": raw})
        return value
    if f.type in DATED:
        try:
            return datetime.date.fromisoformat(str(raw)[:10])
        except ValueError as exc:
            raise ValueError(_("%(v)s is not a date (YYYY-MM-DD)") % {"v": raw}) from exc
    if f.type == objects.BOOL:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "1", "yes", "false", "0", "no"):
            return str(raw).lower() in ("true", "1", "yes")
        raise ValueError(_("%(v)s is not yes or no") % {"v": raw})
    if f.type == objects.USER:
        if raw == "me":
            return "me"
        try:
            return int(raw)
        except (TypeError, ValueError) as exc:
            raise ValueError(_('a member is named by their id, or "me"')) from exc
    if f.type == objects.CHOICE and f.choices and raw not in {v for v, _l in f.choices}:
        raise ValueError(
            _('"%(v)s" is not one of %(all)s')
            % {"v": raw, "all": ", ".join(v for v, _l in f.choices)}
        )
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise ValueError(_("a text value is expected"))
    return str(raw)[:200]


def _cross(raw, n, errors, relations) -> CrossFilter | None:
    """A cross filter: {"cross": "deals", "with": false, "filters": [...]} over the related
    type's own fields; its messages name the relation and the related field."""
    part = "filters"
    key = raw.get("cross")
    relation = (relations or {}).get(key) if isinstance(key, str) else None
    if relation is None:
        known = ", ".join(relations or {}) or "—"
        errors.add(part, _('Filter %(n)s: unknown related type "%(key)s": use %(all)s.')
                   % {"n": n, "key": key, "all": known})  # fmt: skip
        return None
    present = raw.get("with", True)
    if not isinstance(present, bool):
        errors.add(part, _('Filter %(n)s (%(key)s): "with" is true or false.')
                   % {"n": n, "key": key})  # fmt: skip
        return None
    inner = raw.get("filters") or []
    if not isinstance(inner, list) or len(inner) > MAX_CROSS_FILTERS:
        errors.add(part, _("Filter %(n)s (%(key)s): a list of at most %(max)s filters.")
                   % {"n": n, "key": key, "max": MAX_CROSS_FILTERS})  # fmt: skip
        return None
    rel, target = relation
    target_fields, sub = target.fields(), _Errors()
    conditions = []
    for m, f in enumerate(inner, 1):
        if isinstance(f, dict) and "cross" in f:
            sub.add(part, _("Filter %(n)s: a cross filter cannot hold another.") % {"n": m})
            continue
        conditions.append(_filter(target_fields, f, m, sub))
    for message in sub.get(part, []):
        errors.add(part, _("Filter %(n)s (%(key)s): %(e)s") % {"n": n, "key": key, "e": message})
    if sub:
        return None
    return CrossFilter(key, rel, target, present, conditions)


def _filter(fields, raw, n, errors, relations=None) -> Filter | CrossFilter | None:
    part = "filters"
    if not isinstance(raw, dict):
        errors.add(part, _("Filter %(n)s must be an object with field, op and value.") % {"n": n})
        return None
    if "cross" in raw:
        return _cross(raw, n, errors, relations)
    f = _field(fields, raw.get("field"), errors, part, "filterable")
    if f is None:
        return None
    op, value = raw.get("op", "eq"), raw.get("value")
    where = _("Filter %(n)s (%(key)s)") % {"n": n, "key": f.key}
    if op not in OPS:
        errors.add(part, _('%(where)s: unknown operator "%(op)s".') % {"where": where, "op": op})
        return None
    fits = (
        op in ("eq", "ne", "in", "is_empty")
        or (op == "contains" and f.type in TEXTUAL | {objects.TAGS, objects.CHOICES})
        or (op in ("gt", "gte", "lt", "lte", "between") and f.type in ORDERED)
        or (op in RELATIVE and f.type in DATED)
    )
    if not fits or (op == "in" and f.type == objects.BOOL):
        errors.add(part, _('%(where)s: "%(op)s" does not apply to this field.')
                   % {"where": where, "op": op})  # fmt: skip
        return None
    try:
        if op == "is_empty":
            value = value is not False and value not in ("false", "0", 0)
        elif op in RELATIVE:
            value = None
            if op == "last_n_days":
                value = int(raw.get("value"))
                if not 1 <= value <= 3660:
                    raise ValueError(_("the number of days is from 1 to 3660"))
        elif op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError(_("between takes two values: [from, to]"))
            value = [_scalar(f, v) for v in value]
        elif op == "in":
            if not isinstance(value, list) or not value or len(value) > 100:
                raise ValueError(_("in takes a list of 1 to 100 values"))
            value = [_scalar(f, v) for v in value]
        elif f.type in (objects.TAGS, objects.CHOICES):
            value = str(value)[:200]
        else:
            value = _scalar(f, value)
    except (TypeError, ValueError) as exc:
        errors.add(part, f"{where}: {exc}")
        return None
    return Filter(f, op, value)


def _summary(fields, raw, errors) -> Summary | None:
    part = "summaries"
    if not isinstance(raw, dict):
        errors.add(part, _('A summary is an object such as {"field": "amount", "agg": "sum"}.'))
        return None
    agg = raw.get("agg")
    if agg not in AGGREGATES:
        errors.add(part, _('Unknown summary "%(agg)s": use %(all)s.')
                   % {"agg": agg, "all": ", ".join(AGGREGATES)})  # fmt: skip
        return None
    key = raw.get("field") or ""
    if not key and agg == "count":
        return Summary(None, "count")
    f = _field(fields, key, errors, part)
    if f is None:
        return None
    if (agg in ("sum", "avg") and not f.summable) or (
        agg in ("min", "max") and f.type not in ORDERED
    ):
        errors.add(part, _('"%(key)s" cannot be summarised with %(agg)s.')
                   % {"key": key, "agg": agg})  # fmt: skip
        return None
    return Summary(f, agg)


def _bucket(fields, raw, n, errors) -> ReportField | None:
    """A bucket field: a number field's values in bands ("Small" below 1,000, "Medium" below
    10,000, "Large" the rest), which the report groups, filters and shows like a choice."""
    part = "buckets"
    if not isinstance(raw, dict):
        errors.add(part, _("Bucket %(n)s must be an object with key, field and bands.") % {"n": n})
        return None
    key = str(raw.get("key") or "")
    if not BUCKET_KEY.match(key) or key in fields:
        errors.add(part, _('Bucket %(n)s: "%(key)s" is not a free key (a-z, 0-9, _).')
                   % {"n": n, "key": key})  # fmt: skip
        return None
    source = _field(fields, raw.get("field"), errors, part)
    if source is None:
        return None
    if source.type not in NUMERIC or source.bucket:
        errors.add(part, _("Bucket %(n)s: only numbers and money go in bands.") % {"n": n})
        return None
    bands, last = [], None
    raw_bands = raw.get("bands")
    if not isinstance(raw_bands, list) or not 1 <= len(raw_bands) <= MAX_BANDS:
        errors.add(part, _("Bucket %(n)s: from 1 to %(max)s bands.") % {"n": n, "max": MAX_BANDS})
        return None
    for i, band in enumerate(raw_bands):
        label = str((band or {}).get("label") or "").strip()[:60] if isinstance(band, dict) else ""
        to = band.get("to") if isinstance(band, dict) else None
        if not label:
            errors.add(part, _("Bucket %(n)s: every band needs a label.") % {"n": n})
            return None
        if to in (None, ""):
            if i != len(raw_bands) - 1:
                errors.add(part, _("Bucket %(n)s: only the last band may have no upper bound.")
                           % {"n": n})  # fmt: skip
                return None
            bands.append((label, None))
            continue
        try:
            to = _scalar(source, to)
        except ValueError as exc:
            errors.add(part, _("Bucket %(n)s: %(e)s") % {"n": n, "e": exc})
            return None
        if last is not None and to <= last:
            errors.add(part, _("Bucket %(n)s: the bands' upper bounds must grow.") % {"n": n})
            return None
        bands.append((label, to))
        last = to
    label = str(raw.get("label") or key)[:80]
    return ReportField(
        key, label, objects.CHOICE, "", choices=tuple((b, b) for b, _to in bands),
        filterable=True, groupable=True, bucket=(source, tuple(bands)),
    )  # fmt: skip


def clean(raw: dict, fields: dict[str, ReportField], relations: dict | None = None) -> Spec:
    """The Spec of `raw` over the type's `fields`, or SpecError naming every problem.
    `relations` (ReportType.relations()) are what cross filters may reach."""
    errors = _Errors()
    if not isinstance(raw, dict):
        raise SpecError({"non_field_errors": [_("A report definition is an object.")]})

    def listed(part, limit):
        value = raw.get(part) or []
        if not isinstance(value, list):
            errors.add(part, _("A list is expected."))
            return []
        if len(value) > limit:
            errors.add(part, _("At most %(n)s.") % {"n": limit})
            return []
        return value

    raw_buckets = enumerate(listed("buckets", MAX_BUCKETS), 1)
    buckets = [b for b in (_bucket(fields, b, n, errors) for n, b in raw_buckets) if b]
    fields = {**fields, **{b.key: b for b in buckets}}
    columns = [c for c in (_field(fields, k, errors, "columns")
                           for k in listed("columns", MAX_COLUMNS)) if c]  # fmt: skip
    raw_filters = listed("filters", MAX_FILTERS)
    filters = [_filter(fields, f, n, errors, relations) for n, f in enumerate(raw_filters, 1)]
    logic_text = (raw.get("filter_logic") or "").strip()
    tree = logic.default(len(raw_filters))
    if logic_text:
        try:
            tree = logic.parse(logic_text, len(raw_filters))
        except logic.LogicError as exc:
            errors.add("filter_logic", str(exc))
    group_by = [g for g in (_grouping(fields, k, errors, "group_by")
                            for k in listed("group_by", MAX_GROUPS)) if g]  # fmt: skip
    column_group = None
    if raw.get("column_group"):
        column_group = _grouping(fields, raw["column_group"], errors, "column_group")
        if column_group and not group_by:
            errors.add("column_group", _("A matrix needs a row grouping too."))
    summaries = [s for s in (_summary(fields, s, errors)
                             for s in listed("summaries", MAX_SUMMARIES)) if s]  # fmt: skip
    keys = {"count", *(s.key for s in summaries)}
    parsed_formulas = []
    for n, f in enumerate(listed("formulas", MAX_FORMULAS), 1):
        if not isinstance(f, dict) or not str(f.get("expr") or "").strip():
            errors.add("formulas", _("Formula %(n)s needs an expression.") % {"n": n})
            continue
        try:
            tree_ = formulas.parse(str(f["expr"]), keys)
        except formulas.FormulaError as exc:
            errors.add("formulas", _("Formula %(n)s: %(e)s") % {"n": n, "e": exc})
            continue
        key = str(f.get("key") or f"formula_{n}")[:40]
        label = str(f.get("label") or key)[:80]
        parsed_formulas.append(Formula(key, label, str(f["expr"]), tree_))
    sort = None
    if isinstance(raw.get("sort"), dict) and raw["sort"].get("field"):
        sf = _field(fields, raw["sort"]["field"], errors, "sort")
        sort = (sf, bool(raw["sort"].get("desc"))) if sf else None
    chart = raw.get("chart") or ""
    if chart and chart not in CHARTS:
        errors.add("chart", _("Unknown chart: use %(all)s.") % {"all": ", ".join(CHARTS)})
    if errors:
        raise SpecError(dict(errors))
    return Spec(
        columns=columns, filters=filters, logic=tree, logic_text=logic_text, group_by=group_by,
        column_group=column_group, summaries=summaries, formulas=parsed_formulas, sort=sort,
        chart=chart, buckets=buckets,
    )  # fmt: skip
