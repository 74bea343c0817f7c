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

from crm.tenancy.context import require_tenant_id

from .models import Counter, Series

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
