"""Invoices: gapless numbering under concurrency, and the PDF's render time.

1. 1,000 drafts issued by 16 concurrent workers (processes, each with its own database
   connection, queueing each issue's event for the events worker as a web worker does), one
   issue in ten rolled back on purpose after it took its number. Then:
   the numbers must be exactly 1..N (gapless, unique), at >= 200 issues/s.
2. The PDF of a 20-line invoice, rendered 60 times: p95 <= 300 ms.
3. The accountant's list (/invoices/, the whole stack through django.test.Client) over a
   workspace of 200,000 invoices, with and without filters, first and deep pages:
   p95 <= 100 ms, and the same number of queries for every variant.

The issuing figures make a fresh workspace each run (its own series, so the numbers start at
1). The list's workspace (slug bench-invoices-list) is seeded once with INSERT ... SELECT
over generate_series (seconds, not the services' minutes) and kept under var/bench/.
Every figure is printed with the machine's load average beside it: on a shared machine the
figures move with it.
"""

from __future__ import annotations

import multiprocessing
import random
import time
import uuid
from decimal import Decimal

from _common import (
    _columns,
    admin_connection,
    describe,
    figure,
    load,
    machine_note,
    setup_django,
)

setup_django()

from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from crm.accounts.models import Membership, Role, User  # noqa: E402
from crm.accounts.services import tenant_create  # noqa: E402
from crm.celery import app  # noqa: E402
from crm.tenancy.context import tenant_scope  # noqa: E402
from crm.tenancy.models import Tenant  # noqa: E402
from deals import services as deal_services  # noqa: E402
from invoices import pdf, services  # noqa: E402
from invoices.models import Invoice, Series  # noqa: E402

ISSUES, WORKERS, ROLLBACK_SHARE = 1_000, 16, 0.10
GOAL_RATE, GOAL_PDF_P95_MS, PDF_ROUNDS = 200.0, 300.0, 60
LIST_INVOICES, LIST_SLUG, GOAL_LIST_P95_MS, LIST_ROUNDS = 200_000, "bench-invoices-list", 100.0, 8
SEED_CHUNK = 50_000


class Rollback(Exception):
    pass


def workspace() -> Membership:
    owner = User.objects.create_user(
        email=f"bench-invoices-{uuid.uuid4().hex[:8]}@example.com", password=uuid.uuid4().hex
    )
    tenant = tenant_create(owner=owner, name=f"Bench invoices {uuid.uuid4().hex[:6]}")
    with tenant_scope(tenant):
        return Membership.objects.select_related("role", "tenant", "user").get(user=owner)


def deal_of(owner: Membership, lines: int):
    deal = deal_services.deal_create(actor=owner, data={"title": "Bench deal"})
    for i in range(lines):
        deal_services.line_item_add(
            actor=owner, deal=deal, name=f"Item {i + 1}", quantity=Decimal(1 + i % 3),
            price=Decimal("99.90"), discount=Decimal(i % 2 * 5), tax_rate=Decimal(20),
        )  # fmt: skip
    return deal


