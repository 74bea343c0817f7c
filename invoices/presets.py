"""Country presets: the tax rates and the numbering series a workspace starts with.

Rates are data with validity dates, not constants: when a law changes, a new row with its
`valid_from` is added and the old one gets a `valid_to`. Russia raised VAT from 20 % to 22 %
on 1 January 2026."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

NEW_RU_VAT = date(2026, 1, 1)

# country -> [(name, percent, exempt, valid_from, valid_to)]
TAX_RATES = {
    "RU": [
        ("НДС 22%", Decimal(22), False, NEW_RU_VAT, None),
        ("НДС 20%", Decimal(20), False, None, date(2025, 12, 31)),
        ("НДС 10%", Decimal(10), False, None, None),
        ("НДС 0%", Decimal(0), False, None, None),
        ("Без НДС", Decimal(0), True, None, None),
    ],
    "IN": [
        ("GST 5%", Decimal(5), False, None, None),
        ("GST 18%", Decimal(18), False, None, None),
        ("GST 40%", Decimal(40), False, None, None),
    ],
    "MN": [("НӨАТ 10%", Decimal(10), False, None, None)],
}

# country -> (code, format, period): India wants at most 16 characters, unique within the
# April-March financial year.
SERIES = {
    "IN": ("INV", "{series}/{fyy}/{n:05}", "fy_in"),
    "RU": ("СЧ", "{series}-{yyyy}-{n:05}", "year"),
}
DEFAULT_SERIES = ("INV", "{series}-{yyyy}-{n:05}", "year")
CREDIT_NOTE_SERIES = ("CN", "{series}-{yyyy}-{n:05}", "year")

# The document template each country's invoices use by default.
TEMPLATES = {"RU": "ru", "IN": "in", "MN": "mn"}
