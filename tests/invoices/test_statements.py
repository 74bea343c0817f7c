"""Bank statement import: the 1C exchange file (Windows-1251) and CSV, matching by invoice
number, tax number and amount, review and confirmation into payments, idempotent
re-import, and bad files refused whole with the line named."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.tenancy.context import tenant_scope
from invoices import flows, statements
from invoices.models import Invoice, Payment, StatementImport, StatementLine
from tests.conftest import add_member, api_client, login

from .flows_helpers import company, issued

pytestmark = pytest.mark.django_db

OWN_ACCOUNT = "40702810900000000001"


def onec(*documents, encoding="cp1251") -> bytes:
    """A 1C exchange file with one incoming payment per (number, date, amount, inn, purpose),
    and one outgoing payment the import must leave out."""
    lines = ["1CClientBankExchange", "ВерсияФормата=1.03", "Кодировка=Windows",
             "Отправитель=Бухгалтерия", "ДатаНачала=01.03.2026", "ДатаКонца=31.03.2026",
             f"РасчСчет={OWN_ACCOUNT}", "СекцияРасчСчет", f"РасчСчет={OWN_ACCOUNT}",
             "КонецРасчСчет"]  # fmt: skip
    for number, day, amount, inn, purpose in documents:
        lines += ["СекцияДокумент=Платежное поручение", f"Номер={number}", f"Дата={day}",
                  f"Сумма={amount}", "ПлательщикСчет=40702810100000000999",
                  f"Плательщик=ООО Клиент {inn}", f"ПлательщикИНН={inn}",
                  f"ПолучательСчет={OWN_ACCOUNT}", "Получатель=ООО Мы",
                  f"ДатаПоступило={day}", f"НазначениеПлатежа={purpose}",
                  "КонецДокумента"]  # fmt: skip
    lines += ["СекцияДокумент=Платежное поручение", "Номер=900", "Дата=05.03.2026",
              "Сумма=5000.00", f"ПлательщикСчет={OWN_ACCOUNT}", "ПолучательСчет=40702810555",
              "НазначениеПлатежа=Аренда", "КонецДокумента", "КонецФайла"]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_a_1c_file_is_read_and_matched(workspace):
    tenant, owner = workspace
    client = company(owner, "ООО Клиент", tax_number="7707083893")
    by_number = issued(owner, client, "1500.00")
    by_tax = issued(owner, client, "700.00")
    other = issued(owner, company(owner, "Другой"), "42.00")
    raw = onec(
        ("11", "03.03.2026", "1000.00", "7707083893",
         f"Оплата по счёту № {by_number.number} от 01.03.2026"),
        ("12", "04.03.2026", "700.00", "7707083893", "Оплата по договору"),
        ("13", "04.03.2026", "13.00", "5001000000", "Непонятный платёж"),
    )  # fmt: skip
    fmt, entries = statements.parse("statement.txt", raw)
    assert fmt == "1c" and [e.amount for e in entries] == [Decimal("1000.00"), Decimal("700.00"),
                                                             Decimal("13.00")]  # fmt: skip
    assert entries[0].payer_tax_id == "7707083893" and "Оплата по счёту" in entries[0].purpose
    with tenant_scope(tenant, owner.user):
        statement = flows.statement_import(actor=owner, name="statement.txt", raw=raw)
        lines = list(statement.lines.all())
    assert [(ln.state, ln.invoice_id, ln.match_reason) for ln in lines] == [
        ("matched", by_number.pk, "number"),
        ("matched", by_tax.pk, "tax_id_amount"),
        ("unmatched", None, ""),
    ]
    assert other.pk not in {ln.invoice_id for ln in lines}


def test_confirmed_lines_become_payments_and_a_second_import_adds_nothing(workspace):
    tenant, owner = workspace
    client = company(owner, "ООО Клиент", tax_number="7707083893")
    first, second = issued(owner, client, "1500.00"), issued(owner, company(owner, "X"), "13.00")
    raw = onec(
        ("11", "03.03.2026", "1000.00", "7707083893", f"Оплата счёта {first.number}"),
        ("13", "04.03.2026", "13.00", "5001000000", "Непонятный платёж"),
    )
    with tenant_scope(tenant, owner.user):
        statement = flows.statement_import(actor=owner, name="s.txt", raw=raw)
        unmatched = statement.lines.get(state="unmatched")
        payments = flows.statement_confirm(
            actor=owner, statement=statement, choices={unmatched.pk: second.pk}
        )
        assert len(payments) == 2
        assert Invoice.objects.get(pk=first.pk).payment_status == "partial"
        assert Invoice.objects.get(pk=second.pk).payment_status == "paid"
        again = flows.statement_import(actor=owner, name="s.txt", raw=raw)
        assert set(again.lines.values_list("state", flat=True)) == {"duplicate"}
        assert flows.statement_confirm(actor=owner, statement=again) == []
        assert Payment.objects.count() == 2
        assert Invoice.objects.get(pk=first.pk).paid_amount == Decimal("1000.00")


def test_a_wrong_line_refuses_the_whole_confirmation(workspace):
    tenant, owner = workspace
    small = issued(owner, company(owner, "Small"), "10.00")
    big = issued(owner, company(owner, "Big"), "500.00")
    raw = onec(
        ("1", "03.03.2026", "500.00", "", f"Счёт {big.number}"),
        ("2", "03.03.2026", "20.00", "", f"Счёт {small.number}"),  # more than is due
    )
    with tenant_scope(tenant, owner.user):
        statement = flows.statement_import(actor=owner, name="s.txt", raw=raw)
        with pytest.raises(flows.LinesRefused) as refused:
            flows.statement_confirm(actor=owner, statement=statement)
        [(line_id, why)] = refused.value.lines.items()
        assert statement.lines.get(pk=line_id).line_number > 0 and "exceeds" in why
        assert not Payment.objects.exists()
        assert StatementImport.objects.get(pk=statement.pk).status == "review"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (
            onec(("1", "03.03.2026", "10.00", "", "Оплата")).decode("cp1251").encode("utf-8"),
            "Line 2: the file is in UTF-8",
        ),
        (onec(("1", "03.03.2026", "десять", "", "x")), "“десять” is not an amount"),
        (onec(("1", "31.02.2026", "10.00", "", "x")), "is not a date"),
        (
            b"1CClientBankExchange\r\nVersion=1\r\nSECTION WITHOUT EQUALS\r\n",
            "Line 3: expected Key=Value",
        ),
        (
            b"1CClientBankExchange\r\n\xd1\xe5\xea\xf6\xe8\xff\xc4\xee\xea\xf3\xec\xe5\xed\xf2=x\r\nNumber=1\r\n",
            "Line 2: the document that starts here has no",
        ),
        (b"1CClientBankExchange\r\nA=\x98\r\n", "Line 2: this line is not in Windows-1251"),
        (b"date,amount,payer\n2026-03-01,10.00,A\n2026-03-02,ten,B\n", "Line 3:"),
        (b"2026-03-01;10,00;A\n\xff\xfe broken\n", "Line 2: this line is not UTF-8"),
        (b"", "The file is empty"),
    ],
)
def test_bad_files_are_refused_naming_the_line_and_store_nothing(workspace, raw, said):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        with pytest.raises(Exception) as refused:
            flows.statement_import(actor=owner, name="bad.txt", raw=raw)
        assert said in " ".join(refused.value.messages)
        assert not StatementImport.objects.exists() and not StatementLine.objects.exists()


def test_nul_characters_are_dropped_not_stored(workspace):
    tenant, owner = workspace
    raw = b"2026-03-01,10.00,A\x00B,,Inv\x00oice\n"
    with tenant_scope(tenant, owner.user):
        statement = flows.statement_import(actor=owner, name="s.csv", raw=raw)
        [line] = statement.lines.all()
    assert (line.payer, line.purpose) == ("AB", "Invoice")


def test_a_csv_is_read_with_or_without_a_header(workspace):
    tenant, owner = workspace
    client = company(owner, "Acme", tax_number="27AAPFU0939F1ZV")
    invoice = issued(owner, client, "250.00", currency="INR")
    raw = (
        "date;amount;payer;payer tax id;purpose\n"
        f'01.03.2026;250,00;Acme;27AAPFU0939F1ZV;"NEFT {invoice.number.lower()}"\n'
        "02.03.2026;-40,00;Bank;;Fee\n"
    ).encode()
    fmt, entries = statements.parse("s.csv", raw)
    assert fmt == "csv" and len(entries) == 1 and entries[0].amount == Decimal("250.00")
    with tenant_scope(tenant, owner.user):
        statement = flows.statement_import(actor=owner, name="s.csv", raw=raw)
        [line] = statement.lines.all()
    assert line.invoice_id == invoice.pk


def test_the_review_screen_confirms_and_picks_by_hand(
    workspace, client, django_assert_max_num_queries
):
    tenant, owner = workspace
    matched = issued(owner, company(owner, "A"), "100.00")
    by_hand = issued(owner, company(owner, "B"), "60.00")
    raw = onec(
        ("1", "03.03.2026", "100.00", "", f"Invoice {matched.number}"),
        ("2", "03.03.2026", "60.00", "", "Without a number"),
        ("3", "03.03.2026", "1.00", "", "Skip me"),
    )
    login(client, owner)
    upload = client.post("/invoices/statements/", {"file": SimpleUploadedFile("s.txt", raw)})
    assert upload.status_code == 302
    url = upload["Location"]
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert page.count('data-testid="statement-line"') == 3 and matched.number in page
    with tenant_scope(tenant):
        lines = {ln.line_number: ln for ln in StatementLine.objects.all()}
    second, third = sorted(lines)[1], sorted(lines)[2]
    bad = client.post(url, {f"invoice-{lines[second].pk}": "NO-SUCH",
                            f"invoice-{lines[sorted(lines)[0]].pk}": matched.number})  # fmt: skip
    assert bad.status_code == 400 and "No invoice NO-SUCH" in bad.content.decode()
    with tenant_scope(tenant):
        assert not Payment.objects.exists()
    done = client.post(url, {
        f"invoice-{lines[sorted(lines)[0]].pk}": matched.number,
        f"invoice-{lines[second].pk}": by_hand.number,
        f"invoice-{lines[third].pk}": "", f"skip-{lines[third].pk}": "1",
    })  # fmt: skip
    assert done.status_code == 302
    with tenant_scope(tenant):
        assert Invoice.objects.get(pk=by_hand.pk).payment_status == "paid"
        assert StatementLine.objects.get(pk=lines[third].pk).state == "skipped"
        assert Payment.objects.count() == 2
    bad_file = client.post("/invoices/statements/", {"file": SimpleUploadedFile("x.txt", b"x")})
    assert bad_file.status_code == 400 and "Line 1:" in bad_file.content.decode()


def test_statements_stay_in_their_workspace_and_with_their_importer(
    workspace, other_workspace, client
):
    (tenant, _admin), (_tenant_b, owner_b) = workspace, other_workspace
    mia, carl = add_member(tenant), add_member(tenant)
    carls = issued(carl, company(carl, "Carl's client"), "80.00")
    raw = onec(("1", "03.03.2026", "80.00", "", f"Invoice {carls.number}"))
    with tenant_scope(tenant, mia.user):
        # Mia ("own") cannot match Carl's invoice: it is not hers to see.
        statement = flows.statement_import(actor=mia, name="s.txt", raw=raw)
        assert statement.lines.get().state == "unmatched"
    with tenant_scope(tenant, carl.user):
        carls_import = flows.statement_import(actor=carl, name="s.txt", raw=raw)
    login(client, mia)
    assert client.get(f"/invoices/statements/{carls_import.pk}/").status_code == 404
    assert client.post(f"/invoices/statements/{carls_import.pk}/", {}).status_code == 404
    api = api_client(mia)
    assert (
        api.post(f"/api/v1/statements/{carls_import.pk}/confirm/", {}, format="json").status_code
        == 404
    )
    with tenant_scope(tenant):
        line = statement.lines.get()
    refused = api.post(f"/api/v1/statements/{statement.pk}/confirm/",
                       {"lines": [{"line": line.pk, "invoice": carls.pk}]},
                       format="json")  # fmt: skip
    assert refused.status_code == 400
    b = api_client(owner_b)
    assert b.get(f"/api/v1/statements/{statement.pk}/").status_code == 404
    assert (
        b.post(f"/api/v1/statements/{statement.pk}/confirm/", {}, format="json").status_code == 404
    )
    with tenant_scope(tenant):
        assert not Payment.objects.exists()


def test_the_api_imports_and_confirms(workspace):
    _tenant, owner = workspace
    invoice = issued(owner, company(owner), "30.00")
    api = api_client(owner)
    raw = onec(("1", "03.03.2026", "30.00", "", f"Invoice {invoice.number}"))
    made = api.post("/api/v1/statements/", {"file": SimpleUploadedFile("s.txt", raw)},
                    format="multipart")  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["lines"][0]["invoice_number"] == invoice.number
    done = api.post(f"/api/v1/statements/{made.json()['id']}/confirm/", {}, format="json")
    assert done.status_code == 200 and done.json()["lines"][0]["state"] == "recorded"
    assert (
        api.post(f"/api/v1/statements/{made.json()['id']}/confirm/", {}, format="json").status_code
        == 409
    )
    broken = SimpleUploadedFile("s.txt", b"1CClientBankExchange\nbroken\n")
    bad = api.post("/api/v1/statements/", {"file": broken},
                   format="multipart")  # fmt: skip
    assert bad.status_code == 400 and "Line 2" in str(bad.json())
