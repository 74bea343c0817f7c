"""The client's page: a token link (no login) showing the invoice, what is paid and due, the
PDF and that client's other invoices in that workspace alone; revoked links are 404;
invoice.viewed once a day on the deal's timeline."""

from __future__ import annotations

import pytest

from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from invoices import flows, services
from invoices.models import ClientLink, Invoice
from tests.conftest import add_member, api_client, login

from .flows_helpers import company, issued

pytestmark = pytest.mark.django_db


def _link(member, invoice):
    with tenant_scope(member.tenant_id, member.user):
        return flows.client_link_create(actor=member, invoice=invoice)


def test_the_page_shows_paid_and_due_and_only_this_clients_invoices(workspace, client):
    tenant, owner = workspace
    acme, globex = company(owner, "Acme Ltd"), company(owner, "Globex Ltd")
    first = issued(owner, acme, "300.00", title="First")
    second = issued(owner, acme, "50.00", title="Second")
    theirs = issued(owner, globex, "999.00", title="Theirs")
    with tenant_scope(tenant, owner.user):
        services.payment_record(actor=owner, allocations=[(first, "120.00")])
    link = _link(owner, first)

    client.logout()
    page = client.get(f"/i/{link.token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert first.number in html and "$120.00" in html and "$180.00" in html
    assert second.number in html  # the same client's other invoice
    assert theirs.number not in html  # another client's never
    assert client.get(f"/i/{link.token}/pdf/").content.startswith(b"%PDF")
    assert client.get(f"/i/{link.token}/pdf/{second.pk}/").status_code == 200
    assert client.get(f"/i/{link.token}/pdf/{theirs.pk}/").status_code == 404


def test_opening_it_is_on_the_deals_timeline_once_a_day(workspace, client):
    tenant, owner = workspace
    invoice = issued(owner, company(owner))
    link = _link(owner, invoice)
    for _i in range(3):
        assert client.get(f"/i/{link.token}/").status_code == 200
    with tenant_scope(tenant, owner.user):
        assert Event.objects.filter(type="invoice.viewed", subject_id=invoice.pk).count() == 1
        dispatch_pending()
    login(client, owner)
    card = client.get(f"/deals/{invoice.deal_id}/").content.decode()
    assert "Invoice viewed by the client" in card


def test_revoked_and_regenerated_links_are_404(workspace, client):
    tenant, owner = workspace
    invoice = issued(owner)
    old = _link(owner, invoice)
    new = _link(owner, invoice)  # regenerate: the old one stops
    assert client.get(f"/i/{old.token}/").status_code == 404
    assert client.get(f"/i/{new.token}/").status_code == 200
    with tenant_scope(tenant, owner.user):
        flows.client_link_revoke(actor=owner, invoice=invoice)
    for path in ("", "pdf/", f"pdf/{invoice.pk}/"):
        assert client.get(f"/i/{new.token}/{path}").status_code == 404
    for token in ("nonsense", "1_x", f"{tenant.pk}_", "9" * 30 + "_abc"):
        assert client.get(f"/i/{token}/").status_code == 404


def test_a_token_never_opens_another_workspace(workspace, other_workspace, client):
    (_tenant_a, owner_a), (tenant_b, owner_b) = workspace, other_workspace
    mine = issued(owner_a)
    link = _link(owner_a, mine)
    issued(owner_b)
    secret = link.token.partition("_")[2]
    # The same secret under the other workspace's id finds nothing there.
    assert client.get(f"/i/{tenant_b.pk}_{secret}/").status_code == 404
    with tenant_scope(tenant_b):
        assert not ClientLink.objects.exists()


def test_the_invoice_page_makes_and_revokes_the_link(workspace, client):
    tenant, owner = workspace
    invoice = issued(owner)
    login(client, owner)
    assert "No link yet" in client.get(f"/invoices/{invoice.pk}/").content.decode()
    client.post(f"/invoices/{invoice.pk}/link/")
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    with tenant_scope(tenant):
        token = ClientLink.objects.get(invoice=invoice, revoked_at=None).token
    assert f"/i/{token}/" in page
    client.post(f"/invoices/{invoice.pk}/link/revoke/")
    assert client.get(f"/i/{token}/").status_code == 404


def test_a_colleague_with_own_visibility_cannot_touch_the_link(workspace, client):
    tenant, _admin = workspace
    mia, carl = add_member(tenant), add_member(tenant)
    invoice = issued(carl)
    link = _link(carl, invoice)
    login(client, mia)
    assert client.post(f"/invoices/{invoice.pk}/link/").status_code == 404
    assert client.post(f"/invoices/{invoice.pk}/link/revoke/").status_code == 404
    api = api_client(mia)
    assert api.post(f"/api/v1/invoices/{invoice.pk}/client-link/").status_code == 404
    assert api.delete(f"/api/v1/invoices/{invoice.pk}/client-link/").status_code == 404
    with tenant_scope(tenant):
        assert ClientLink.objects.get(pk=link.pk).revoked_at is None
        assert ClientLink.objects.count() == 1


def test_the_api_makes_and_revokes_links(workspace, other_workspace):
    (_tenant, owner), (_b, owner_b) = workspace, other_workspace
    invoice = issued(owner)
    api = api_client(owner)
    made = api.post(f"/api/v1/invoices/{invoice.pk}/client-link/")
    assert made.status_code == 201 and made.json()["url"].endswith(f"/i/{made.json()['token']}/")
    assert (
        api_client(owner_b).delete(f"/api/v1/invoices/{invoice.pk}/client-link/").status_code == 404
    )
    assert api.delete(f"/api/v1/invoices/{invoice.pk}/client-link/").status_code == 204


def test_the_email_carries_the_link(workspace, smtp, django_capture_on_commit_callbacks):
    tenant, owner = workspace
    invoice = issued(owner)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant, owner.user):
        services.invoice_send(actor=owner, invoice=invoice, to="buyer@client.example")
    with tenant_scope(tenant):
        token = ClientLink.objects.get(invoice=invoice, revoked_at=None).token
        assert Invoice.objects.get(pk=invoice.pk).sent_to == "buyer@client.example"
    [body] = smtp.bodies()
    assert f"/i/{token}/" in body


def test_the_page_costs_the_same_queries_whatever_the_client_has(
    workspace, client, django_assert_max_num_queries
):
    _tenant, owner = workspace
    acme = company(owner, "Acme Ltd")
    invoice = issued(owner, acme)
    link = _link(owner, invoice)
    client.get(f"/i/{link.token}/")  # today's view is recorded: the next ones only read
    with django_assert_max_num_queries(8):
        client.get(f"/i/{link.token}/")
    for _i in range(6):
        issued(owner, acme)
    with django_assert_max_num_queries(8):
        page = client.get(f"/i/{link.token}/").content.decode()
    assert page.count('data-testid="client-other"') == 6
