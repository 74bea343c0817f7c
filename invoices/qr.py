"""The payment QR code of the Russian invoice, by ГОСТ Р 56042-2014 ("Стандарты финансовых
операций. Двумерные символы штрихового кода для осуществления платежей физическими
лицами"): a banking app scans it and fills the payment order in.

The payload is `ST0001` + `2` (the text is UTF-8), then `|Key=Value` pairs: the five
required ones (Name, PersonalAcc, BankName, BIC, CorrespAcc) first, as the standard orders
them, then PayeeINN, KPP, Sum (in kopecks) and Purpose. A value may not hold "|", the
separator, so one there is written as a space. segno draws it (byte mode, level M) as a
PNG of one pixel per module with the standard quiet zone of four, which the template
embeds unsmoothed (the PDF then holds it as an image, and a test reads its pixels back).
Typst takes the PNG's bytes as a JSON array of numbers (`sys.inputs` carries text only)."""

from __future__ import annotations

import io

import segno
from django.utils.formats import date_format

from .money import cents

HEADER = "ST00012"


def _value(text: str) -> str:
    return " ".join(str(text or "").replace("|", " ").split())


def payload(invoice) -> str:
    """The QR text for paying what is due on `invoice` ("" if the seller's bank details
    are incomplete, or nothing is due, or it is not an issued rouble invoice)."""
    seller = invoice.seller
    required = {
        "Name": seller.get("name", ""),
        "PersonalAcc": seller.get("account", ""),
        "BankName": seller.get("bank_name", ""),
        "BIC": seller.get("bik", ""),
        "CorrespAcc": seller.get("corr_account", ""),
    }
    due = cents(invoice.total - invoice.paid_amount)
    if (
        invoice.currency != "RUB"
        or not invoice.number
        or due <= 0
        or not all(_value(v) for v in required.values())
    ):
        return ""
    fields = dict(required)
    if seller.get("tax_id"):
        fields["PayeeINN"] = seller["tax_id"]
    if seller.get("kpp"):
        fields["KPP"] = seller["kpp"]
    fields["Sum"] = str(int(due * 100))
    day = date_format(invoice.issue_date, "d.m.Y") if invoice.issue_date else ""
    fields["Purpose"] = f"Оплата по счёту № {invoice.number} от {day}".strip()
    return HEADER + "".join(f"|{key}={_value(value)}" for key, value in fields.items())


BORDER = 4


def code(text: str) -> segno.QRCode:
    return segno.make(text, error="m", encoding="utf-8", micro=False)


def png(text: str) -> bytes:
    """The QR code of `text` as a PNG, a pixel a module (b"" for no text)."""
    if not text:
        return b""
    out = io.BytesIO()
    code(text).save(out, kind="png", scale=1, border=BORDER)
    return out.getvalue()
