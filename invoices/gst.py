"""India's GST on an invoice: the state codes, the place of supply, and whether a line's tax
is CGST + SGST (seller and place of supply in one state) or IGST (between states).

The place of supply is the client's state: the first two digits of the client's GSTIN, or,
for a client without one, the state set on the invoice's client; failing both, the
seller's own (a sale over the counter). The line's tax is stored whole (money.py); within a
state it is shown as two halves, CGST taking the half rounded down to the paisa and SGST the
rest, so the two add up to the stored tax exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

# The GST state and union territory codes (the first two digits of a GSTIN).
STATES = {
    "01": "Jammu and Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh",
    "05": "Uttarakhand", "06": "Haryana", "07": "Delhi", "08": "Rajasthan",
    "09": "Uttar Pradesh", "10": "Bihar", "11": "Sikkim", "12": "Arunachal Pradesh",
    "13": "Nagaland", "14": "Manipur", "15": "Mizoram", "16": "Tripura", "17": "Meghalaya",
    "18": "Assam", "19": "West Bengal", "20": "Jharkhand", "21": "Odisha",
    "22": "Chhattisgarh", "23": "Madhya Pradesh", "24": "Gujarat",
    "26": "Dadra and Nagar Haveli and Daman and Diu", "27": "Maharashtra",
    "29": "Karnataka", "30": "Goa", "31": "Lakshadweep", "32": "Kerala", "33": "Tamil Nadu",
    "34": "Puducherry", "35": "Andaman and Nicobar Islands", "36": "Telangana",
    "37": "Andhra Pradesh", "38": "Ladakh", "97": "Other Territory",
}  # fmt: skip


@dataclass(frozen=True)
class Supply:
    seller_state: str  # "" when the seller has no GSTIN
    place: str  # the place of supply's code, "" when nothing names it

    @property
    def intra_state(self) -> bool:
        """CGST + SGST when both are known and equal; IGST otherwise."""
        return bool(self.place) and self.place == self.seller_state

    @property
    def place_label(self) -> str:
        return f"{self.place}-{STATES[self.place]}" if self.place in STATES else ""


def state_of(gstin: str) -> str:
    code = (gstin or "")[:2]
    return code if code in STATES else ""


def supply(seller: dict, client: dict) -> Supply:
    seller_state = state_of(seller.get("tax_id", ""))
    place = state_of(client.get("tax_id", "")) or (
        client.get("state", "") if client.get("state", "") in STATES else seller_state
    )
    return Supply(seller_state=seller_state, place=place)


def split(tax: Decimal) -> tuple[Decimal, Decimal]:
    """(CGST, SGST) of a line's tax: two halves adding up to it (SGST takes an odd paisa;
    for a negative tax, a credit note's, the halves mirror a positive one's)."""
    sign = -1 if tax < 0 else 1
    half = (abs(tax) / 2).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return sign * half, tax - sign * half
