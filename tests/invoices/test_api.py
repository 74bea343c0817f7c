"""The API contract of issue 11, checked as a client sees it."""

from decimal import Decimal

import pytest

from crm.tenancy.context import tenant_scope
from invoices.models import Invoice, InvoiceLine, Payment
from tests.conftest import add_member, api_client

from .conftest import deal_with_lines

pytestmark = pytest.mark.django_db


def _draft(client, deal):
    response = client.post("/api/v1/invoices/", {"deal": deal.pk}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_draft_from_a_deal_carries_its_lines_and_no_number(workspace, deal):
    _, owner = workspace
    body = _draft(api_client(owner), deal)
    assert body["number"] is None
    assert body["status"] == "draft" and body["payment_status"] == "unpaid"
    assert body["currency"] == "USD"
    # 3 x 100 + 20 % = 360.00; 49.99 - 10 % = 44.991 -> 44.99 (per line, half up)
    assert [line["total"] for line in body["lines"]] == ["360.00", "44.99"]
    assert body["total"] == "404.99"
    assert {"id", "number", "status", "payment_status", "currency", "total", "lines"} <= set(body)


def test_issue_numbers_it_once_and_a_second_issue_is_refused(workspace, deal):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal)
    issued = client.post(f"/api/v1/invoices/{draft['id']}/issue/")
    assert issued.status_code == 200, issued.content
    number = issued.json()["number"]
    assert issued.json()["status"] == "issued" and number.startswith("INV-")
    again = client.post(f"/api/v1/invoices/{draft['id']}/issue/")
    assert again.status_code == 409
    assert client.get(f"/api/v1/invoices/{draft['id']}/").json()["number"] == number
    # Issued is immutable: no new line, no changed fields.
    line = client.post(
        f"/api/v1/invoices/{draft['id']}/lines/",
        {"name": "Extra", "quantity": "1", "unit_price": "5"},
        format="json",
    )
    assert line.status_code == 409
    assert client.patch(f"/api/v1/invoices/{draft['id']}/", {"notes": "x"}).status_code == 409


def test_the_next_invoice_gets_the_next_number(workspace, deal):
    _, owner = workspace
    client = api_client(owner)
    numbers = []
    for _i in range(3):
        draft = _draft(client, deal)
        numbers.append(client.post(f"/api/v1/invoices/{draft['id']}/issue/").json()["number"])
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2, 3]


