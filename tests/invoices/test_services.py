"""Services: a new workspace's presets, rates by date, cancel and credit notes, rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError

from crm.accounts.models import Membership, Role
from crm.accounts.services import tenant_create
from crm.tenancy.context import tenant_scope
from invoices import selectors, services
from invoices.models import Invoice, Series, TaxRate
from invoices.money import line_amounts
from tests.conftest import add_member, make_user

from .conftest import deal_with_lines

pytestmark = pytest.mark.django_db


def test_a_russian_workspace_starts_with_its_rates_and_series():
    owner = make_user()
    tenant = tenant_create(owner=owner, name="Ромашка", country="RU", currency="RUB")
    with tenant_scope(tenant):
        assert set(TaxRate.objects.values_list("name", flat=True)) == {
            "НДС 22%", "НДС 20%", "НДС 10%", "НДС 0%", "Без НДС",
        }  # fmt: skip
        names = {r.name for r in selectors.tax_rates(date(2026, 6, 1))}
        assert "НДС 22%" in names and "НДС 20%" not in names
        assert "НДС 20%" in {r.name for r in selectors.tax_rates(date(2025, 6, 1))}
        assert Series.objects.get(kind=Series.INVOICE, is_default=True).code == "СЧ"


def test_an_indian_workspace_numbers_by_financial_year_in_16_characters(workspace):
    owner = make_user()
    tenant = tenant_create(owner=owner, name="Acme India", country="IN", currency="INR")
    with tenant_scope(tenant):
        admin = Membership.objects.select_related("role", "tenant", "user").get(user=owner)
    deal = deal_with_lines(admin, currency="INR")
    with tenant_scope(tenant, owner):
        invoice = services.invoice_create_from_deal(actor=admin, deal=deal)
        services.invoice_issue(actor=admin, invoice=invoice, day=date(2027, 2, 1))
        invoice.refresh_from_db()
        assert invoice.number == "INV/26-27/00001" and len(invoice.number) <= 16
        assert {r.name for r in TaxRate.objects.all()} == {"GST 5%", "GST 18%", "GST 40%"}


def test_rounding_is_half_up_per_line():
    assert line_amounts(Decimal(1), Decimal("0.125"), 0, 0)[0] == Decimal("0.13")
    assert line_amounts(Decimal(3), Decimal("33.335"), 0, Decimal(20)) == (
        Decimal("100.01"), Decimal("20.00"), Decimal("120.01"),
    )  # fmt: skip
    assert line_amounts(Decimal("0.5"), Decimal("0.05"), 0, Decimal(10)) == (
        Decimal("0.03"), Decimal("0.00"), Decimal("0.03"),
    )  # fmt: skip


def test_cancel_and_credit_note(workspace, deal):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        invoice = services.invoice_issue(
            actor=owner, invoice=services.invoice_create_from_deal(actor=owner, deal=deal)
        )
        services.payment_record(actor=owner, allocations=[(invoice, "10")])
        with pytest.raises(services.Conflict):
            services.invoice_cancel(actor=owner, invoice=invoice)
        note = services.credit_note_create(actor=owner, invoice=invoice)
        assert note.original_id == invoice.pk and note.total == -invoice.total
        note = services.invoice_issue(actor=owner, invoice=note)
        assert note.number.startswith("CN-")
        other = services.invoice_issue(
            actor=owner, invoice=services.invoice_create_from_deal(actor=owner, deal=deal)
        )
        cancelled = services.invoice_cancel(actor=owner, invoice=other)
        assert cancelled.status == Invoice.CANCELLED and cancelled.number == other.number
        with pytest.raises(ValidationError):
            services.payment_record(actor=owner, allocations=[(cancelled, "1")])


def test_issuing_an_empty_draft_is_refused_and_takes_no_number(workspace):
    tenant, owner = workspace
    empty = deal_with_lines(owner, lines=[])
    with tenant_scope(tenant, owner.user):
        draft = services.invoice_create_from_deal(actor=owner, deal=empty)
        with pytest.raises(ValidationError):
            services.invoice_issue(actor=owner, invoice=draft)
        full = services.invoice_create_from_deal(actor=owner, deal=deal_with_lines(owner))
        assert services.invoice_issue(actor=owner, invoice=full).number.endswith("-00001")


def test_a_manager_cannot_issue_a_colleagues_invoice_through_the_service(workspace):
    tenant, _ = workspace
    mia, carl = add_member(tenant), add_member(tenant)
    deal = deal_with_lines(carl)
    with tenant_scope(tenant, carl.user):
        invoice = services.invoice_create_from_deal(actor=carl, deal=deal)
    with tenant_scope(tenant, mia.user):
        with pytest.raises(PermissionDenied):
            services.invoice_issue(actor=mia, invoice=invoice.pk)
        with pytest.raises(ValidationError):
            services.invoice_create_from_deal(actor=mia, deal=deal)


def test_workspaces_older_than_invoices_get_grants_series_and_rates(workspace):
    """The data migration 0002, run over a workspace as it was before invoices."""
    tenant, _owner = workspace
    tenant.country = "MN"
    tenant.save(update_fields=["country"])
    with tenant_scope(tenant):
        for role in Role.objects.all():
            role.grants = {k: v for k, v in role.grants.items() if k != "invoice"}
            role.save(update_fields=["grants"])
        Series.objects.all().delete()
        TaxRate.objects.all().delete()
    import_module("invoices.migrations.0002_existing_workspaces").forwards(apps, None)
    with tenant_scope(tenant):
        grants = {r.key: r.grants.get("invoice") for r in Role.objects.exclude(key="")}
        assert grants["accountant"]["visibility"] == "all"
        assert grants["manager"] == {"actions": ["view", "create", "edit"], "visibility": "own"}
        assert set(Series.objects.values_list("code", flat=True)) == {"INV", "CN"}
        assert list(TaxRate.objects.values_list("name", flat=True)) == ["НӨАТ 10%"]
