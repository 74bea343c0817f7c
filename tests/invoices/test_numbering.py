"""Gapless, unique numbers under concurrency, against the real PostgreSQL: threads with
their own connections issue drafts at once, some of them inside transactions that roll back
after the number was taken."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from crm.tenancy.context import tenant_scope
from invoices import numbering, services
from invoices.models import Counter, Invoice, Series

from .conftest import deal_with_lines


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_with_rollbacks_are_gapless_and_unique(workspace):
    tenant, owner = workspace
    deal = deal_with_lines(owner)
    with tenant_scope(tenant, owner.user):
        drafts = [services.invoice_create_from_deal(actor=owner, deal=deal).pk for _i in range(48)]
    workers, errors = 8, []
    barrier = threading.Barrier(workers)
    doomed = set(drafts[::5])  # every fifth issue rolls back after taking its number

    def work(ids):
        try:
            barrier.wait()
            with tenant_scope(tenant, owner.user):
                for pk in ids:
                    try:
                        with transaction.atomic():
                            services.invoice_issue(actor=owner, invoice=pk)
                            if pk in doomed:
                                raise Rollback
                    except Rollback:
                        pass
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(drafts[i::workers],)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []

    with tenant_scope(tenant):
        issued = list(Invoice.objects.filter(status=Invoice.ISSUED).values_list("number", "pk"))
        rolled_back = Invoice.objects.filter(pk__in=doomed)
        assert all(i.status == Invoice.DRAFT and i.number is None for i in rolled_back)
        numbers = sorted(int(number.rsplit("-", 1)[1]) for number, _pk in issued)
        assert len(issued) == len(drafts) - len(doomed)
        assert numbers == list(range(1, len(issued) + 1))  # no gap, no duplicate
        assert Counter.objects.get().last_number == len(issued)


@pytest.mark.django_db
def test_periods_and_formats():
    assert numbering.period_key(Series.NEVER, date(2026, 5, 1)) == ""
    assert numbering.period_key(Series.YEAR, date(2026, 5, 1)) == "2026"
    assert numbering.period_key(Series.FISCAL_IN, date(2026, 3, 31)) == "2025-26"
    assert numbering.period_key(Series.FISCAL_IN, date(2026, 4, 1)) == "2026-27"
    series = Series(code="INV", format="{series}/{fy}/{n:05}", period=Series.FISCAL_IN)
    assert numbering.render(series, 7, date(2027, 1, 5)) == "INV/2026-27/00007"
    series.format = "{series}-{yyyy}-{n:05}"
    assert numbering.render(series, 12, date(2026, 1, 5)) == "INV-2026-00012"
    for bad in ("{series.__class__}-{n}", "{series}", "{n!r}", "{n}{", "{0}{n}"):
        with pytest.raises(ValidationError):
            numbering.check_format(bad)


@pytest.mark.django_db
def test_a_new_year_starts_again_at_one(workspace, deal):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        first = services.invoice_create_from_deal(actor=owner, deal=deal)
        second = services.invoice_create_from_deal(actor=owner, deal=deal)
        services.invoice_issue(actor=owner, invoice=first, day=date(2026, 12, 31))
        services.invoice_issue(actor=owner, invoice=second, day=date(2027, 1, 1))
        first.refresh_from_db()
        second.refresh_from_db()
    assert (first.number, second.number) == ("INV-2026-00001", "INV-2027-00001")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("{series}-{yyyy}-{n:05}", ["INV-2026-00001", "INV-2026-00002"]),  # one statement
        ("{n}/{yy}", ["1/26", "2/26"]),  # one statement, nothing before the number
        ("{series}{n:03}x", ["INV001x", "INV002x"]),
        ("{series}-{n:>4}", ["INV-   1", "INV-   2"]),  # aligned: rendered in Python
    ],
)
def test_the_number_is_written_as_the_format_says(workspace, deal, fmt, expected):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        Series.objects.filter(kind=Series.INVOICE, is_default=True).update(format=fmt)
        made = [services.invoice_create_from_deal(actor=owner, deal=deal) for _i in expected]
        numbers = [
            services.invoice_issue(actor=owner, invoice=i, day=date(2026, 5, 1)).number
            for i in made
        ]
        stored = [Invoice.objects.get(pk=i.pk).number for i in made]
    assert numbers == stored == expected
    assert numbering.render(Series(code="INV", format=fmt), 1, date(2026, 5, 1)) == expected[0]