def test_the_pdf_is_a_pdf(workspace, deal):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal)
    client.post(f"/api/v1/invoices/{draft['id']}/issue/")
    response = client.get(f"/api/v1/invoices/{draft['id']}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_payments_move_the_payment_status(workspace, deal):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal)
    client.post(f"/api/v1/invoices/{draft['id']}/issue/")
    part = client.post("/api/v1/payments/", {"invoice": draft["id"], "amount": "100.00"})
    assert part.status_code == 201, part.content
    assert client.get(f"/api/v1/invoices/{draft['id']}/").json()["payment_status"] == "partial"
    rest = client.post("/api/v1/payments/", {"invoice": draft["id"], "amount": "304.99"})
    assert rest.status_code == 201, rest.content
    body = client.get(f"/api/v1/invoices/{draft['id']}/").json()
    assert body["payment_status"] == "paid" and body["paid_amount"] == "404.99"
    over = client.post("/api/v1/payments/", {"invoice": draft["id"], "amount": "0.01"})
    assert over.status_code == 400
    refund = client.post(
        "/api/v1/payments/", {"invoice": draft["id"], "amount": "404.99", "refund": True}
    )
    assert refund.status_code == 201, refund.content
    assert client.get(f"/api/v1/invoices/{draft['id']}/").json()["payment_status"] == "refunded"


def test_one_payment_over_two_invoices(workspace, deal):
    _, owner = workspace
    client = api_client(owner)
    ids = []
    for _i in range(2):
        draft = _draft(client, deal)
        client.post(f"/api/v1/invoices/{draft['id']}/issue/")
        ids.append(draft["id"])
    response = client.post(
        "/api/v1/payments/",
        {
            "allocations": [
                {"invoice": ids[0], "amount": "404.99"},
                {"invoice": ids[1], "amount": "4.99"},
            ]
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "409.98"
    statuses = [client.get(f"/api/v1/invoices/{i}/").json()["payment_status"] for i in ids]
    assert statuses == ["paid", "partial"]


def test_a_payment_on_a_draft_is_refused(workspace, deal):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal)
    response = client.post("/api/v1/payments/", {"invoice": draft["id"], "amount": "1"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"name": "Bad", "quantity": "-1", "unit_price": "5"}, "quantity"),
        ({"name": "Bad", "quantity": "1", "unit_price": "-5"}, "unit_price"),
        ({"name": "Bad", "quantity": "abc", "unit_price": "5"}, "quantity"),
        ({"name": "Bad", "quantity": "1", "unit_price": "5", "discount": "150"}, "discount"),
        ({"name": "", "quantity": "1", "unit_price": "5"}, "name"),
        ({"name": "Bad", "quantity": "1", "unit_price": "5", "tax_rate": 987654}, "tax_rate"),
    ],
)
def test_bad_lines_are_a_clear_400_and_nothing_is_written(workspace, deal, line, field):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal)
    response = client.post(f"/api/v1/invoices/{draft['id']}/lines/", line, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"], response.json()
    with tenant_scope(owner.tenant_id):
        assert InvoiceLine.objects.filter(invoice_id=draft["id"]).count() == 2
        assert Invoice.objects.get(pk=draft["id"]).total == Decimal("404.99")


def test_an_unknown_currency_is_a_clear_400(workspace, deal):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal)
    response = client.patch(f"/api/v1/invoices/{draft['id']}/", {"currency": "XYZ"})
    assert response.status_code == 400
    assert "currency" in response.json()["error"]["fields"]
    assert client.get(f"/api/v1/invoices/{draft['id']}/").json()["currency"] == "USD"


def test_a_deal_that_does_not_exist_is_a_400_and_writes_nothing(workspace):
    _, owner = workspace
    response = api_client(owner).post("/api/v1/invoices/", {"deal": 987654}, format="json")
    assert response.status_code == 400
    with tenant_scope(owner.tenant_id):
        assert not Invoice.objects.exists()


def test_another_workspaces_key_finds_nothing(workspace, other_workspace):
    (_, owner_a), (_, owner_b) = workspace, other_workspace
    deal_b = deal_with_lines(owner_b)
    client_b = api_client(owner_b)
    draft = _draft(client_b, deal_b)
    client_b.post(f"/api/v1/invoices/{draft['id']}/issue/")
    payment = client_b.post("/api/v1/payments/", {"invoice": draft["id"], "amount": "1"}).json()
    client_a = api_client(owner_a)
    for url in (
        f"/api/v1/invoices/{draft['id']}/",
        f"/api/v1/invoices/{draft['id']}/pdf/",
        f"/api/v1/payments/{payment['id']}/",
    ):
        assert client_a.get(url).status_code == 404, url
    for url in ("issue", "cancel", "credit-note", "lines"):
        assert client_a.post(f"/api/v1/invoices/{draft['id']}/{url}/").status_code == 404
    assert client_a.post("/api/v1/invoices/", {"deal": deal_b.pk}).status_code == 400
    response = client_a.post("/api/v1/payments/", {"invoice": draft["id"], "amount": "1"})
    assert response.status_code == 400
    assert client_a.get("/api/v1/invoices/").json()["results"] == []
    assert client_a.get("/api/v1/payments/").json()["results"] == []
    with tenant_scope(owner_b.tenant_id):
        assert Payment.objects.count() == 1


