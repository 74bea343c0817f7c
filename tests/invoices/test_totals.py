"""The accountant's totals per currency: kept in InvoiceTotal by the database as invoices
change, they must equal the plain aggregate of the filtered invoices for every filter,
after issues, payments, cancellations and credit notes, and for a member who sees only
their own invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from invoices import selectors, services
from invoices.models import Invoice, InvoiceTotal, Series
from tests.conftest import add_member, login
from tests.invoices.conftest import deal_with_lines
from tests.invoices.flows_helpers import company, issued

KEY = ("currency", "status", "payment_status", "series_id", "issue_date", "due_date")


def filter_sets(series_id: int, client_id: int, owner_id: int) -> list[dict]:
    today = timezone.localdate()
    return [
        {},
        {"status": "issued"},
        {"status": "draft"},
        {"status": "cancelled"},
        {"payment_status": "unpaid"},
        {"payment_status": "partial"},
        {"payment_status": "paid"},
        {"overdue": "1"},
        {"currency": "usd"},
        {"currency": "EUR", "status": "issued"},
        {"series": str(series_id)},
        {"issued_after": str(today), "issued_before": str(today)},
        {"issued_after": str(today + dt.timedelta(days=1))},
        {"due_before": str(today - dt.timedelta(days=1))},
        {"due_after": str(today)},
        {"company": str(client_id)},
        {"owner": str(owner_id)},
        {"q": "client co"},
        {"q": "  "},
        {"payment_status": "partial", "currency": "USD", "page": "2"},
    ]


def assert_totals_match(member, params):
    qs = selectors.apply_filters(selectors.invoices_for(member), params)
    plain = selectors.totals_by_currency(qs)
    with CaptureQueriesContext(connection) as captured:
        shown = selectors.list_totals(member, params, qs)
    assert shown == plain, params
    assert len(captured) == 1, params
    return captured.captured_queries[0]["sql"]


def assert_kept_rows_are_the_invoices(tenant_id):
    """Every kept row is the sum of the invoices of its key, and no key is missing."""
    with tenant_scope(tenant_id):
        kept = {
            tuple(row[k] for k in KEY): (row["invoice_count"], row["total_sum"], row["paid_sum"])
            for row in InvoiceTotal.objects.values(*KEY, "invoice_count", "total_sum", "paid_sum")
            if row["invoice_count"] or row["total_sum"] or row["paid_sum"]
        }
        plain = {
            tuple(row[k] for k in KEY): (row["n"], row["t"], row["p"])
            for row in Invoice.objects.order_by()
            .values(*KEY)
            .annotate(n=Count("id"), t=Sum("total"), p=Sum("paid_amount"))
        }
    assert kept == plain


@pytest.fixture
def books(workspace):
    """Invoices in every state: drafts, issued in two currencies, overdue, partly and fully
    paid, cancelled, a credit note; a manager's own deal among them."""
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    client = company(owner, "Client Co")
    paid = issued(owner, client, price="300.00")
    partial = issued(owner, client, price="80.00", currency="EUR")
    issued(owner, price="55.50", title="Walk-in")
    doomed = issued(owner, price="12.00")
    own = issued(manager, price="70.00", title="Manager's own")
    with tenant_scope(tenant, owner.user):
        services.payment_record(actor=owner, allocations=[(paid, "300.00")])
        services.payment_record(actor=owner, allocations=[(partial, "30.00")])
        services.invoice_cancel(actor=owner, invoice=doomed)
        services.invoice_create_from_deal(actor=owner, deal=deal_with_lines(owner))
        note = services.credit_note_create(actor=owner, invoice=own)
        services.invoice_issue(actor=owner, invoice=note)
        # An overdue one: issued days ago, due yesterday.
        late = issued(owner, price="40.00", title="Late")
        Invoice.objects.filter(pk=late.pk).update(
            issue_date=timezone.localdate() - dt.timedelta(days=20),
            due_date=timezone.localdate() - dt.timedelta(days=1),
        )
        series = Series.objects.get(kind=Series.INVOICE, is_default=True)
    return tenant, owner, manager, client, series


@pytest.mark.django_db
def test_the_kept_totals_equal_the_plain_aggregate_for_every_filter(books):
    tenant, owner, manager, client, series = books
    assert_kept_rows_are_the_invoices(tenant.pk)
    with tenant_scope(tenant, owner.user):
        for params in filter_sets(series.pk, client.pk, manager.user_id):
            sql = assert_totals_match(owner, params)
            kept = not ({"company", "owner"} & set(params)) and params.get("q", "").strip() == ""
            # The kept totals answer the filters they have columns for, not the others.
            assert ("invoices_invoicetotal" in sql) == kept, params


