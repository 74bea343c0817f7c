"""A run's result as the pages show it: labels instead of keys, periods written as periods,
a matrix pivoted, and the series a chart draws. The API gives the raw result."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from crm import objects
from crm.web.l10n import format_money, format_number

from .compiler import Result
from .designer import AGG_LABELS, PERIOD_LABELS
from .spec import Spec


def shown(value, field=None, period: str = "") -> str:
    """One value for a cell."""
    if value is None or value == "":
        return _("(empty)")
    if field is not None and field.type == objects.CHOICE and field.choices:
        return str(dict(field.choices).get(value, value))
    if field is not None and field.type == objects.BOOL:
        return _("Yes") if value else _("No")
    if field is not None and field.type in (objects.DATE, objects.DATETIME):
        text = str(value)
        if period == "year":
            return text[:4]
        if period == "quarter":
            return f"{text[:4]} Q{(int(text[5:7]) - 1) // 3 + 1}"
        if period == "month":
            return text[:7]
        return text[:10] if period or field.type == objects.DATE else text[:16].replace("T", " ")
    return str(value)


def amount(value, money: bool, currency: str) -> str:
    """A figure as the reader writes it: "$12,345.50" / "12 345,50 $", "1,234" / "1 234".
    The workspace's formatter (crm.web.l10n, as the deals board and invoices use); the API
    and the exports keep the raw values."""
    if value is None or value == "":
        return ""
    if money and currency:
        return format_money(value, currency)
    return format_number(value) or str(value)


MONEY_AGGS = ("sum", "avg", "min", "max")


def value_kinds(spec: Spec) -> list[bool]:
    """Per summary, then per formula: whether it is money (a sum, average, minimum or
    maximum of a money field). Counts and formulas are plain numbers."""
    return [
        s.field is not None and s.agg in MONEY_AGGS and s.field.type == objects.MONEY
        for s in spec.summaries
    ] + [False] * len(spec.formulas)


def summary_is_money(spec: Spec, key: str) -> bool:
    return any(s.key == key and m for s, m in zip(spec.summaries, value_kinds(spec), strict=False))


def _cell(value, field, currency: str, row: dict | None = None) -> str:
    """A detail row's cell: money in the row's own currency where the row has one."""
    if value is not None and value != "" and field is not None:
        if field.type == objects.MONEY:
            return format_money(value, (row or {}).get("currency") or currency)
        if field.type == objects.NUMBER:
            return format_number(value) or str(value)
    return shown(value, field)


def summary_label(s) -> str:
    if s.field is None:
        return str(AGG_LABELS["count"])
    return f"{AGG_LABELS[s.agg]}: {s.field.label}"


def grouping_label(g) -> str:
    if g.period:
        return f"{g.field.label} ({PERIOD_LABELS[g.period]})"
    return str(g.field.label)


def table(spec: Spec, result: Result, currency: str = "") -> dict:
    """`currency`: the workspace's, for the summaries of money fields (figures are written
    for the reader; the raw values stay in `result`)."""
    groupings = list(spec.group_by)
    values = [(s.key, summary_label(s)) for s in spec.summaries] + [
        (f.key, f.label) for f in spec.formulas
    ]
    money = value_kinds(spec)
    out = {
        "group_headers": [grouping_label(g) for g in groupings],
        "value_headers": [label for _k, label in values],
        "groups": [],
        "matrix": None,
        "column_headers": [str(c.label) for c in spec.columns],
        "rows": [],
        "totals": [
            amount(result.totals.get(k), m, currency)
            for (k, _l), m in zip(values, money, strict=True)
        ],
        "total_count": amount(result.totals.get("count"), False, currency),
    }
    if spec.column_group:
        out["matrix"] = _matrix(spec, result, values, money[0] if money else False, currency)
    else:
        for g in result.groups:
            out["groups"].append(
                {
                    "cells": [shown(g["labels"].get(x.key), x.field, x.period) for x in groupings],
                    "count": amount(g["count"], False, currency),
                    "values": [
                        amount(g["values"].get(k), m, currency) or None
                        for (k, _l), m in zip(values, money, strict=True)
                    ],
                    "drill": json.dumps(g["key"], separators=(",", ":")),
                }
            )
    for row in result.rows:
        out["rows"].append(
            {
                "id": row["id"],
                "cells": [_cell(row.get(c.key), c, currency, row) for c in spec.columns],
            }
        )
    return out


def _matrix(spec: Spec, result: Result, values, money: bool, currency: str) -> dict:
    """Rows by the row groupings, a column per value of the column grouping; each cell the
    count and the first summary."""
    cg = spec.column_group
    first = values[0][0] if values else None
    columns = result.column_keys
    rows: dict[tuple, dict] = {}
    for g in result.groups:
        key = tuple(g["labels"].get(x.key) for x in spec.group_by)
        row = rows.setdefault(
            key,
            {
                "cells": [
                    shown(v, x.field, x.period) for v, x in zip(key, spec.group_by, strict=True)
                ],
                "by_column": {},
                "count": 0,
                "drill": json.dumps(
                    {x.key: g["key"].get(x.key) for x in spec.group_by}, separators=(",", ":")
                ),
            },
        )
        value = amount(g["values"].get(first), money, currency) or None
        row["by_column"][g["labels"].get(cg.key)] = (amount(g["count"], False, currency), value)
        row["count"] += g["count"]
    for row in rows.values():
        row["columns"] = [row["by_column"].get(c, (None, None)) for c in columns]
        row["count"] = amount(row["count"], False, currency)
    return {
        "headers": [shown(c, cg.field, cg.period) for c in columns],
        "title": grouping_label(cg),
        "rows": list(rows.values()),
        "value_label": values[0][1] if values else _("Count"),
    }


def chart(spec: Spec, result: Result) -> dict | None:
    """The data a chart draws over the first row grouping: one series, or one per value of
    the second grouping (or the column grouping)."""
    if not spec.chart or not spec.group_by or not result.groups:
        return None
    first = spec.group_by[0]
    second = spec.column_group or (spec.group_by[1] if len(spec.group_by) > 1 else None)
    measure = next((s for s in spec.summaries if s.agg in ("sum", "count", "count_distinct")), None)
    name = summary_label(measure) if measure else _("Count")
    categories, series = [], {}
    for g in result.groups:
        x = shown(g["labels"].get(first.key), first.field, first.period)
        if x not in categories:
            categories.append(x)
        s = shown(g["labels"].get(second.key), second.field, second.period) if second else name
        v = g["values"].get(measure.key) if measure else g["count"]
        bucket = series.setdefault(s, {})
        bucket[x] = bucket.get(x, 0) + float(v or 0)
    return {
        "type": spec.chart,
        "categories": categories,
        "series": [
            {"name": s, "data": [vals.get(c, 0) for c in categories]} for s, vals in series.items()
        ],
    }
