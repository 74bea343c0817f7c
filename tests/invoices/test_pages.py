"""The pages: the deal card's panel and button, the invoice page's draft editing, issue,
PDF and payments, and the accountant's list."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from crm.activity.dispatch import dispatch_pending
from crm.tenancy.context import tenant_scope
from invoices import services
from invoices.models import Invoice
from tests.conftest import add_member, login

from .conftest import deal_with_lines

pytestmark = pytest.mark.django_db


def test_from_the_deal_card_to_a_paid_invoice(workspace, deal, client):
    _, owner = workspace
    login(client, owner)
    card = client.get(f"/deals/{deal.pk}/").content.decode()
    assert 'data-testid="deal-invoices"' in card and "Create invoice" in card

    response = client.post(f"/deals/{deal.pk}/invoices/new/")
    assert response.status_code == 302
    url = response["Location"]
    page = client.get(url).content.decode()
    assert "Licence" in page and "Issue" in page
    pk = int(url.strip("/").split("/")[-1])

    bad = client.post(f"/invoices/{pk}/lines/", {"name": "Extra", "quantity": "-2",
                                                  "unit_price": "5"})  # fmt: skip
    assert bad.status_code == 400 and "more than zero" in bad.content.decode()
    client.post(f"/invoices/{pk}/lines/", {"name": "Extra", "quantity": "2", "unit_price": "5"})
    client.post(f"/invoices/{pk}/issue/")
    with tenant_scope(owner.tenant_id):
        invoice = Invoice.objects.get(pk=pk)
    assert invoice.status == "issued" and invoice.number and invoice.total == Decimal("414.99")

    pdf = client.get(f"/invoices/{pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    client.post(f"/invoices/{pk}/payments/", {"amount": "100"})
    with tenant_scope(owner.tenant_id):
        assert Invoice.objects.get(pk=pk).payment_status == "partial"
    client.post(f"/invoices/{pk}/payments/", {"amount": "314.99"})
    with tenant_scope(owner.tenant_id):
        assert Invoice.objects.get(pk=pk).payment_status == "paid"

    with tenant_scope(owner.tenant_id, owner.user):
        dispatch_pending()  # the events' consumers (the timeline), as the worker would
    card = client.get(f"/deals/{deal.pk}/").content.decode()
    assert invoice.number in card and "Paid" in card
    # The invoice's life on the deal's history.
    for said in ("Invoice issued: " + invoice.number, "Invoice paid: " + invoice.number):
        assert said in card, said


def test_a_role_without_invoices_sees_only_the_request_to_the_accountant(workspace, client):
    tenant, _ = workspace
    member = add_member(tenant)
    with tenant_scope(tenant):
        role = member.role
        role.grants = {k: v for k, v in role.grants.items() if k != "invoice"}
        role.save()
    deal = deal_with_lines(member)
    login(client, member)
    card = client.get(f"/deals/{deal.pk}/").content.decode()
    assert 'data-testid="ask-accountant"' in card and "create-invoice" not in card
    assert "No invoices yet" not in card  # no list of invoices it may not see
    assert client.get("/invoices/").status_code == 403


def test_a_manager_sees_and_changes_nothing_of_a_colleagues_invoice(workspace, client):
    tenant, _admin = workspace
    mia, carl = add_member(tenant), add_member(tenant)
    deal = deal_with_lines(carl, title="Carl's secret deal")
    with tenant_scope(tenant, carl.user):
        invoice = services.invoice_create_from_deal(actor=carl, deal=deal)
        dispatch_pending()
    # Carl's invoice events are on Carl's deal's timeline only: Mia's card shows none.
    with tenant_scope(tenant, mia.user):
        own = deal_with_lines(mia, title="Mia's deal")
    login(client, mia)
    assert "Draft invoice" not in client.get(f"/deals/{own.pk}/").content.decode()
    login(client, mia)
    for path in ("", "pdf/"):
        assert client.get(f"/invoices/{invoice.pk}/{path}").status_code == 404
    for path in ("issue/", "cancel/", "lines/", "payments/", "edit/", "credit-note/"):
        assert client.post(f"/invoices/{invoice.pk}/{path}", {"amount": "1"}).status_code == 404
    assert client.post(f"/deals/{deal.pk}/invoices/new/").status_code == 404
    assert "Carl" not in client.get("/invoices/").content.decode()
    with tenant_scope(tenant):
        assert Invoice.objects.get(pk=invoice.pk).status == "draft"
        assert Invoice.objects.count() == 1


def test_the_accountants_list_filters_and_totals(workspace, client, django_assert_max_num_queries):
    tenant, owner = workspace
    usd = deal_with_lines(owner)
    rub = deal_with_lines(owner, currency="RUB")
    with tenant_scope(tenant, owner.user):
        made = [services.invoice_create_from_deal(actor=owner, deal=d) for d in (usd, usd, rub)]
        late = services.invoice_issue(actor=owner, invoice=made[0])
        Invoice.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(1))
        services.invoice_issue(actor=owner, invoice=made[2])
    accountant = add_member(tenant, "accountant")
    login(client, accountant)
    page = client.get("/invoices/").content.decode()
    assert page.count('data-testid="invoice-row"') == 3
    assert "USD" in page and "RUB" in page
    overdue = client.get("/invoices/", {"overdue": "1"}).content.decode()
    assert overdue.count('data-testid="invoice-row"') == 1 and late.number in overdue
    drafts = client.get("/invoices/", {"status": "draft"}).content.decode()
    assert drafts.count('data-testid="invoice-row"') == 1
    assert client.get("/invoices/", {"status": "nonsense"}).status_code == 404
    today = timezone.localdate().isoformat()
    issued = client.get("/invoices/", {"issued_after": today, "issued_before": today})
    assert issued.content.decode().count('data-testid="invoice-row"') == 2
    mine = client.get("/invoices/", {"owner": owner.user_id}).content.decode()
    assert mine.count('data-testid="invoice-row"') == 3
    nobody = client.get("/invoices/", {"owner": accountant.user_id}).content.decode()
    assert nobody.count('data-testid="invoice-row"') == 0

    export = client.get("/invoices/export/", {"status": "issued"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(export.streaming_content)))
    rows = book.get_sheet_by_index(0).to_python()
    assert len(rows) == 3 and rows[0][0] == "Invoice no."
    assert {row[8] for row in rows[1:]} == {"USD", "RUB"} and rows[1][11] == 404.99

    with django_assert_max_num_queries(14):
        client.get("/invoices/")
    with tenant_scope(tenant, owner.user):
        for _i in range(10):
            services.invoice_create_from_deal(actor=owner, deal=rub)
    with django_assert_max_num_queries(14):
        assert client.get("/invoices/").content.decode().count('data-testid="invoice-row"') == 13