@pytest.mark.django_db
def test_the_kept_totals_follow_payments_refunds_cancellations_and_issues(books):
    tenant, owner, manager, client, series = books
    with tenant_scope(tenant, owner.user):
        partial = Invoice.objects.get(currency="EUR", status=Invoice.ISSUED)
        services.payment_record(actor=owner, allocations=[(partial, "50.00")])  # now paid
        services.payment_record(actor=owner, allocations=[(partial, "20.00")], refund=True)
        draft = Invoice.objects.filter(status=Invoice.DRAFT).first()
        services.invoice_issue(actor=owner, invoice=draft)
        walk_in = Invoice.objects.get(status=Invoice.ISSUED, total=Decimal("55.50"))
        services.invoice_cancel(actor=owner, invoice=walk_in)
        # A draft's lines changed: its total moves, and the kept totals with it.
        fresh = services.invoice_create_from_deal(actor=owner, deal=deal_with_lines(owner))
        line = fresh.lines.first()
        services.line_update(actor=owner, invoice=fresh, line_id=line.pk, data={"quantity": "7"})
        # An issue rolled back after it took its number changes nothing.
        other = services.invoice_create_from_deal(actor=owner, deal=deal_with_lines(owner))
        with pytest.raises(RuntimeError), transaction.atomic():
            services.invoice_issue(actor=owner, invoice=other)
            raise RuntimeError
        for params in filter_sets(series.pk, client.pk, manager.user_id):
            assert_totals_match(owner, params)
    assert_kept_rows_are_the_invoices(tenant.pk)


@pytest.mark.django_db
def test_a_manager_with_own_visibility_gets_totals_of_their_invoices_only(books, client):
    tenant, owner, manager, _client, _series = books
    with tenant_scope(tenant, manager.user):
        for params in ({}, {"status": "issued"}, {"currency": "USD"}):
            sql = assert_totals_match(manager, params)
            assert "invoices_invoicetotal" not in sql
        mine = selectors.list_totals(manager, {}, selectors.invoices_for(manager))
    # Their invoice and the credit note on it, nothing of the colleagues'.
    assert [(row["currency"], row["count"], row["total"]) for row in mine] == [
        ("USD", 2, Decimal("0.00"))
    ]
    with tenant_scope(tenant, owner.user):
        everyone = selectors.list_totals(owner, {}, selectors.invoices_for(owner))
    assert next(row for row in everyone if row["currency"] == "USD")["count"] > 2
    login(client, manager)
    response = client.get("/invoices/")
    assert response.status_code == 200
    assert [(row["count"], row["total"]) for row in response.context["totals"]] == [
        (2, Decimal("0.00"))
    ]


@pytest.mark.django_db
def test_other_workspaces_invoices_are_not_in_the_kept_totals(books, other_workspace):
    tenant, owner, *_rest = books
    other_tenant, other_owner = other_workspace
    issued(other_owner, price="999.00")
    with tenant_scope(tenant, owner.user):
        totals = selectors.list_totals(owner, {}, selectors.invoices_for(owner))
        assert all(row["total"] != Decimal("999.00") for row in totals)
        assert_totals_match(owner, {})
    assert_kept_rows_are_the_invoices(other_tenant.pk)


@pytest.mark.django_db
def test_search_finds_a_number_or_a_clients_name_in_part_whatever_the_case(books):
    tenant, owner, *_rest = books
    with tenant_scope(tenant, owner.user):
        visible = selectors.invoices_for(owner)
        by_name = selectors.apply_filters(visible, {"q": "CLIENT co"})
        assert {i.client.get("name") for i in by_name} == {"Client Co"}
        number = Invoice.objects.filter(status=Invoice.ISSUED).first().number
        found = selectors.apply_filters(visible, {"q": number.lower()[-7:]})
        assert number in {i.number for i in found}


@pytest.mark.django_db
def test_the_issued_event_carries_the_number_written_with_it(workspace):
    _tenant, owner = workspace
    invoice = issued(owner)
    with tenant_scope(owner.tenant_id):
        event = Event.objects.get(type="invoice.issued", subject_id=invoice.pk)
        stored = Invoice.objects.get(pk=invoice.pk)
    assert invoice.number == stored.number
    assert event.data["number"] == stored.number
    assert event.subject_repr == stored.number
    assert stored.status == Invoice.ISSUED and stored.issue_date == timezone.localdate()