def issue_all(owner: Membership, drafts: list[int]) -> tuple[float, int]:
    """Issue `drafts` from WORKERS processes at once (as web or Celery workers would: each
    its own interpreter and connection, so no worker waits for another's GIL while it holds
    the series' counter)."""
    doomed = set(random.sample(drafts, int(len(drafts) * ROLLBACK_SHARE)))
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS + 1)
    connections.close_all()  # each child opens its own; none shares the parent's socket

    def work(ids):
        # As in a web worker, an issue's event is queued for the events worker on commit,
        # not dispatched inside the issuing worker (the bench runs no events worker; the
        # queue is purged afterwards).
        app.conf.task_always_eager = False
        with tenant_scope(owner.tenant_id, owner.user_id):
            barrier.wait()
            for pk in ids:
                if pk not in doomed:
                    # Its own transaction, as the API's and the page's issue run it (an outer
                    # block would add a savepoint, released while the counter is locked).
                    services.invoice_issue(actor=owner, invoice=pk)
                    continue
                try:
                    with transaction.atomic():
                        services.invoice_issue(actor=owner, invoice=pk)
                        raise Rollback
                except Rollback:
                    pass
        connection.close()

    workers = [context.Process(target=work, args=(drafts[i::WORKERS],)) for i in range(WORKERS)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    app.control.purge()
    failed = [w.exitcode for w in workers if w.exitcode]
    if failed:
        raise SystemExit(f"{len(failed)} issuing workers failed (exit codes {failed})")
    return elapsed, len(drafts) - len(doomed)


def main() -> None:
    machine_note()
    owner = workspace()
    with tenant_scope(owner.tenant_id, owner.user_id):
        small = deal_of(owner, 2)
        drafts = [
            services.invoice_create_from_deal(actor=owner, deal=small).pk for _i in range(ISSUES)
        ]
    elapsed, committed = issue_all(owner, drafts)
    with tenant_scope(owner.tenant_id):
        numbers = sorted(
            int(n.rsplit("-", 1)[1])
            for n in Invoice.objects.filter(status=Invoice.ISSUED).values_list("number", flat=True)
        )
    gapless = numbers == list(range(1, committed + 1))
    print(f"{committed} issued, {ISSUES - committed} rolled back, in {elapsed:.2f} s")
    figure("numbers gapless and unique", int(gapless), "", "1", gapless)
    rate = ISSUES / elapsed
    figure("issue rate, 16 workers", rate, "issues/s", f">= {GOAL_RATE:.0f}", rate >= GOAL_RATE)
    print(f"  ({load()})")

    with tenant_scope(owner.tenant_id, owner.user_id):
        invoice = services.invoice_create_from_deal(actor=owner, deal=deal_of(owner, 20))
        invoice = services.invoice_issue(actor=owner, invoice=invoice)
        pdf.render(invoice)  # the first render loads the fonts
        samples = []
        for _i in range(PDF_ROUNDS):
            started = time.perf_counter()
            pdf.render(Invoice.objects.get(pk=invoice.pk))
            samples.append((time.perf_counter() - started) * 1000)
    p95 = describe("PDF of a 20-line invoice", samples)["p95"]
    figure("PDF p95, 20 lines", p95, "ms", f"<= {GOAL_PDF_P95_MS:.0f}", p95 <= GOAL_PDF_P95_MS)
    print(f"  ({load()})")

    measure_list()


# --- the accountant's list over 200,000 invoices -------------------------------------------

_INVOICE_VALUES = {
    "tenant_id": "%(tenant)s",
    "kind": "'invoice'",
    "series_id": "%(series)s",
    "number": "'B-' || lpad(g::text, 7, '0')",
    "client": "jsonb_build_object('name', 'Client ' || (g %% 5000), 'tax_id', '', 'address', '')",
    "currency": "(ARRAY['USD', 'EUR', 'RUB'])[1 + g %% 3]",
    "issue_date": "DATE '2026-06-01' - (g / 300)",
    "due_date": "DATE '2026-06-15' - (g / 300)",
    "status": "CASE WHEN g %% 40 = 0 THEN 'cancelled' ELSE 'issued' END",
    "payment_status": "(ARRAY['paid', 'partial', 'unpaid', 'unpaid'])[1 + g %% 4]",
    "subtotal": "(100 + g %% 9000)::numeric",
    "tax_total": "0",
    "total": "(100 + g %% 9000)::numeric",
    "paid_amount": "CASE g %% 4 WHEN 0 THEN (100 + g %% 9000) WHEN 1 THEN 50 ELSE 0 END",
    "created_at": "TIMESTAMPTZ '2026-06-01' - g * INTERVAL '3 minutes'",
    "issued_at": "TIMESTAMPTZ '2026-06-01' - g * INTERVAL '3 minutes'",
}


def list_workspace() -> Membership:
    """The list's workspace and its accountant, 200,000 invoices in it (seeded once)."""
    tenant = Tenant.objects.filter(slug=LIST_SLUG).first()
    if tenant is None:
        owner = User.objects.create_user(
            email=f"{LIST_SLUG}@bench.invalid", password=None, first_name="Owner"
        )
        tenant = tenant_create(owner=owner, name="Bench invoices list", slug=LIST_SLUG)
    with tenant_scope(tenant):
        email = f"{LIST_SLUG}-accountant@bench.invalid"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=None, first_name="Accountant"
        )
        member = Membership.objects.filter(user=user).first() or Membership.objects.create(
            user=user, role=Role.objects.get(key="accountant")
        )
        have = Invoice.objects.count()
        if have < LIST_INVOICES:
            series = services.default_series(Series.INVOICE, tenant.country)
            columns, values, params = _columns(Invoice, _INVOICE_VALUES, "inv")
            started = time.perf_counter()
            for first in range(have + 1, LIST_INVOICES + 1, SEED_CHUNK):
                last = min(first + SEED_CHUNK - 1, LIST_INVOICES)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO invoices_invoice ({columns}) "
                        f"SELECT {values} FROM generate_series(%(first)s, %(last)s) AS g",
                        {**params, "tenant": tenant.pk, "series": series.pk, "first": first,
                         "last": last},
                    )  # fmt: skip
            took = time.perf_counter() - started
            print(f"  seeded {LIST_INVOICES - have} invoices in {took:.1f} s")
            admin = admin_connection()
            if admin is not None:
                with admin.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE invoices_invoice")
                admin.close()
        return Membership.objects.select_related("role", "tenant", "user").get(pk=member.pk)


LIST_VARIANTS = [
    {},
    {"status": "issued"},
    {"payment_status": "unpaid"},
    {"overdue": "1"},
    {"currency": "EUR"},
    {"issued_after": "2026-01-01", "issued_before": "2026-03-31"},
    {"q": "B-00123"},
    {"page": "200"},
    {"payment_status": "partial", "currency": "USD", "page": "30"},
]


def measure_list() -> None:
    machine_note()
    member = list_workspace()
    client = Client()
    client.force_login(member.user)
    session = client.session
    session["tenant_id"] = member.tenant_id
    session.save()
    queries: dict[str, int] = {}
    for params in LIST_VARIANTS:  # warm-up, and each variant's query count
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/invoices/", params)
        if response.status_code != 200:
            raise SystemExit(f"/invoices/ {params} answered {response.status_code}")
        queries[str(params)] = len(captured)
    samples = []
    for _round in range(LIST_ROUNDS):
        for params in LIST_VARIANTS:
            started = time.perf_counter()
            client.get("/invoices/", params)
            samples.append((time.perf_counter() - started) * 1000)
    with tenant_scope(member.tenant_id):
        count = Invoice.objects.count()
    p95 = describe(f"accountant's list, {count} invoices, {len(LIST_VARIANTS)} variants", samples)[
        "p95"
    ]
    figure("accountant's list p95, 200,000 invoices", p95, "ms", f"<= {GOAL_LIST_P95_MS:.0f}",
           p95 <= GOAL_LIST_P95_MS)  # fmt: skip
    print(f"  ({load()})")
    constant = len(set(queries.values())) == 1
    figure("list queries, same for every filter and page", max(queries.values()), "queries",
           "constant", constant)  # fmt: skip
    if not constant:
        for name, n in queries.items():
            print(f"    {n} queries for {name}")


if __name__ == "__main__":
    main()
