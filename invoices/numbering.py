"""Gapless invoice numbers.

One counter row per (tenant, series, period), bumped by a single
INSERT ... ON CONFLICT DO UPDATE ... RETURNING inside the issuing transaction. The row stays
locked until that transaction ends: a concurrent issue in the same series waits for it, then
reads the committed value, so no two invoices get one number (SELECT MAX()+1 would), and an
issue that rolls back takes its increment with it, so no number is skipped (a PostgreSQL
sequence would skip it). A unique constraint on (tenant, series, number) backs it.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from crm.activity.models import Event
from crm.tenancy.context import require_tenant_id

from .models import Counter, Invoice, Series

# A format names only these fields, with an optional numeric format spec ({n:05}); nothing
# else reaches str.format, so a format cannot read attributes ({series.__class__}).
FIELDS = ("series", "yyyy", "yy", "mm", "fy", "fyy", "n")
_FIELD = re.compile(r"\{([^{}:]*)(?::([0-9<>^=+ ]*))?\}")


def period_key(period: str, day: date) -> str:
    if period == Series.YEAR:
        return str(day.year)
    if period == Series.FISCAL_IN:
        start = day.year if day.month >= 4 else day.year - 1
        return f"{start}-{(start + 1) % 100:02d}"
    return ""


def check_format(fmt: str) -> None:
    names = [m.group(1) for m in _FIELD.finditer(fmt)]
    leftover = _FIELD.sub("", fmt)
    if (
        "n" not in names
        or any(n not in FIELDS for n in names)
        or "{" in leftover
        or ("}" in leftover)
    ):
        raise ValidationError(
            {"format": _("Use {series}, {yyyy}, {yy}, {mm}, {fy} and {n}, such as {n:05}.")}
        )


def render(series: Series, number: int, day: date) -> str:
    check_format(series.format)
    fy = period_key(Series.FISCAL_IN, day)
    return series.format.format(
        series=series.code,
        yyyy=f"{day.year:04d}",
        yy=f"{day.year % 100:02d}",
        mm=f"{day.month:02d}",
        fy=fy,
        fyy=fy[2:],  # "26-27": India's 16 characters leave room for the number
        n=number,
    )


def next_number(series: Series, day: date) -> int:
    """The next number of `series` in the period of `day`; must run inside the transaction
    that stores it on the invoice."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() belongs inside the issuing transaction")
    table = Counter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, series_id, period, last_number) "  # noqa: S608
            "VALUES (%s, %s, %s, 1) "
            "ON CONFLICT (tenant_id, series_id, period) "
            f"DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [require_tenant_id(), series.pk, period_key(series.period, day)],
        )
        return cursor.fetchone()[0]


_PADDED = re.compile(r"^(0?)(\d*)$")


def _split(series: Series, day: date) -> tuple[str, int, str] | None:
    """(text before the number, zero-padded width, text after) when the number is written
    plainly or zero-padded ({n}, {n:05}), else None."""
    check_format(series.format)
    found = [m for m in _FIELD.finditer(series.format) if m.group(1) == "n"]
    if len(found) != 1:
        return None
    spec = found[0].group(2) or ""
    padded = _PADDED.match(spec)
    if padded is None or (padded.group(2) and not padded.group(1)):
        return None  # a width padded with spaces, an alignment: rendered in Python
    fy = period_key(Series.FISCAL_IN, day)
    fields = {"series": series.code, "yyyy": f"{day.year:04d}", "yy": f"{day.year % 100:02d}",
              "mm": f"{day.month:02d}", "fy": fy, "fyy": fy[2:]}  # fmt: skip
    start, end = found[0].span()
    return (
        series.format[:start].format(**fields),
        int(padded.group(2) or 0),
        series.format[end:].format(**fields),
    )


def _set_clause(invoice: Invoice, fields) -> tuple[str, list]:
    """`col = %s, ...` and its parameters for the invoice's `fields`, adapted as the ORM would
    save them."""
    sets, params = [], []
    for name in fields:
        field = Invoice._meta.get_field(name)
        sets.append(f'"{field.column}" = %s')
        params.append(field.get_db_prep_save(getattr(invoice, field.attname), connection))
    return "".join(f"{s}, " for s in sets), params


def assign(series: Series, day: date, invoice: Invoice, fields=(), event: Event | None = None):
    """Take the next number of `series` and write it on the invoice with its `fields` (as
    they are on `invoice`), and into `event` (already written in this transaction, its
    payload's "number" and its subject's text), in one statement: while the counter row is
    locked, that statement and the commit are all that run. The number as written. Must
    run inside the issuing transaction, as its last write."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("assign() belongs inside the issuing transaction")
    parts = _split(series, day)
    tenant_id = require_tenant_id()
    if parts is None:
        # A format written in Python ({n:>6}): the number, then the writes.
        invoice.number = render(series, next_number(series, day), day)
        Invoice.objects.filter(pk=invoice.pk).update(
            number=invoice.number, **{name: getattr(invoice, name) for name in fields}
        )
        if event is not None:
            Event.objects.filter(pk=event.pk).update(
                subject_repr=invoice.number[:200], data={**event.data, "number": invoice.number}
            )
        return invoice.number
    before, width, after = parts
    counter, table = Counter._meta.db_table, Invoice._meta.db_table
    sets, set_params = _set_clause(invoice, fields)
    stamp, stamp_params = "", []
    if event is not None:
        events = Event._meta.db_table
        stamp = (
            f", e AS (UPDATE {events} SET subject_repr = left(u.number, 200), "  # noqa: S608
            "data = jsonb_set(data, '{number}', to_jsonb(u.number)) "
            f"FROM u WHERE {events}.id = %s AND {events}.tenant_id = %s)"
        )
        stamp_params = [event.pk, tenant_id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH c AS (INSERT INTO {counter} (tenant_id, series_id, period, last_number) "  # noqa: S608
            "VALUES (%s, %s, %s, 1) ON CONFLICT (tenant_id, series_id, period) "
            f"DO UPDATE SET last_number = {counter}.last_number + 1 RETURNING last_number), "
            f"u AS (UPDATE {table} SET {sets}number = %s || lpad(c.last_number::text, "
            "GREATEST(%s, length(c.last_number::text)), '0') || %s "
            f"FROM c WHERE {table}.id = %s AND {table}.tenant_id = %s "
            f"RETURNING {table}.number){stamp} SELECT number FROM u",
            [tenant_id, series.pk, period_key(series.period, day), *set_params, before, width,
             after, invoice.pk, tenant_id, *stamp_params],
        )  # fmt: skip
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the invoice to number is not in this workspace")
    invoice.number = row[0]
    return invoice.number
