"""Settings > Invoicing beyond the seller: tax settings (prices with tax, tax on the total),
numbering series and tax rates edited, added and archived; admins only, own workspace only;
and the invoice page's client requisites and e-Barimt receipt forms."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.tenancy.context import tenant_scope
from invoices import selectors, services
from invoices.models import Invoice, LegalEntity, Series, TaxRate
from tests.conftest import add_member, login

from .conftest import deal_with_lines

pytestmark = pytest.mark.django_db


def _series(tenant, code="INV"):
    with tenant_scope(tenant):
        return Series.objects.get(code=code)


def test_the_tax_settings_change_new_drafts_only(workspace, client):
    tenant, owner = workspace
    login(client, owner)
    three = [("Pen", Decimal(1), Decimal("0.05"), Decimal(0), Decimal(10))] * 3
    before = deal_with_lines(owner, lines=three)
    with tenant_scope(tenant, owner.user):
        old = services.invoice_create_from_deal(actor=owner, deal=before)
    assert old.tax_total == Decimal("0.03")  # 0.005 rounded up on each of three lines
    page = client.get("/settings/invoicing/").content.decode()
    assert 'data-testid="tax-settings-form"' in page
    response = client.post("/settings/invoicing/tax/", {"tax_on_total": "on"})
    assert response.status_code == 302
    with tenant_scope(tenant, owner.user):
        assert LegalEntity.objects.get().tax_on_total is True
        new = services.invoice_create_from_deal(actor=owner, deal=before)
        old.refresh_from_db()
    assert (new.tax_on_total, new.tax_total, new.total) == (True, Decimal("0.02"), Decimal("0.17"))
    assert old.tax_total == Decimal("0.03") and old.tax_on_total is False

    client.post("/settings/invoicing/tax/", {"prices_include_tax": "on"})
    with tenant_scope(tenant, owner.user):
        included = services.invoice_create_from_deal(
            actor=owner,
            deal=deal_with_lines(owner, lines=[("Box", Decimal(1), Decimal(120), 0, Decimal(20))]),
        )
        line = included.lines.get()
        assert (line.net, line.tax, line.total) == (Decimal(100), Decimal(20), Decimal(120))
        assert included.total == Decimal(120)
        # A line added to it follows the invoice's settings too: 11 with 10 % in it is 1.00.
        ten = TaxRate.objects.create(name="VAT 10%", percent=10)
        services.line_add(actor=owner, invoice=included, data={
            "name": "Tape", "quantity": "1", "unit_price": "11", "tax_rate": ten.pk})  # fmt: skip
        included.refresh_from_db()
        assert (included.subtotal, included.tax_total, included.total) == (
            Decimal("110.00"), Decimal("21.00"), Decimal("131.00"),
        )  # fmt: skip


def test_an_admin_edits_and_adds_series(workspace, client):
    tenant, owner = workspace
    login(client, owner)
    series = _series(tenant)
    url = f"/settings/invoicing/series/{series.pk}/"
    assert "{series}-{yyyy}-{n:05}" in client.get(url).content.decode()
    form = {"code": "INV", "kind": "invoice", "format": "{series}/{n:04}", "period": "year"}
    bad = client.post(url, form)
    assert bad.status_code == 400 and "needs the period in the number" in bad.content.decode()
    bad = client.post(url, {**form, "format": "{series}-{n:04}-{secret}"})
    assert bad.status_code == 400 and "Use {series}" in bad.content.decode()
    assert client.post(url, {**form, "format": "{yy}/{series}/{n:04}"}).status_code == 302
    with tenant_scope(tenant, owner.user):
        assert Series.objects.get(pk=series.pk).format == "{yy}/{series}/{n:04}"
        invoice = services.invoice_create_from_deal(actor=owner, deal=deal_with_lines(owner))
        invoice = services.invoice_issue(actor=owner, invoice=invoice)
    assert invoice.number == f"{timezone.localdate().year % 100:02d}/INV/0001"
    # Used now: the code and the reset stay, the format may still change.
    refused = client.post(url, {**form, "code": "NEW", "format": "{yy}/NEW/{n:04}"})
    assert refused.status_code == 400 and "stay as they are" in refused.content.decode()
    new = {"code": "EXP", "kind": "invoice", "format": "EX-{fy}-{n:03}", "period": "fy_in",
           "is_default": "on"}  # fmt: skip
    assert client.post("/settings/invoicing/series/new/", new).status_code == 302
    duplicate = client.post("/settings/invoicing/series/new/", new)
    assert (
        duplicate.status_code == 400
        and "Another series has this code" in duplicate.content.decode()
    )
    with tenant_scope(tenant):
        assert list(Series.objects.filter(kind="invoice", is_default=True).values_list(
            "code", flat=True)) == ["EXP"]  # fmt: skip


def test_an_indian_series_longer_than_16_characters_is_refused(workspace, client):
    tenant, owner = workspace
    type(tenant).objects.filter(pk=tenant.pk).update(country="IN")
    login(client, owner)
    form = {"code": "INVOICE", "kind": "invoice", "format": "{series}/{fy}/{n:05}",
            "period": "fy_in"}  # fmt: skip
    response = client.post("/settings/invoicing/series/new/", form)
    assert response.status_code == 400 and "16 characters" in response.content.decode()
    form["format"] = "{series}/{fyy}/{n:05}"  # INVOICE/26-27/00001: 19
    assert client.post("/settings/invoicing/series/new/", form).status_code == 400
    form.update(code="IN", format="{series}/{fyy}/{n:05}")  # IN/26-27/00001: 14
    assert client.post("/settings/invoicing/series/new/", form).status_code == 302


def test_an_admin_adds_edits_and_archives_tax_rates(workspace, client):
    tenant, owner = workspace
    login(client, owner)
    new = {"name": "VAT 12%", "percent": "12", "valid_from": "2026-01-01", "valid_to": ""}
    bad = client.post("/settings/invoicing/rates/new/", {**new, "percent": "112"})
    assert bad.status_code == 400 and "from 0 to 100" in bad.content.decode()
    bad = client.post("/settings/invoicing/rates/new/", {**new, "valid_to": "2025-12-31"})
    assert bad.status_code == 400 and "cannot end before it starts" in bad.content.decode()
    assert client.post("/settings/invoicing/rates/new/", new).status_code == 302
    with tenant_scope(tenant):
        rate = TaxRate.objects.get(name="VAT 12%")
    assert (rate.percent, rate.valid_from, rate.valid_to) == (Decimal(12), date(2026, 1, 1), None)
    # Used by a line, its percent stays; its name and dates may change.
    with tenant_scope(tenant, owner.user):
        draft = services.invoice_create_from_deal(actor=owner, deal=deal_with_lines(owner))
        services.line_add(actor=owner, invoice=draft, data={
            "name": "Box", "quantity": "1", "unit_price": "10", "tax_rate": rate.pk})  # fmt: skip
    url = f"/settings/invoicing/rates/{rate.pk}/"
    refused = client.post(url, {**new, "percent": "13"})
    assert refused.status_code == 400 and "end it" in refused.content.decode()
    assert client.post(url, {**new, "name": "VAT twelve"}).status_code == 302
    assert client.post(f"{url}archive/").status_code == 302
    yesterday = timezone.localdate() - timedelta(days=1)
    with tenant_scope(tenant):
        rate.refresh_from_db()
        assert (rate.name, rate.valid_to) == ("VAT twelve", yesterday)
        assert rate not in selectors.tax_rates()
    page = client.get("/settings/invoicing/").content.decode()
    assert "VAT twelve" in page and "archived" in page
    assert "VAT twelve" not in client.get(f"/invoices/{draft.pk}/").content.decode().split(
        'data-testid="line-form"')[1]  # fmt: skip
    with tenant_scope(tenant):
        assert draft.lines.filter(tax_rate=rate).exists()  # the draft keeps it


def test_a_manager_changes_no_settings(workspace, client):
    tenant, _owner = workspace
    manager = add_member(tenant)
    series = _series(tenant)
    with tenant_scope(tenant):
        rate = TaxRate.objects.create(name="VAT 5%", percent=5)
    login(client, manager)
    for url in (
        "/settings/invoicing/series/new/", f"/settings/invoicing/series/{series.pk}/",
        "/settings/invoicing/rates/new/", f"/settings/invoicing/rates/{rate.pk}/",
    ):  # fmt: skip
        assert client.get(url).status_code == 403, url
    posts = {
        f"/settings/invoicing/series/{series.pk}/": {"code": "X", "kind": "invoice",
                                                     "format": "{n}", "period": "never"},
        f"/settings/invoicing/rates/{rate.pk}/": {"name": "X", "percent": "1"},
        f"/settings/invoicing/rates/{rate.pk}/archive/": {},
        "/settings/invoicing/tax/": {"tax_on_total": "on"},
    }  # fmt: skip
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    with tenant_scope(tenant):
        assert Series.objects.get(pk=series.pk).code == "INV"
        rate.refresh_from_db()
        assert (rate.name, rate.valid_to) == ("VAT 5%", None)
        assert not LegalEntity.objects.exists()


def test_another_workspaces_series_and_rates_are_404(workspace, other_workspace, client):
    tenant, _owner = workspace
    _, stranger = other_workspace
    series = _series(tenant)
    with tenant_scope(tenant):
        rate = TaxRate.objects.create(name="VAT 5%", percent=5)
    login(client, stranger)
    for url in (
        f"/settings/invoicing/series/{series.pk}/",
        f"/settings/invoicing/rates/{rate.pk}/",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"code": "X", "name": "X", "percent": "1"}).status_code == 404
    assert client.post(f"/settings/invoicing/rates/{rate.pk}/archive/").status_code == 404
    assert "VAT 5%" not in client.get("/settings/invoicing/").content.decode()
    with tenant_scope(tenant):
        rate.refresh_from_db()
        assert (rate.name, rate.valid_to) == ("VAT 5%", None)


def test_the_settings_page_takes_the_same_queries_for_more_rates(
    workspace, client, django_assert_max_num_queries
):
    tenant, owner = workspace
    login(client, owner)
    client.get("/settings/invoicing/")
    with django_assert_max_num_queries(12):
        client.get("/settings/invoicing/")
    with tenant_scope(tenant):
        TaxRate.objects.bulk_create(TaxRate(name=f"R{i}", percent=i) for i in range(20))
        Series.objects.bulk_create(Series(code=f"S{i}", format="{n}", period="never")
                                   for i in range(10))  # fmt: skip
    with django_assert_max_num_queries(12):
        page = client.get("/settings/invoicing/").content.decode()
    assert page.count('data-testid="tax-rate"') >= 20


def test_the_draft_form_shows_a_clients_bad_inn_and_keeps_the_draft(workspace, client):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        draft = services.invoice_create_from_deal(actor=owner, deal=deal_with_lines(owner))
    login(client, owner)
    form = {"due_date": "2026-12-31", "language": "ru", "currency": "USD", "template": "ru",
            "notes": "", "client_name": "ООО Тест", "client_tax_id": "7707083894"}  # fmt: skip
    response = client.post(f"/invoices/{draft.pk}/edit/", form)
    assert response.status_code == 400 and "ИНН is not valid" in response.content.decode()
    with tenant_scope(tenant):
        assert Invoice.objects.get(pk=draft.pk).template == "generic"
    form["client_tax_id"] = "7707083893"
    assert client.post(f"/invoices/{draft.pk}/edit/", form).status_code == 302
    with tenant_scope(tenant):
        assert Invoice.objects.get(pk=draft.pk).client["tax_id"] == "7707083893"
    assert "7707083893" in client.get(f"/invoices/{draft.pk}/").content.decode()


def test_the_receipt_form_on_a_mongolian_invoice(workspace, client):
    tenant, _owner = workspace
    mia, carl = add_member(tenant), add_member(tenant)
    with tenant_scope(tenant, carl.user):
        draft = services.invoice_create_from_deal(actor=carl, deal=deal_with_lines(carl))
        services.invoice_update(actor=carl, invoice=draft, data={"template": "mn"})
        services.invoice_issue(actor=carl, invoice=draft)
    login(client, carl)
    page = client.get(f"/invoices/{draft.pk}/").content.decode()
    assert 'data-testid="receipt-form"' in page
    bad = client.post(f"/invoices/{draft.pk}/receipt/", {"receipt_number": "12|34"})
    assert bad.status_code == 400 and "64 Latin letters" in bad.content.decode()
    assert (
        client.post(f"/invoices/{draft.pk}/receipt/", {"receipt_number": "ABC123"}).status_code
        == 302
    )
    assert "ABC123" in client.get(f"/invoices/{draft.pk}/").content.decode()
    login(client, mia)  # "own" visibility: Carl's invoice is not Mia's
    assert (
        client.post(f"/invoices/{draft.pk}/receipt/", {"receipt_number": "X1"}).status_code == 404
    )
    with tenant_scope(tenant):
        assert Invoice.objects.get(pk=draft.pk).receipt_number == "ABC123"
