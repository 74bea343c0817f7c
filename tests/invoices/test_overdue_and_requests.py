"""invoice.overdue once per invoice (the daily beat), and asking the accountant for an
invoice from the deal card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.activity import services as activity_services
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Event, Notification, Task
from crm.tenancy.context import tenant_scope
from invoices import flows, services, tasks
from invoices.models import Invoice, InvoiceRequest
from tests.conftest import add_member, api_client, login

from .conftest import deal_with_lines
from .flows_helpers import issued

pytestmark = pytest.mark.django_db


def test_overdue_is_emitted_once_per_invoice(workspace, other_workspace):
    (tenant, owner), (tenant_b, owner_b) = workspace, other_workspace
    late, paid, fresh = issued(owner), issued(owner), issued(owner)
    theirs = issued(owner_b)
    with tenant_scope(tenant, owner.user):
        services.payment_record(actor=owner, allocations=[(paid, paid.total)])
        Invoice.objects.filter(pk__in=[late.pk, paid.pk]).update(
            due_date=timezone.localdate() - timedelta(days=3)
        )
    with tenant_scope(tenant_b):
        Invoice.objects.filter(pk=theirs.pk).update(due_date=timezone.localdate() - timedelta(1))
    assert tasks.mark_overdue() == 2  # late (here) and theirs (there); never the paid one
    assert tasks.mark_overdue() == 0
    with tenant_scope(tenant):
        events = Event.objects.filter(type="invoice.overdue")
        assert [e.subject_id for e in events] == [late.pk]
        assert events[0].related == [["deal", late.deal_id]]
        assert Invoice.objects.get(pk=fresh.pk).overdue_at is None


def _no_invoice_rights(tenant, member):
    with tenant_scope(tenant):
        role = member.role
        role.grants = {**role.grants, "invoice": {"actions": ["view"], "visibility": "own"}}
        role.save()


def test_a_manager_asks_and_the_accountant_creates_in_one_click(workspace, client):
    tenant, admin = workspace
    manager = add_member(tenant)
    _no_invoice_rights(tenant, manager)
    busy, free = add_member(tenant, "accountant"), add_member(tenant, "accountant")
    with tenant_scope(tenant, admin.user):
        activity_services.task_create(
            actor=admin, title="Close the month", all_day=True, due_date=timezone.localdate(),
            assignee=busy.user,
        )  # fmt: skip
    deal = deal_with_lines(manager)
    login(client, manager)
    card = client.get(f"/deals/{deal.pk}/").content.decode()
    assert (
        "Ask the accountant for an invoice" in card and 'data-testid="create-invoice"' not in card
    )
    client.post(f"/deals/{deal.pk}/invoices/ask/")
    with tenant_scope(tenant):
        request = InvoiceRequest.objects.get()
        task = Task.objects.get(pk=request.task_id)
    assert request.assignee == free.user and task.assignee == free.user  # fewest open tasks
    assert (task.object_type, task.object_id) == ("deal", deal.pk)
    card = client.get(f"/deals/{deal.pk}/").content.decode()
    assert 'data-testid="invoice-request"' in card and "ask-accountant" not in card
    assert client.post(f"/deals/{deal.pk}/invoices/ask/").status_code == 302  # refused, kept
    with tenant_scope(tenant):
        assert InvoiceRequest.objects.count() == 1

    with tenant_scope(tenant, free.user):
        dispatch_pending()
        [told] = Notification.objects.filter(recipient=free.user, url=f"/deals/{deal.pk}/")
        assert "asks you for an invoice" in told.title
    login(client, free)
    card = client.get(f"/deals/{deal.pk}/").content.decode()
    assert 'data-testid="fulfil-request"' in card
    response = client.post(f"/invoices/requests/{request.pk}/create/")
    assert response.status_code == 302 and response["Location"].startswith("/invoices/")
    with tenant_scope(tenant):
        request.refresh_from_db()
        assert request.invoice.deal_id == deal.pk and request.invoice.status == "draft"
        assert Task.objects.get(pk=task.pk).done_at is not None
    assert client.post(f"/invoices/requests/{request.pk}/create/").status_code == 302
    with tenant_scope(tenant):
        assert Invoice.objects.count() == 1


def test_with_no_accountant_the_first_member_who_may_create_invoices_is_asked(workspace):
    tenant, admin = workspace
    manager = add_member(tenant)
    _no_invoice_rights(tenant, manager)
    deal = deal_with_lines(manager)
    with tenant_scope(tenant, manager.user):
        request = flows.invoice_request(actor=manager, deal=deal)
    assert request.assignee == admin.user


def test_requests_stay_within_what_the_member_sees(workspace, other_workspace, client):
    (tenant, _admin), (_tenant_b, owner_b) = workspace, other_workspace
    mia, carl = add_member(tenant), add_member(tenant)
    carls = deal_with_lines(carl)
    login(client, mia)
    assert client.post(f"/deals/{carls.pk}/invoices/ask/").status_code == 404
    api = api_client(mia)
    assert api.post("/api/v1/invoice-requests/", {"deal": carls.pk}).status_code == 400
    with tenant_scope(tenant, carl.user):
        request = flows.invoice_request(actor=carl, deal=carls)
    assert client.post(f"/invoices/requests/{request.pk}/create/").status_code == 404
    assert api.post(f"/api/v1/invoice-requests/{request.pk}/fulfil/").status_code == 404
    b = api_client(owner_b)
    assert b.post(f"/api/v1/invoice-requests/{request.pk}/fulfil/").status_code == 404
    assert b.post("/api/v1/invoice-requests/", {"deal": carls.pk}).status_code == 400
    with tenant_scope(tenant):
        assert InvoiceRequest.objects.count() == 1 and not Invoice.objects.exists()


def test_the_api_asks_and_fulfils(workspace):
    tenant, admin = workspace
    manager = add_member(tenant)
    _no_invoice_rights(tenant, manager)
    deal = deal_with_lines(manager)
    asked = api_client(manager).post("/api/v1/invoice-requests/", {"deal": deal.pk})
    assert asked.status_code == 201 and asked.json()["assignee"] == admin.user_id
    again = api_client(manager).post("/api/v1/invoice-requests/", {"deal": deal.pk})
    assert again.status_code == 409
    made = api_client(admin).post(f"/api/v1/invoice-requests/{asked.json()['id']}/fulfil/")
    assert made.status_code == 201 and made.json()["status"] == "draft"
    assert made.json()["deal"] == deal.pk
