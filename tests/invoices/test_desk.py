"""The accountant's desk: the new filters (series, client, due dates), bulk reminders by
email over a real SMTP server on loopback, and what an "own" manager cannot remind."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from invoices import services
from invoices.models import ClientLink, Invoice, Series
from tests.conftest import add_member, api_client, login

from .flows_helpers import company, issued

pytestmark = pytest.mark.django_db


def test_filters_by_client_series_and_due_dates(workspace, client, django_assert_max_num_queries):
    tenant, owner = workspace
    acme = company(owner, "Acme")
    mine = [issued(owner, acme), issued(owner, acme), issued(owner, company(owner, "Other"))]
    with tenant_scope(tenant):
        Invoice.objects.filter(pk=mine[0].pk).update(due_date=timezone.localdate() + timedelta(40))
        series = Series.objects.get(kind="invoice")
    accountant = add_member(tenant, "accountant")
    login(client, accountant)

    def rows(**q):
        return client.get("/invoices/", q).content.decode().count('data-testid="invoice-row"')

    assert rows(company=acme.pk) == 2
    assert rows(series=series.pk) == 3
    later = (timezone.localdate() + timedelta(30)).isoformat()
    assert rows(due_after=later) == 1 and rows(due_before=later) == 2
    assert client.get("/invoices/", {"company": "x"}).status_code == 404
    api = api_client(accountant)
    assert len(api.get("/api/v1/invoices/", {"company": acme.pk}).json()["results"]) == 2
    with django_assert_max_num_queries(16):
        client.get("/invoices/", {"company": acme.pk, "series": series.pk})
    export = client.get("/invoices/export/", {"company": acme.pk})
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(export.streaming_content)))
    assert len(book.get_sheet_by_index(0).to_python()) == 3  # the header and Acme's two


def test_bulk_reminders_go_by_email_with_the_pdf_and_the_link(
    workspace, client, smtp, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    sent_before, never_sent, paid = issued(owner), issued(owner), issued(owner)
    with tenant_scope(tenant, owner.user):
        services.invoice_send(actor=owner, invoice=sent_before, to="buyer@client.example")
        services.invoice_send(actor=owner, invoice=paid, to="paid@client.example")
        services.payment_record(actor=owner, allocations=[(paid, paid.total)])
    smtp.messages.clear()
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/invoices/remind/",
            {
                "invoice": [sent_before.pk, never_sent.pk, paid.pk],
                "next": "/invoices/?status=issued",
            },
        )
    assert response.status_code == 302 and response["Location"] == "/invoices/?status=issued"
    [mail] = smtp.messages
    assert mail["To"] == "buyer@client.example" and "Reminder" in mail["Subject"]
    with tenant_scope(tenant):
        token = ClientLink.objects.get(invoice=sent_before, revoked_at=None).token
        assert Event.objects.filter(type="invoice.reminded").count() == 1
    [body] = smtp.bodies()
    assert f"/i/{token}/" in body
    assert [p.get_filename() for p in mail.walk() if p.get_filename()] == [
        f"{sent_before.number}.pdf"
    ]
    page = client.get("/invoices/?status=issued").content.decode()
    assert "never sent by email" in page and "nothing is due" in page


def test_an_own_manager_reminds_nothing_of_a_colleagues(
    workspace, other_workspace, client, smtp, django_capture_on_commit_callbacks
):
    (tenant, _admin), (_b, owner_b) = workspace, other_workspace
    mia, carl = add_member(tenant), add_member(tenant)
    carls = issued(carl)
    with tenant_scope(tenant, carl.user):
        services.invoice_send(actor=carl, invoice=carls, to="carl-client@example.com")
    smtp.messages.clear()
    login(client, mia)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/invoices/remind/", {"invoice": [carls.pk]})
        answer = api_client(mia).post("/api/v1/invoices/remind/", {"invoices": [carls.pk]},
                                      format="json")  # fmt: skip
        other = api_client(owner_b).post("/api/v1/invoices/remind/", {"invoices": [carls.pk]},
                                         format="json")  # fmt: skip
    assert answer.json() == {"sent": [], "skipped": []} and other.json() == answer.json()
    assert smtp.messages == []
    with tenant_scope(tenant):
        assert not Event.objects.filter(type="invoice.reminded").exists()
