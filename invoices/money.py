"""Money rules: Decimal throughout, ROUND_HALF_UP to the cent, each line rounded before it is
stored and the invoice's totals summed from the rounded lines, so the document adds up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amounts(quantity, unit_price, discount, tax_percent) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, total) of one line; prices are without tax, tax is added per line."""
    gross = Decimal(quantity) * Decimal(unit_price)
    net = cents(gross * (HUNDRED - Decimal(discount)) / HUNDRED)
    tax = cents(net * Decimal(tax_percent) / HUNDRED)
    return net, tax, net + tax


def percent_text(value) -> str:
    """20.00 -> "20%", 12.50 -> "12.5%" (never "2E+1%")."""
    return f"{Decimal(value).normalize():f}%"
