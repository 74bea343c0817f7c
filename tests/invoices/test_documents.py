"""The country documents read back from their PDFs: India's GST tax invoice (GSTINs, place
of supply, HSN/SAC, CGST + SGST or IGST), Mongolia's VAT invoice (register numbers, the
e-Barimt receipt) and the Russian form's payment QR code (ГОСТ Р 56042-2014)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from crm.tenancy.context import tenant_scope
from invoices import pdf, qr, services
from invoices.models import Invoice, LegalEntity

from .conftest import deal_with_lines

pytestmark = pytest.mark.django_db

SELLER_GSTIN = "29ABCDE1234F1ZW"  # Karnataka
SAME_STATE = "29AAACR5055K1Z3"
OTHER_STATE = "27AAPFU0939F1ZV"  # Maharashtra


def _text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return "".join(ch for ch in text if ch >= " " or ch == "\n")


def _country(workspace, country: str):
    tenant, owner = workspace
    type(tenant).objects.filter(pk=tenant.pk).update(country=country)
    owner.tenant.country = country
    with tenant_scope(tenant, owner.user):
        services.tax_presets_load(country)
    return tenant, owner


def _draft(owner, currency, lines, **fields):
    deal = deal_with_lines(owner, currency=currency, lines=lines)
    with tenant_scope(owner.tenant_id, owner.user):
        invoice = services.invoice_create_from_deal(actor=owner, deal=deal)
        if fields:
            services.invoice_update(actor=owner, invoice=invoice, data=fields)
        return Invoice.objects.get(pk=invoice.pk)


def _issue(owner, invoice):
    with tenant_scope(owner.tenant_id, owner.user):
        services.invoice_issue(actor=owner, invoice=invoice)
        return Invoice.objects.get(pk=invoice.pk)


def _india(workspace, client_gstin, language="en"):
    tenant, owner = _country(workspace, "IN")
    with tenant_scope(tenant, owner.user):
        LegalEntity.objects.create(name="Acme Software Pvt Ltd", tax_id=SELLER_GSTIN,
                                   address="MG Road, Bengaluru")  # fmt: skip
    lines = [
        ("Consulting", Decimal(2), Decimal("1000.00"), Decimal(0), Decimal(18)),
        ("Licence", Decimal(1), Decimal("333.33"), Decimal(0), Decimal(18)),
    ]
    invoice = _draft(owner, "INR", lines, client_name="Rao Traders",
                     client_tax_id=client_gstin, language=language)  # fmt: skip
    with tenant_scope(tenant, owner.user):
        first = invoice.lines.order_by("position").first()
        services.line_update(actor=owner, invoice=invoice, line_id=first.pk,
                             data={"hsn_sac": "998314"})  # fmt: skip
    return owner, _issue(owner, invoice)


def test_india_within_a_state_is_cgst_and_sgst(workspace):
    owner, invoice = _india(workspace, SAME_STATE)
    assert invoice.template == "in" and len(invoice.number) <= 16
    # 2000.00 at 18 % = 360.00; 333.33 at 18 % = 59.9994 -> 60.00
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("2333.33"), Decimal("420.00"), Decimal("2753.33"),
    )  # fmt: skip
    with tenant_scope(owner.tenant_id):
        data = pdf.document_data(invoice)
        text = _text(pdf.render(invoice))
    assert data["gst"]["intra_state"] is True
    assert data["gst"]["cgst"] == data["gst"]["sgst"] == "₹210.00"
    words = "Two thousand, seven hundred and fifty-three rupees"
    for expected in ("Tax invoice", invoice.number, SELLER_GSTIN, SAME_STATE,
                     "Place of supply: 29-Karnataka", "998314", "CGST", "SGST", "9%",
                     "₹2,753.33", words):  # fmt: skip
        assert expected in text, expected
    assert "IGST" not in text


def test_india_between_states_is_igst(workspace):
    owner, invoice = _india(workspace, OTHER_STATE)
    with tenant_scope(owner.tenant_id):
        data = pdf.document_data(invoice)
        text = _text(pdf.render(invoice))
    assert data["gst"]["intra_state"] is False and data["gst"]["igst"] == "₹420.00"
    assert "Place of supply: 27-Maharashtra" in text and "IGST" in text
    assert "CGST" not in text


@pytest.mark.parametrize("language", ["ta", "te"])
def test_india_in_tamil_and_telugu_has_its_words(workspace, language):
    owner, invoice = _india(workspace, SAME_STATE, language=language)
    with tenant_scope(owner.tenant_id):
        text = _text(pdf.render(invoice))
    words = {"ta": "இரண்டாயிரத்து எழுநூற்று ஐம்பத்து மூன்று ரூபாய், முப்பத்து மூன்று பைசா",
             "te": "రెండు వేల ఏడు వందల యాభై మూడు రూపాయలు, ముప్పై మూడు పైసలు"}[language]  # fmt: skip
    with tenant_scope(owner.tenant_id):
        assert pdf.document_data(invoice)["words"] == words
    # pypdf maps each shaped glyph back to one text, so a conjunct or vowel sign a font
    # shares between words can come back wrong (ரூபாய் as ரூபய்); the exact words are held
    # above, and the PDF is held to a run of them that reads back whole.
    assert {"ta": "எழுநூற்று ஐம்பத்து மூன்று", "te": "యాభై"}[language] in text
    assert "₹" in text and "GSTIN" in text


def test_an_indian_number_longer_than_16_characters_is_refused_and_nothing_is_used(workspace):
    tenant, owner = _country(workspace, "IN")
    invoice = _draft(owner, "INR", None)
    with tenant_scope(tenant, owner.user):
        series = services.default_series("invoice", "IN")
        type(series).objects.filter(pk=series.pk).update(format="{series}/INDIA/{fy}/{n:05}")
        with pytest.raises(services.ValidationError) as caught:
            services.invoice_issue(actor=owner, invoice=invoice)
        assert "16 characters" in str(caught.value)
        invoice.refresh_from_db()
        assert invoice.status == "draft" and invoice.number is None
        assert not series.counters.exists()


def _mongolia(workspace):
    tenant, owner = _country(workspace, "MN")
    with tenant_scope(tenant, owner.user):
        LegalEntity.objects.create(name="Номин ХХК", register_number="5123456",
                                   address="Улаанбаатар, Сүхбаатар дүүрэг")  # fmt: skip
    lines = [("Өгөөмөр үйлчилгээ", Decimal(3), Decimal("12500.00"), Decimal(0), Decimal(10))]
    invoice = _draft(owner, "MNT", lines, client_name="Бат-Эрдэнэ Дорж",
                     client_register_number="уб99061512", language="mn")  # fmt: skip
    return owner, _issue(owner, invoice)


def test_mongolia_has_vat_register_numbers_words_and_the_receipt(workspace):
    owner, invoice = _mongolia(workspace)
    assert invoice.template == "mn" and invoice.client["register_number"] == "УБ99061512"
    assert invoice.tax_total == Decimal("3750.00") and invoice.total == Decimal("41250.00")
    with tenant_scope(owner.tenant_id, owner.user):
        services.receipt_set(actor=owner, invoice=invoice, receipt_number="000123456789012345")
        invoice.refresh_from_db()
        text = _text(pdf.render(invoice))
    for expected in ("Номин ХХК", "5123456", "УБ99061512", "НӨАТ 10%", "₮",
                     "Дөчин нэг мянга хоёр зуун тавин төгрөг", "000123456789012345",
                     "Өгөөмөр үйлчилгээ"):  # fmt: skip
        assert expected in text, expected


def test_the_receipt_is_for_issued_invoices_and_checked(workspace):
    tenant, owner = _country(workspace, "MN")
    invoice = _draft(owner, "MNT", None)
    with tenant_scope(tenant, owner.user), pytest.raises(services.Conflict):
        services.receipt_set(actor=owner, invoice=invoice, receipt_number="123")
    invoice = _issue(owner, invoice)
    with tenant_scope(tenant, owner.user):
        with pytest.raises(services.ValidationError) as caught:
            services.receipt_set(actor=owner, invoice=invoice, receipt_number="12|34")
        assert "receipt_number" in caught.value.message_dict
        invoice.refresh_from_db()
        assert invoice.receipt_number == ""


RU_SELLER = dict(
    name="ООО «Ромашка»", tax_id="7707083893", kpp="773601001", bank_name="ПАО Сбербанк",
    bik="044525225", account="40702810900000000001", corr_account="30101810400000000225",
)  # fmt: skip


def test_the_russian_qr_payload_is_exactly_the_standard_one(workspace):
    tenant, owner = _country(workspace, "RU")
    with tenant_scope(tenant, owner.user):
        LegalEntity.objects.create(**RU_SELLER)
    one = [("Консультация", Decimal(2), Decimal("617.25"), Decimal(0), Decimal(22))]
    invoice = _issue(owner, _draft(owner, "RUB", one, language="ru"))
    day = invoice.issue_date.strftime("%d.%m.%Y")
    assert qr.payload(invoice) == (
        "ST00012|Name=ООО «Ромашка»|PersonalAcc=40702810900000000001|BankName=ПАО Сбербанк"
        "|BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001"
        f"|Sum=150609|Purpose=Оплата по счёту № {invoice.number} от {day}"
    )
    with tenant_scope(tenant):
        data = pdf.render(invoice)
    # The page holds one image, and its pixels are the QR code of exactly that payload.
    page = PdfReader(io.BytesIO(data)).pages[0]
    images = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
    images = [x for x in images if x["/Subtype"] == "/Image"]
    assert len(images) == 1
    expected = [
        [bool(dark) for dark in row]
        for row in qr.code(qr.payload(invoice)).matrix_iter(scale=1, border=qr.BORDER)
    ]
    width, pixels = images[0]["/Width"], images[0].get_data()
    assert (width, images[0]["/Height"]) == (len(expected[0]), len(expected))
    assert [[pixels[y * width + x] < 128 for x in range(width)] for y in range(width)] == expected
    assert "Оплатить по QR-коду" in _text(data)


def test_no_qr_without_the_bank_details_or_for_a_draft(workspace):
    tenant, owner = _country(workspace, "RU")
    one = [("Консультация", Decimal(1), Decimal("100.00"), Decimal(0), Decimal(0))]
    draft = _draft(owner, "RUB", one, language="ru")
    assert qr.payload(draft) == ""  # no number yet, no seller's bank
    issued = _issue(owner, draft)
    assert qr.payload(issued) == ""
    with tenant_scope(tenant):
        assert "QR" not in _text(pdf.render(issued))
