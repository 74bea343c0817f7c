"""The money rules, table by table: Decimal, ROUND_HALF_UP to the cent, prices with or
without tax, tax per line or on the total; lines always add up to the invoice."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from invoices.money import cents, invoice_amounts, line_amounts


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("0.005", "0.01"), ("0.004999", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"),
     ("1.125", "1.13"), ("1.135", "1.14"), ("99999999.995", "100000000.00")],
)  # fmt: skip
def test_half_up_to_the_cent(value, rounded):
    assert cents(D(value)) == D(rounded)


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "percent", "include", "net", "tax", "total"),
    [
        # prices without tax: the tax is added
        ("2", "617.25", "0", "22", False, "1234.50", "271.59", "1506.09"),
        ("1", "0.05", "0", "10", False, "0.05", "0.01", "0.06"),  # 0.005 -> 0.01
        ("3", "0.33", "0", "18", False, "0.99", "0.18", "1.17"),  # 0.1782
        ("1", "49.99", "10", "0", False, "44.99", "0.00", "44.99"),  # 44.991
        ("1", "100", "12.5", "5", False, "87.50", "4.38", "91.88"),  # 4.375
        ("-1", "100", "0", "20", False, "-100.00", "-20.00", "-120.00"),  # a credit note
        # prices with tax: the tax is the part of the price at p / (100 + p)
        ("1", "120", "0", "20", True, "100.00", "20.00", "120.00"),
        ("1", "100", "0", "18", True, "84.75", "15.25", "100.00"),  # 15.2542
        ("1", "1506.09", "0", "22", True, "1234.50", "271.59", "1506.09"),
        ("3", "9.99", "0", "10", True, "27.25", "2.72", "29.97"),  # 2.7245 -> 2.72
        ("1", "0.11", "0", "10", True, "0.10", "0.01", "0.11"),  # 0.01
        ("1", "50", "0", "0", True, "50.00", "0.00", "50.00"),
    ],
)  # fmt: skip
def test_one_line(quantity, price, discount, percent, include, net, tax, total):
    assert line_amounts(D(quantity), D(price), D(discount), D(percent), include) == (
        D(net), D(tax), D(total),
    )  # fmt: skip


THREE = [(D(1), D("0.33"), D(0), D(18))] * 3  # each 0.0594: 0.06 a line, 0.1782 -> 0.18 whole


@pytest.mark.parametrize(
    ("rows", "include", "on_total", "taxes"),
    [
        (THREE, False, False, ["0.06", "0.06", "0.06"]),  # per line: 0.18 + rounding drift
        (THREE, False, True, ["0.06", "0.06", "0.06"]),  # 0.0594, 0.1188, 0.1782 -> .06 .12 .18
        ([(D(1), D("0.05"), D(0), D(10))] * 3, False, False, ["0.01", "0.01", "0.01"]),
        # on the total: 0.015 -> 0.02 whole, given out as the running sum reaches each cent
        ([(D(1), D("0.05"), D(0), D(10))] * 3, False, True, ["0.01", "0.00", "0.01"]),
        # with tax, per line: 0.91 each; on the total 300 / 11 = 27.27 -> 9.09 9.09 9.09
        ([(D(1), D(10), D(0), D(10))] * 3, True, False, ["0.91", "0.91", "0.91"]),
        ([(D(1), D(10), D(0), D(10))] * 3, True, True, ["0.91", "0.91", "0.91"]),
        # 110 / 11 = 10.00: the running sum's tax is 4.55 after five lines, 5.45 after six
        ([(D(1), D(10), D(0), D(10))] * 11, True, True, ["0.91"] * 5 + ["0.90"] + ["0.91"] * 5),
        # two rates are two taxes, each rounded once
        ([(D(1), D("0.05"), D(0), D(10)), (D(1), D("0.05"), D(0), D(20)),
          (D(1), D("0.05"), D(0), D(10))], False, True, ["0.01", "0.01", "0.00"]),
        # a credit note's negative lines round symmetrically
        ([(D(-1), D("0.05"), D(0), D(10))] * 3, False, True, ["-0.01", "0.00", "-0.01"]),
    ],
)  # fmt: skip
def test_tax_per_line_or_on_the_total(rows, include, on_total, taxes):
    amounts = invoice_amounts(rows, include_tax=include, tax_on_total=on_total)
    assert [tax for _net, tax, _total in amounts] == [D(t) for t in taxes]
    for (net, tax, total), (quantity, price, *_rest) in zip(amounts, rows, strict=True):
        assert net + tax == total
        assert (total if include else net) == cents(quantity * price)


@pytest.mark.parametrize("include", [False, True])
def test_on_the_total_each_rates_tax_is_rounded_once_from_its_sum(include):
    rows = [(D(q), D(p), D(d), D(r)) for q, p, d, r in (
        ("3", "19.99", "5", "18"), ("1", "0.07", "0", "18"), ("7", "3.33", "0", "5"),
        ("2", "1234.567", "0", "18"), ("1", "0.01", "0", "5"),
    )]  # fmt: skip
    amounts = invoice_amounts(rows, include_tax=include, tax_on_total=True)
    for percent in (D(18), D(5)):
        mine = [a for a, row in zip(amounts, rows, strict=True) if row[3] == percent]
        base = sum(a[2] if include else a[0] for a in mine)
        whole = base * percent / ((100 + percent) if include else 100)
        assert sum(a[1] for a in mine) == cents(whole)
        for net, tax, total in mine:  # no line's tax is more than a cent off its own share
            share = (total if include else net) * percent / ((100 + percent) if include else 100)
            assert abs(tax - share) < D("0.01")
