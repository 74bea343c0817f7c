"""The PDF, read back: the scripts and signs come out as text (shaped, with their fonts from
PyPI), the Russian form has its requisites and the amount in words."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from crm.tenancy.context import tenant_scope
from invoices import pdf, services
from invoices.models import Invoice, LegalEntity
from invoices.words import amount_in_words

from .conftest import deal_with_lines

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    """The PDF's text; pypdf marks some cluster joins of shaped Indic text with control
    characters, which the comparison drops."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return "".join(ch for ch in text if ch >= " " or ch == "\n")


def _invoice(owner, currency, lines, **fields):
    deal = deal_with_lines(owner, currency=currency, lines=lines)
    with tenant_scope(owner.tenant_id, owner.user):
        invoice = services.invoice_create_from_deal(actor=owner, deal=deal)
        if fields:
            services.invoice_update(actor=owner, invoice=invoice, data=fields)
        services.invoice_issue(actor=owner, invoice=invoice)
        return Invoice.objects.get(pk=invoice.pk)


def test_the_russian_invoice_names_the_requisites_and_the_amount_in_words(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        services.tax_presets_load("RU")
        LegalEntity.objects.create(
            name="ООО «Ромашка»", tax_id="7707083893", kpp="773601001", bank_name="ПАО Сбербанк",
            bik="044525225", account="40702810900000000001", corr_account="30101810400000000225",
        )  # fmt: skip
    one = [("Консультация", Decimal(2), Decimal("617.25"), Decimal(0), Decimal(22))]
    invoice = _invoice(owner, "RUB", one, template="ru", language="ru")
    with tenant_scope(tenant):
        text = _text(pdf.render(invoice))
    for expected in ("Счёт на оплату", invoice.number, "ИНН 7707083893", "КПП 773601001",
                     "044525225", "40702810900000000001", "30101810400000000225",
                     "Консультация", "НДС 22%", "₽",
                     "Одна тысяча пятьсот шесть рублей, девять копеек"):  # fmt: skip
        assert expected in text, expected
    # 2 x 617.25 = 1234.50, VAT 22 % = 271.59 (271.590): 1506.09
    assert invoice.total == Decimal("1506.09")


def test_scripts_and_signs_come_out_as_text(workspace):
    _, owner = workspace
    lines = [
        ("Өгөөмөр үйлчилгээ", Decimal(1), Decimal(10), Decimal(0), Decimal(0)),
        ("தமிழ் சேவை", Decimal(1), Decimal(10), Decimal(0), Decimal(0)),
        ("తెలుగు సేవ", Decimal(1), Decimal(10), Decimal(0), Decimal(0)),
    ]
    for currency, sign in (("RUB", "₽"), ("INR", "₹"), ("MNT", "₮")):
        invoice = _invoice(owner, currency, lines)
        with tenant_scope(owner.tenant_id):
            text = _text(pdf.render(invoice))
        for expected in ("Өгөөмөр үйлчилгээ", "தமிழ் சேவை", "తెలుగు సేవ", sign):
            assert expected in text, (currency, expected)


@pytest.mark.parametrize("language", ["en", "ru", "mn", "ta", "te"])
def test_every_language_renders(workspace, language):
    _, owner = workspace
    lines = [("Service", Decimal(1), Decimal(10), Decimal(0), Decimal(0))]
    invoice = _invoice(owner, "INR", lines, language=language)
    with tenant_scope(owner.tenant_id):
        data = pdf.render(invoice)
        png = pdf.render(invoice, "png")
    assert data.startswith(b"%PDF") and invoice.number in _text(data)
    assert png.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("amount", "currency", "language", "words"),
    [
        ("1234.50", "RUB", "ru", "Одна тысяча двести тридцать четыре рубля, пятьдесят копеек"),
        ("1", "RUB", "ru", "Один рубль, ноль копеек"),
        ("21.05", "RUB", "ru", "Двадцать один рубль, пять копеек"),
        ("5", "RUB", "ru", "Пять рублей, ноль копеек"),
        ("1234.50", "INR", "en", "One thousand, two hundred and thirty-four rupees, fifty paise"),
        ("2.01", "USD", "en", "Two dollars, one cent"),
        ("100", "MNT", "mn", "Нэг зуун төгрөг"),
    ],
)
def test_amount_in_words(amount, currency, language, words):
    assert amount_in_words(Decimal(amount), currency, language) == words
