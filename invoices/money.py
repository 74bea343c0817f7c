"""Money rules: Decimal throughout, ROUND_HALF_UP to the cent, each line rounded before it is
stored and the invoice's totals summed from the rounded lines, so the document adds up.

Two workspace settings (copied onto each invoice when it is drafted) change how a line's
net, tax and total come out of its quantity and price:

- prices without tax (the line's amount is its net, the tax is added) or with tax (the
  line's amount is its total, the tax is the part of it at `percent / (100 + percent)`);
- tax per line (each line's tax rounded on its own) or on the total (one tax per rate,
  rounded once from the sum of that rate's lines, then spread back over those lines so
  they still add up to it to the cent).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_price, discount) -> Decimal:
    """quantity × price less the discount, rounded: the net, or with tax-inclusive prices
    the total."""
    gross = Decimal(quantity) * Decimal(unit_price)
    return cents(gross * (HUNDRED - Decimal(discount)) / HUNDRED)


def _tax_share(amount: Decimal, percent: Decimal, include_tax: bool) -> Decimal:
    """The exact (unrounded) tax in `amount`: added on top, or contained in it."""
    percent = Decimal(percent)
    if include_tax:
        return amount * percent / (HUNDRED + percent) if percent else Decimal(0)
    return amount * percent / HUNDRED


def line_amounts(
    quantity, unit_price, discount, tax_percent, include_tax: bool = False
) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, total) of one line with its tax rounded on its own."""
    amount = line_amount(quantity, unit_price, discount)
    tax = cents(_tax_share(amount, tax_percent, include_tax))
    if include_tax:
        return amount - tax, tax, amount
    return amount, tax, amount + tax


def invoice_amounts(
    rows, *, include_tax: bool = False, tax_on_total: bool = False
) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(net, tax, total) for each of `rows` = [(quantity, price, discount, percent), ...].

    Per line, each line stands alone. On the total, the lines of one percent share one tax,
    rounded once from their sum; each line gets the part of it its own amount carries,
    rounded cumulatively (a line's tax is the rounded tax of the running sum minus the
    tax already given), so the lines' taxes add up exactly to the rounded whole and
    none is more than a cent off its exact share."""
    if not tax_on_total:
        return [line_amounts(*row, include_tax=include_tax) for row in rows]
    amounts = [line_amount(q, p, d) for q, p, d, _percent in rows]
    taxes: list[Decimal] = [Decimal("0.00")] * len(rows)
    groups: dict[Decimal, list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(Decimal(row[3]), []).append(index)
    for percent, indexes in groups.items():
        # The share of the running sum, not a sum of shares: the last line's running share
        # is then exactly the rate's whole tax (a division per line could drift by 1e-28
        # and tip a half cent).
        running, given = Decimal(0), Decimal("0.00")
        for index in indexes:
            running += amounts[index]
            taxes[index] = cents(_tax_share(running, percent, include_tax)) - given
            given += taxes[index]
    if include_tax:
        return [(amount - tax, tax, amount) for amount, tax in zip(amounts, taxes, strict=True)]
    return [(amount, tax, amount + tax) for amount, tax in zip(amounts, taxes, strict=True)]


def percent_text(value) -> str:
    """20.00 -> "20%", 12.50 -> "12.5%" (never "2E+1%")."""
    return f"{Decimal(value).normalize():f}%"