def test_a_manager_sees_and_changes_nothing_of_a_colleagues_invoices(workspace):
    tenant, _ = workspace
    mia, carl = add_member(tenant), add_member(tenant)
    carls = _draft(api_client(carl), deal_with_lines(carl, title="Carl's"))
    api_client(carl).post(f"/api/v1/invoices/{carls['id']}/issue/")
    mine = _draft(api_client(mia), deal_with_lines(mia, title="Mia's"))
    client = api_client(mia)
    assert [row["id"] for row in client.get("/api/v1/invoices/").json()["results"]] == [mine["id"]]
    base = f"/api/v1/invoices/{carls['id']}"
    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/pdf/").status_code == 404
    assert client.post(f"{base}/cancel/").status_code == 404
    assert client.patch(f"{base}/", {"notes": "x"}).status_code == 404
    response = client.post("/api/v1/payments/", {"invoice": carls["id"], "amount": "1"})
    assert response.status_code == 400
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(pk=carls["id"])
        assert (invoice.status, invoice.paid_amount, invoice.notes) == ("issued", 0, "")


def test_the_accountant_sees_every_invoice_and_a_role_without_rights_none(workspace):
    tenant, _ = workspace
    carl = add_member(tenant)
    invoice = _draft(api_client(carl), deal_with_lines(carl))
    accountant = api_client(add_member(tenant, "accountant"))
    assert accountant.get(f"/api/v1/invoices/{invoice['id']}/").status_code == 200
    assert accountant.post(f"/api/v1/invoices/{invoice['id']}/issue/").status_code == 200
    head_less = add_member(tenant, "manager")
    with tenant_scope(tenant):
        role = head_less.role
        role.grants = {k: v for k, v in role.grants.items() if k != "invoice"}
        role.save()
    assert api_client(head_less).get("/api/v1/invoices/").status_code == 403


def test_the_list_takes_the_same_number_of_queries_for_more_invoices(
    workspace, deal, django_assert_max_num_queries
):
    _, owner = workspace
    client = api_client(owner)
    for _i in range(2):
        _draft(client, deal)
    # The same bound for 2 invoices and 10, below 10: no query per invoice or per line.
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/invoices/").json()["results"]) == 2
    for _i in range(8):
        _draft(client, deal)
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/invoices/").json()["results"]) == 10


def test_a_drafts_lines_change_and_go(workspace, deal):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal)
    first, second = (line["id"] for line in draft["lines"])
    url = f"/api/v1/invoices/{draft['id']}/lines"
    changed = client.patch(f"{url}/{first}/", {"quantity": "1"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["total"] == "164.99"  # 120.00 + 44.99
    bad = client.patch(f"{url}/{first}/", {"quantity": "-1"}, format="json")
    assert bad.status_code == 400 and "quantity" in bad.json()["error"]["fields"]
    gone = client.delete(f"{url}/{second}/")
    assert gone.status_code == 200 and [line["id"] for line in gone.json()["lines"]] == [first]
    assert client.patch(f"{url}/987654/", {"quantity": "1"}, format="json").status_code == 400
    client.post(f"/api/v1/invoices/{draft['id']}/issue/")
    assert client.delete(f"{url}/{first}/").status_code == 409


def test_an_issued_invoice_is_emailed_with_its_pdf(
    workspace, deal, smtp, django_capture_on_commit_callbacks
):
    _, owner = workspace
    client = api_client(owner)
    draft = _draft(client, deal)
    url = f"/api/v1/invoices/{draft['id']}/send/"
    assert client.post(url, {"to": "buyer@client.example"}).status_code == 409  # a draft
    number = client.post(f"/api/v1/invoices/{draft['id']}/issue/").json()["number"]
    assert client.post(url, {"to": "not an address"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"to": "buyer@client.example"}).status_code == 200
    [mail] = smtp.messages
    assert mail["To"] == "buyer@client.example" and number in mail["Subject"]
    [attachment] = [p for p in mail.walk() if p.get_filename()]
    assert attachment.get_filename() == f"{number}.pdf"
    assert attachment.get_payload(decode=True).startswith(b"%PDF")
