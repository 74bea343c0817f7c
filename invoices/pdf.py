"""The invoice as a PDF, rendered by Typst with fonts from PyPI (no system fonts needed).

The document's data goes to the template as JSON through `sys.inputs`, never spliced into
Typst source: a client named `#import` stays a name. Labels are translated here, in the
invoice's language, and passed in with the data. A country template is a .typ file in
documents/ (see README.md)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import typst
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm.web.l10n import format_money

from . import gst, qr
from .models import Invoice
from .money import percent_text
from .words import amount_in_words

DOCUMENTS = Path(__file__).parent / "documents"
FONT_PACKAGES = ("fontpkg_noto_sans", "fontpkg_noto_sans_tamil", "fontpkg_noto_sans_telugu")


def font_paths() -> list[str]:
    paths = []
    for name in FONT_PACKAGES:
        module = importlib.import_module(name)
        paths.append(str(Path(module.__file__).parent / "files"))
    return paths


FONTS = font_paths()


def _labels() -> dict:
    return {
        "invoice": _("Invoice"),
        "credit_note": _("Credit note"),
        "draft": _("Draft"),
        "cancelled": _("Cancelled"),
        "number": _("No."),
        "date": _("Date"),
        "due": _("Due date"),
        "seller": _("Seller"),
        "client": _("Bill to"),
        "tax_id": _("Tax number"),
        "item": _("Item"),
        "qty": _("Qty"),
        "price": _("Price"),
        "discount": _("Discount"),
        "tax": _("Tax"),
        "amount": _("Amount"),
        "subtotal": _("Subtotal"),
        "tax_total": _("Tax total"),
        "total": _("Total"),
        "paid": _("Paid"),
        "balance": _("Balance due"),
        "refers_to": _("Refers to invoice"),
        "notes": _("Notes"),
        "tax_invoice": _("Tax invoice"),
        "gstin": _("GSTIN"),
        "state": _("State"),
        "place_of_supply": _("Place of supply"),
        "hsn_sac": _("HSN/SAC"),
        "taxable": _("Taxable value"),
        "rate": _("Rate"),
        "cgst": _("CGST"),
        "sgst": _("SGST"),
        "igst": _("IGST"),
        "register_number": _("Register number"),
        "vat": _("VAT"),
        "vat_invoice": _("VAT invoice"),
        "receipt": _("e-Barimt receipt"),
        "in_words": _("Amount in words"),
        "prices_include_tax": _("Prices include tax."),
        "signature": _("Authorised signatory"),
        "scan_to_pay": _("Scan to pay"),
    }


def document_data(invoice: Invoice) -> dict:
    lines = list(invoice.lines.all())
    with translation.override(invoice.language):

        def money(value):
            return format_money(value, invoice.currency)

        data = {
            "labels": _labels(),
            "kind": invoice.kind,
            "status": invoice.status,
            "number": invoice.number or "",
            "issue_date": _day(invoice.issue_date),
            "due_date": _day(invoice.due_date),
            "original": invoice.original.number or "" if invoice.original_id else "",
            "seller": {k: str(v) for k, v in invoice.seller.items()},
            "client": {k: str(v) for k, v in invoice.client.items()},
            "currency": invoice.currency,
            "lines": [
                {
                    "n": str(i),
                    "name": line.name,
                    "unit": line.unit,
                    "quantity": f"{line.quantity.normalize():f}",
                    "price": money(line.unit_price),
                    "discount": percent_text(line.discount) if line.discount else "",
                    "hsn_sac": line.hsn_sac,
                    "net": money(line.net),
                    "rate": percent_text(line.tax_percent),
                    "tax": line.tax_name,
                    "tax_amount": money(line.tax),
                    "total": money(line.total),
                }
                for i, line in enumerate(lines, 1)
            ],
            "taxes": _tax_summary(lines, money),
            "subtotal": money(invoice.subtotal),
            "tax_total": money(invoice.tax_total),
            "total": money(invoice.total),
            "paid": money(invoice.paid_amount) if invoice.paid_amount else "",
            "balance": money(invoice.total - invoice.paid_amount),
            "words": amount_in_words(invoice.total, invoice.currency, invoice.language),
            "notes": invoice.notes,
            "receipt_number": invoice.receipt_number,
            "prices_include_tax": invoice.prices_include_tax,
            # The payment QR code's PNG as numbers (ru.typ turns them back into bytes).
            "qr": list(qr.png(qr.payload(invoice))) if invoice.template == Invoice.RUSSIA else [],
        }
        if invoice.template == Invoice.INDIA:
            data["gst"] = _gst(invoice, lines, data["lines"], money)
        return data


def _gst(invoice, lines, rows, money) -> dict:
    """India: the place of supply, each line's CGST + SGST or IGST, and a summary per rate
    (taxable value and each tax), as a GST tax invoice shows them."""
    supply = gst.supply(invoice.seller, invoice.client)
    summary: dict = {}
    totals = {"cgst": 0, "sgst": 0, "igst": 0}
    for line, row in zip(lines, rows, strict=True):
        cgst, sgst = gst.split(line.tax) if supply.intra_state else (0, 0)
        igst = 0 if supply.intra_state else line.tax
        half = percent_text(line.tax_percent / 2)
        row.update(
            cgst=money(cgst) if supply.intra_state else "",
            sgst=money(sgst) if supply.intra_state else "",
            igst="" if supply.intra_state else money(igst),
            half_rate=half,
        )
        group = summary.setdefault(
            line.tax_percent, {"taxable": 0, "cgst": 0, "sgst": 0, "igst": 0}
        )
        for key, value in (("taxable", line.net), ("cgst", cgst), ("sgst", sgst), ("igst", igst)):
            group[key] += value
        for key, value in (("cgst", cgst), ("sgst", sgst), ("igst", igst)):
            totals[key] += value
    return {
        "intra_state": supply.intra_state,
        "place": supply.place_label,
        "seller_state": gst.STATES.get(supply.seller_state, ""),
        "summary": [
            {
                "rate": percent_text(percent),
                "half_rate": percent_text(percent / 2),
                **{key: money(value) for key, value in group.items()},
            }
            for percent, group in sorted(summary.items())
        ],
        **{key: money(value) for key, value in totals.items()},
    }


def _day(day) -> str:
    """A date as the document's language writes it (03.12.2026 in Russian)."""
    return date_format(day, "SHORT_DATE_FORMAT") if day else ""


def _tax_summary(lines, money) -> list[dict]:
    """One row per tax rate, as the Russian form lists "в том числе НДС 22%"."""
    rows: dict[str, object] = {}
    for line in lines:
        if line.tax_name:
            rows[line.tax_name] = rows.get(line.tax_name, 0) + line.tax
    return [{"name": name, "amount": money(amount)} for name, amount in rows.items()]


def render(invoice: Invoice, fmt: str = "pdf") -> bytes:
    """The PDF (or, with fmt="png", the first page as an image, to look at)."""
    template = DOCUMENTS / f"{invoice.template}.typ"
    if not template.exists():
        template = DOCUMENTS / "generic.typ"
    data = json.dumps(document_data(invoice), ensure_ascii=False)
    return typst.compile(
        str(template),
        font_paths=FONTS,
        sys_inputs={"data": data},
        format=fmt,
        **({"ppi": 110.0} if fmt == "png" else {}),
    )
