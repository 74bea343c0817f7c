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
    }


def document_data(invoice: Invoice) -> dict:
    lines = list(invoice.lines.all())
    with translation.override(invoice.language):

        def money(value):
            return format_money(value, invoice.currency)

        return {
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
