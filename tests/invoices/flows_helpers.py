"""Helpers of the flow tests: a company's issued invoices, made through the services."""

from __future__ import annotations

from decimal import Decimal

from contacts import services as contact_services
from contacts.models import Company
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from invoices import services


def company(member, name="Client Co", tax_number=""):
    with tenant_scope(member.tenant_id, member.user):
        return contact_services.record_create(
            actor=member, model=Company, data={"name": name, "tax_number": tax_number}
        )


def issued(member, client=None, price="100.00", currency="USD", title="Order"):
    """An issued invoice of one line (no tax) for `client`'s deal."""
    with tenant_scope(member.tenant_id, member.user):
        data = {"title": title, "currency": currency}
        if client is not None:
            data["company"] = client
        deal = deal_services.deal_create(actor=member, data=data)
        deal_services.line_item_add(
            actor=member, deal=deal, name="Service", quantity=Decimal(1), price=Decimal(price),
            discount=Decimal(0), tax_rate=Decimal(0),
        )  # fmt: skip
        invoice = services.invoice_create_from_deal(actor=member, deal=deal)
        return services.invoice_issue(actor=member, invoice=invoice)
