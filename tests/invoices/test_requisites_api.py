"""The client's requisites on an invoice, HSN/SAC codes and the e-Barimt receipt through the
API: clear 400s on the field, nothing half-written, and nobody reaches another's invoice."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_scope
from invoices.models import Invoice, InvoiceLine
from tests.conftest import add_member, api_client

from .conftest import deal_with_lines

pytestmark = pytest.mark.django_db


def _draft(client, deal, **fields):
    body = client.post("/api/v1/invoices/", {"deal": deal.pk}, format="json").json()
    if fields:
        response = client.patch(f"/api/v1/invoices/{body['id']}/", fields, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
    return body


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"client_tax_id": "7707083894"}, "client_tax_id", "This ИНН is not valid"),
        ({"client_tax_id": "77070838"}, "client_tax_id", "10 digits (an organisation) or 12"),
        ({"client_tax_id": "7707083893", "client_kpp": "7736"}, "client_kpp", "9 characters"),
        ({"client_tax_id": "500100732259", "client_kpp": "773601001"}, "client_kpp",
         "12-digit ИНН has no КПП"),
    ],
)  # fmt: skip
def test_a_russian_clients_bad_requisites_are_a_400_on_the_field(workspace, fields, field, message):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal_with_lines(owner), template="ru", client_name="ООО Тест")
    response = client.patch(
        f"/api/v1/invoices/{draft['id']}/", {**fields, "notes": "changed"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in " ".join(error["fields"][field])
    with tenant_scope(owner.tenant_id):
        invoice = Invoice.objects.get(pk=draft["id"])
    assert invoice.notes == "" and invoice.client["tax_id"] == ""  # nothing written


def test_good_requisites_are_stored_tidied(workspace):
    _, owner = workspace
    client = api_client(owner)
    body = _draft(client, deal_with_lines(owner), template="ru", client_name=" ООО  Тест ",
                  client_tax_id="7707083893", client_kpp="7736ab001")  # fmt: skip
    assert body["client"]["name"] == "ООО Тест"
    assert (body["client"]["tax_id"], body["client"]["kpp"]) == ("7707083893", "7736AB001")


@pytest.mark.parametrize(
    ("template", "fields", "field", "message"),
    [
        ("in", {"client_tax_id": "29ABCDE1234F1ZX"}, "client_tax_id", "last character"),
        ("in", {"client_tax_id": "29ABCDE1234"}, "client_tax_id", "15 characters"),
        ("in", {"client_tax_id": "42ABCDE1234F1ZW"}, "client_tax_id", "no Indian state code"),
        ("in", {"client_state": "99"}, "client_state", "GST code"),
        ("mn", {"client_register_number": "12345"}, "client_register_number", "7 digits"),
        ("mn", {"client_register_number": "AB99061512"}, "client_register_number", "Cyrillic"),
    ],
)  # fmt: skip
def test_gstin_state_and_register_numbers_are_checked(workspace, template, fields, field, message):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal_with_lines(owner), template=template)
    response = client.patch(f"/api/v1/invoices/{draft['id']}/", fields, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["error"]["fields"][field])


def test_switching_to_a_template_checks_the_requisites_already_there(workspace):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal_with_lines(owner), client_tax_id="7707083894")  # generic: kept
    response = client.patch(f"/api/v1/invoices/{draft['id']}/", {"template": "ru"}, format="json")
    assert response.status_code == 400 and "client_tax_id" in response.json()["error"]["fields"]
    with tenant_scope(owner.tenant_id):
        assert Invoice.objects.get(pk=draft["id"]).template == "generic"


def test_an_invalid_inn_copied_from_the_company_stops_the_issue(workspace):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal_with_lines(owner), client_tax_id="7707083894")
    with tenant_scope(owner.tenant_id):  # as a Russian workspace's default template would be
        Invoice.objects.filter(pk=draft["id"]).update(template="ru")
    response = client.post(f"/api/v1/invoices/{draft['id']}/issue/")
    assert response.status_code == 400
    assert "client_tax_id" in response.json()["error"]["fields"]
    with tenant_scope(owner.tenant_id):
        invoice = Invoice.objects.get(pk=draft["id"])
        assert (invoice.status, invoice.number) == ("draft", None)


def test_hsn_sac_per_line(workspace):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal_with_lines(owner))
    base = f"/api/v1/invoices/{draft['id']}/lines/"
    bad = client.post(base, {"name": "Audit", "quantity": "1", "unit_price": "10",
                             "hsn_sac": "99A"}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "4 to 8 digits" in str(bad.json()["error"]["fields"])
    good = client.post(base, {"name": "Audit", "quantity": "1", "unit_price": "10",
                              "hsn_sac": "998 314"}, format="json")  # fmt: skip
    assert good.status_code == 200
    assert [line["hsn_sac"] for line in good.json()["lines"]] == ["", "", "998314"]
    line_id = good.json()["lines"][0]["id"]
    patched = client.patch(f"{base}{line_id}/", {"hsn_sac": "8471"}, format="json").json()
    assert patched["lines"][0]["hsn_sac"] == "8471"
    with tenant_scope(owner.tenant_id):
        assert InvoiceLine.objects.filter(name="Audit").count() == 1


def test_the_receipt_number_is_recorded_on_an_issued_invoice(workspace):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal_with_lines(owner, currency="MNT"), template="mn")
    url = f"/api/v1/invoices/{draft['id']}/receipt/"
    assert client.post(url, {"receipt_number": "123"}, format="json").status_code == 409
    client.post(f"/api/v1/invoices/{draft['id']}/issue/")
    bad = client.post(url, {"receipt_number": "12 | 34"}, format="json")
    assert bad.status_code == 400 and "receipt_number" in bad.json()["error"]["fields"]
    good = client.post(url, {"receipt_number": "000123456789012345678901234567890"})
    assert good.status_code == 200
    assert good.json()["receipt_number"] == "000123456789012345678901234567890"
    assert client.post(url, {"receipt_number": ""}).json()["receipt_number"] == ""


def test_nobody_records_a_receipt_or_requisites_on_anothers_invoice(workspace, other_workspace):
    tenant, _owner = workspace
    mia, carl = add_member(tenant), add_member(tenant)
    carls = _draft(api_client(carl), deal_with_lines(carl), template="mn")
    api_client(carl).post(f"/api/v1/invoices/{carls['id']}/issue/")
    base = f"/api/v1/invoices/{carls['id']}"
    _, stranger = other_workspace
    for client in (api_client(mia), api_client(stranger)):
        assert client.post(f"{base}/receipt/", {"receipt_number": "1"}).status_code == 404
        assert client.patch(f"{base}/", {"client_name": "Mine"}).status_code == 404
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(pk=carls["id"])
    assert invoice.receipt_number == "" and invoice.client["name"] != "Mine"
