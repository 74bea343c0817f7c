"""Invoices in rules: a paid invoice moves its deal to Won; entering a stage issues the
invoice from the deal's products and emails it to the client, once."""

import pytest

from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from deals.models import Deal
from invoices import services as invoice_services
from invoices.models import Invoice
from tests.contacts.conftest import new_contact
from tests.pipelines.helpers import funnel, new_deal

from .helpers import new_rule, settle

pytestmark = pytest.mark.django_db


def test_a_paid_invoice_moves_its_deal_to_won(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, "Paid is won", {
        "trigger": {"type": "invoice.paid"},
        "actions": [{"type": "deal.move", "stage": stages["Won"].pk}],
    })  # fmt: skip
    deal = new_deal(owner, title="Paid up")
    with tenant_scope(tenant, owner.user):
        deal_services.line_item_add(actor=owner, deal=deal, name="Box", quantity=1, price=10)
        invoice = invoice_services.invoice_create_from_deal(actor=owner, deal=deal)
        invoice = invoice_services.invoice_issue(actor=owner, invoice=invoice)
        invoice_services.payment_record(actor=owner, allocations=[(invoice, invoice.total)],
                                        reference="Bank")  # fmt: skip
    settle(tenant)
    with tenant_scope(tenant):
        moved = Deal.objects.get(pk=deal.pk)
        assert (moved.stage_id, moved.status) == (stages["Won"].pk, "won")


def test_entering_a_stage_issues_and_sends_the_invoice_once(workspace, smtp):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, "Invoice on proposal", {
        "trigger": {"type": "deal.stage_entered", "stage": stages["Proposal"].pk},
        "actions": [{"type": "invoice.create"}],
    })  # fmt: skip
    client = new_contact(owner, first_name="Ann", emails="ann@client.example")
    deal = new_deal(owner, title="Fleet", contacts=[client])
    with tenant_scope(tenant, owner.user):
        deal_services.line_item_add(actor=owner, deal=deal, name="Truck", quantity=2, price=50)
        deal_services.deal_move(actor=owner, deal=deal, stage=stages["Proposal"])
    settle(tenant)
    settle(tenant)
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(deal=deal)
        assert invoice.status == "issued" and invoice.sent_to == "ann@client.example"
