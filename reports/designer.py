"""The designer's form: its fields read into a definition (spec.py's JSON) and back.

The page is a plain form, so it works without scripts: numbered rows for filters, groupings,
summaries and formulas; blank rows are ignored. htmx posts the same form for the preview.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _

from crm.web import params

from . import spec

FILTER_ROWS, GROUP_ROWS, SUMMARY_ROWS, FORMULA_ROWS = 6, 3, 4, 2
CROSS_ROWS = 2  # cross filters; in the filter logic they come after the plain ones
OP_LABELS = {
    "eq": _("equals"),
    "ne": _("does not equal"),
    "in": _("is one of (a, b)"),
    "contains": _("contains"),
    "gt": _("greater than"),
    "gte": _("at least"),
    "lt": _("less than"),
    "lte": _("at most"),
    "between": _("between (a, b)"),
    "is_empty": _("is empty"),
    "this_month": _("this month"),
    "last_month": _("last month"),
    "this_quarter": _("this quarter"),
    "last_quarter": _("last quarter"),
    "this_year": _("this year"),
    "last_year": _("last year"),
    "last_n_days": _("in the last N days"),
}
AGG_LABELS = {
    "count": _("Count"),
    "sum": _("Sum"),
    "avg": _("Average"),
    "min": _("Minimum"),
    "max": _("Maximum"),
    "count_distinct": _("Distinct count"),
}
PERIOD_LABELS = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
}
CHART_LABELS = {
    "bar": _("Bar chart"),
    "line": _("Line chart"),
    "pie": _("Pie chart"),
    "funnel": _("Funnel chart"),
}


def _listed(op: str, raw: str):
    if op in ("in", "between"):
        return [v.strip() for v in raw.split(",") if v.strip()]
    return raw


BUCKET_KEY = "band"  # the designer's one bucket field


def _bands(text: str) -> list[dict]:
    """ "Small < 1000, Medium < 10000, Large" -> bands (the last one open)."""
    bands = []
    for part in text.split(","):
        label, sep, to = part.partition("<")
        if label.strip() or to.strip():
            bands.append({"label": label.strip(), "to": to.strip() if sep else None})
    return bands


def _bands_text(bands: list) -> str:
    return ", ".join(
        f"{b.get('label', '')} < {b['to']}" if b.get("to") not in (None, "") else b.get("label", "")
        for b in bands
    )


def definition_from(post) -> dict:
    """The definition the form describes (checked later by spec.clean)."""
    filters = []
    for n in range(FILTER_ROWS):
        key = post.get(f"f{n}_field", "").strip()
        if not key:
            continue
        op = post.get(f"f{n}_op", "eq")
        filters.append({"field": key, "op": op, "value": _listed(op, post.get(f"f{n}_value", ""))})
    for n in range(CROSS_ROWS):
        rel = post.get(f"c{n}_rel", "").strip()
        if not rel:
            continue
        inner = []
        if post.get(f"c{n}_field", "").strip():
            op = post.get(f"c{n}_op", "eq")
            inner.append({"field": post[f"c{n}_field"].strip(), "op": op,
                          "value": _listed(op, post.get(f"c{n}_value", ""))})  # fmt: skip
        try:  # conditions the API gave beyond the one row shows, kept as they were
            more = params.json_loads(post.get(f"c{n}_more") or "[]")
        except ValueError:
            more = []
        inner += more if isinstance(more, list) else []
        filters.append({"cross": rel, "with": post.get(f"c{n}_with") != "0", "filters": inner})
    group_by = []
    for n in range(GROUP_ROWS):
        key = post.get(f"g{n}_field", "").strip()
        if key:
            period = post.get(f"g{n}_period", "").strip()
            group_by.append(f"{key}:{period}" if period else key)
    column_group = post.get("cg_field", "").strip()
    if column_group and post.get("cg_period", "").strip():
        column_group = f"{column_group}:{post['cg_period'].strip()}"
    summaries = []
    for n in range(SUMMARY_ROWS):
        agg = post.get(f"s{n}_agg", "").strip()
        if agg:
            summaries.append({"field": post.get(f"s{n}_field", "").strip(), "agg": agg})
    formulas = [
        {
            "key": f"formula_{n + 1}",
            "label": post.get(f"x{n}_label", "").strip(),
            "expr": post.get(f"x{n}_expr", "").strip(),
        }
        for n in range(FORMULA_ROWS)
        if post.get(f"x{n}_expr", "").strip()
    ]
    sort = None
    if post.get("sort_field", "").strip():
        sort = {"field": post["sort_field"].strip(), "desc": post.get("sort_desc") == "1"}
    buckets = []
    if post.get("b_field", "").strip() and post.get("b_bands", "").strip():
        buckets.append({
            "key": BUCKET_KEY, "label": post.get("b_label", "").strip() or BUCKET_KEY,
            "field": post["b_field"].strip(), "bands": _bands(post["b_bands"]),
        })  # fmt: skip
    return {
        "buckets": buckets,
        "columns": [c for c in post.getlist("columns") if c],
        "filters": filters,
        "filter_logic": post.get("filter_logic", "").strip(),
        "group_by": group_by,
        "column_group": column_group,
        "summaries": summaries,
        "formulas": formulas,
        "sort": sort,
        "chart": post.get("chart", "").strip(),
    }


def _pad(items: list, size: int, blank) -> list:
    return [*items, *([blank] * max(size - len(items), 0))][:size]


def rows_for(definition: dict) -> dict:
    """The form's numbered rows filled from a stored definition."""

    def split(key: str) -> dict:
        field, _sep, period = (key or "").partition(":")
        return {"field": field, "period": period}

    filters, crosses = [], []
    for f in definition.get("filters") or []:
        if isinstance(f, dict) and "cross" in f:
            crosses.append(_cross_row(f))
            continue
        value = f.get("value")
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        filters.append(
            {
                "field": f.get("field", ""),
                "op": f.get("op", "eq"),
                "value": "" if value is None else value,
            }
        )
    bucket = next(iter(definition.get("buckets") or []), None) or {}
    return {
        "bucket": {
            "label": bucket.get("label", ""),
            "field": bucket.get("field", ""),
            "bands": _bands_text(bucket.get("bands") or []),
        },
        "filters": _pad(filters, FILTER_ROWS, {"field": "", "op": "eq", "value": ""}),
        "crosses": _pad(
            crosses,
            CROSS_ROWS,
            {"rel": "", "with": True, "field": "", "op": "eq", "value": "", "more": ""},
        ),
        "groups": _pad(
            [split(g) for g in definition.get("group_by") or []],
            GROUP_ROWS,
            {"field": "", "period": ""},
        ),
        "column_group": split(definition.get("column_group") or ""),
        "summaries": _pad(
            list(definition.get("summaries") or []), SUMMARY_ROWS, {"field": "", "agg": ""}
        ),
        "formulas": _pad(
            list(definition.get("formulas") or []), FORMULA_ROWS, {"label": "", "expr": ""}
        ),
        "columns": list(definition.get("columns") or []),
        "sort": definition.get("sort") or {},
        "filter_logic": definition.get("filter_logic") or "",
        "chart": definition.get("chart") or "",
    }


def _cross_row(f: dict) -> dict:
    inner = [x for x in f.get("filters") or [] if isinstance(x, dict)]
    first = inner[0] if inner else {}
    value = first.get("value")
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return {
        "rel": f.get("cross", ""), "with": f.get("with", True) is not False,
        "field": first.get("field", ""), "op": first.get("op", "eq"),
        "value": "" if value is None else value,
        "more": json.dumps(inner[1:]) if len(inner) > 1 else "",
    }  # fmt: skip


def relations_for(report_type) -> list[dict]:
    """The cross filters the designer offers: each related type with its filterable fields."""
    return [
        {"key": key, "label": relation.label,
         "fields": [f for f in target.fields().values() if f.filterable]}
        for key, (relation, target) in report_type.relations().items()
    ]  # fmt: skip


def choices() -> dict:
    return {
        "ops": list(OP_LABELS.items()),
        "aggs": list(AGG_LABELS.items()),
        "periods": list(PERIOD_LABELS.items()),
        "charts": list(CHART_LABELS.items()),
        "all_ops": spec.OPS,
    }
