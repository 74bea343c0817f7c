from decimal import Decimal

import pytest

from crm.tenancy.context import tenant_scope
from deals import services as deal_services


def deal_with_lines(member, title="Licences", currency="USD", lines=None):
    """A deal of `member`'s with products, made through the deals' services."""
    with tenant_scope(member.tenant_id, member.user):
        deal = deal_services.deal_create(actor=member, data={"title": title, "currency": currency})
        default = [
            ("Licence", Decimal(3), Decimal("100.00"), Decimal(0), Decimal(20)),
            ("Set-up", Decimal(1), Decimal("49.99"), Decimal(10), Decimal(0)),
        ]
        for name, quantity, price, discount, tax in default if lines is None else lines:
            deal_services.line_item_add(
                actor=member, deal=deal, name=name, quantity=quantity, price=price,
                discount=discount, tax_rate=tax,
            )  # fmt: skip
        deal.refresh_from_db()
        return deal


@pytest.fixture
def deal(workspace):
    _, owner = workspace
    return deal_with_lines(owner)
