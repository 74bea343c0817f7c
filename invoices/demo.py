"""Sample invoices for the demo workspaces, so the accountant's list and the deal cards show
every state: for the latest won deals, one invoice paid, one partly paid, one overdue and
one draft, the issued ones with their client page's link. Made through the services, as a
person would (numbers, events, payments).
Registered as a demo seeder (crm.accounts.demo) to run after deals.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from deals.models import Deal
from deals.selectors import deals_for

from . import flows, services

# (days ago it was issued or None for a draft, share of the total paid), oldest first: the
# numbers follow the issue dates, as an accountant expects them to.
STATES = [(45, Decimal(0)), (20, Decimal(1)), (10, Decimal("0.4")), (None, Decimal(0))]


def seed(admin, sellers) -> None:
    won = deals_for(admin).filter(status=Deal.WON, amount__gt=0).order_by("-closed_at", "-pk")
    today = timezone.localdate()
    for deal, (days_ago, paid) in zip(won[: len(STATES)], STATES, strict=False):
        invoice = services.invoice_create_from_deal(
            actor=admin,
            deal=deal,
            due_date=None if days_ago is None else today - timedelta(days=days_ago - 14),
        )
        if not invoice.lines.exists():  # a deal with an amount but no products
            services.line_add(
                actor=admin, invoice=invoice, data={"name": deal.title, "unit_price": deal.amount}
            )
        if days_ago is None:
            continue
        invoice = services.invoice_issue(
            actor=admin, invoice=invoice, day=today - timedelta(days=days_ago)
        )
        flows.client_link_create(actor=admin, invoice=invoice)  # the client's page to open
        if paid:
            services.payment_record(
                actor=admin,
                allocations=[(invoice, (invoice.total * paid).quantize(Decimal("0.01")))],
                paid_on=today - timedelta(days=max(days_ago - 7, 0)),
            )
