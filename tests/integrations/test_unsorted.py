"""Unsorted requests (integrations/unsorted.py): a conversation from a sender no client
matches is accepted (the client made from the sender, optionally a deal), linked to a
client, or declined (spam: closed, flagged, the sender blocked; their next message is kept
out at ingestion with a visible note). Services, pages and the API; own visibility and the
walls between workspaces."""

import pytest
from django.urls import reverse

from contacts.models import Contact
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from deals.models import Deal
from integrations import ingest, receiver, unsorted
from integrations.models import BlockedSender, Conversation, RawDelivery
from pipelines.models import Stage
from tests.conftest import api_client, login
from tests.contacts.conftest import new_contact

from .conftest import connect_channel
from .stand_in import update

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def stranger(channel, update_id, chat_id, *, name="Lucas Brown", handle="lucas_b", phone="",
             text="Do you ship to Canada?"):  # fmt: skip
    """A message from someone no client matches, as Telegram sends it (with their phone
    shared as a contact card when `phone`)."""
    payload = update(update_id, chat_id=chat_id, text=text, username=handle, first_name=name)
    if phone:
        payload["message"]["contact"] = {"phone_number": phone, "user_id": chat_id}
    with tenant_scope(channel.tenant_id):
        delivery = receiver.receive(channel, payload)
        ingest.process(delivery.pk)
        delivery.refresh_from_db()
        found = Conversation.objects.filter(channel=channel, external_chat_id=str(chat_id)).first()
        return found, delivery


def first_stage():
    return Stage.objects.filter(kind=Stage.OPEN).order_by("pipeline_id", "position").first()


def test_a_request_from_an_unknown_sender_is_unsorted_and_remembers_the_sender(
    client, workspace, telegram
):
    _tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    request, _ = stranger(channel, 1, 501, phone="+14155550123")
    known = new_contact(owner, first_name="Ivan", last_name="Known", telegram="@ivan_known")
    matched, _ = stranger(channel, 2, 502, name="Ivan", handle="ivan_known")
    assert request.contact_id is None and matched.contact_id == known.pk
    assert request.sender == {"name": "Lucas Brown", "username": "lucas_b",
                              "phones": ["+14155550123"], "emails": []}  # fmt: skip
    login(client, owner)
    body = client.get("/inbox/list/", {"view": "unsorted"}).content.decode()
    assert "Lucas Brown" in body and "Ivan Known" not in body
    assert 'data-testid="unsorted"' in body
    page = client.get(f"/inbox/{request.pk}/").content.decode()
    assert 'data-testid="accept-form"' in page and 'data-testid="decline"' in page
    assert "@lucas_b" in page


def test_accept_makes_the_client_from_the_sender_and_a_deal(workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    request, _ = stranger(channel, 1, 501, phone="+14155550123")
    with tenant_scope(tenant, owner.user):
        stage = first_stage()
        accepted = unsorted.accept(actor=owner, conversation=request, stage=stage, amount=900)
        contact = Contact.objects.get(pk=accepted.contact_id)
        assert (contact.first_name, contact.last_name) == ("Lucas", "Brown")
        assert contact.telegram == "@lucas_b" and contact.phones == ["+14155550123"]
        deal = Deal.objects.get(contacts=contact)
        assert deal.stage_id == stage.pk and deal.amount == 900
        assert deal.title == "Request from Lucas Brown"
        assert accepted.assignee_id == owner.user_id  # whoever accepts takes it
        assert Event.objects.filter(type="conversation.accepted", subject_id=request.pk).exists()
        # Accepted once: it is no longer unsorted.
        with pytest.raises(ValueError, match="already linked"):
            unsorted.accept(actor=owner, conversation=request)
        # A second request from the same phone finds the client by it.
        again, _ = stranger(channel, 2, 502, name="L. B.", handle="other", phone="+14155550123")
        assert again.contact_id == contact.pk


def test_accept_refuses_a_duplicate_and_the_page_says_so(client, workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    request, _ = stranger(channel, 1, 501, handle="", phone="+14155550124")
    # The client is entered by hand after the request came in, with the same phone.
    new_contact(owner, first_name="Lucas", last_name="Brown", phones="+14155550124")
    login(client, owner)
    names = {"first_name": "Lucas", "last_name": "Brown"}
    response = client.post(f"/inbox/{request.pk}/accept/", names, headers=HTMX)
    assert response.status_code == 200
    assert "link the conversation to them instead" in response.content.decode()
    with tenant_scope(tenant):
        assert Contact.objects.count() == 1
        assert Conversation.objects.get(pk=request.pk).contact_id is None
    bad = client.post(f"/inbox/{request.pk}/accept/", {"first_name": "Z", "stage": "999999",
                                                      "amount": "abc"}, headers=HTMX)  # fmt: skip
    assert bad.status_code == 200 and "Choose a stage" in bad.content.decode()


def test_accept_from_the_page_redirects_to_the_linked_conversation(client, workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    request, _ = stranger(channel, 1, 501)
    login(client, owner)
    with tenant_scope(tenant):
        stage = first_stage()
    response = client.post(
        f"/inbox/{request.pk}/accept/",
        {"first_name": "Lucas", "last_name": "Brown", "stage": stage.pk, "amount": "1 500,50",
         "deal_title": "Canada shipment"},
        headers=HTMX,
    )  # fmt: skip
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/inbox/{request.pk}/"
    with tenant_scope(tenant):
        deal = Deal.objects.get(title="Canada shipment")
        assert str(deal.amount) == "1500.50"
    page = client.get(f"/inbox/{request.pk}/").content.decode()
    assert 'data-testid="panel-contact"' in page and "Canada shipment" in page


def test_link_to_a_visible_client_only(client, team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    request, _ = stranger(channel, 1, 501)
    mine = new_contact(mia, first_name="Mia's", last_name="Client")
    hidden = new_contact(carl, first_name="Vera", last_name="Hidden")
    login(client, mia)
    found = client.get(f"/inbox/{request.pk}/client/find/", {"q": "Vera"}).content.decode()
    assert "Vera" not in found  # Carl's client is not offered
    found = client.get(f"/inbox/{request.pk}/client/find/", {"q": "Client"}).content.decode()
    assert "Mia&#x27;s Client" in found or "Mia's Client" in found
    refused = client.post(f"/inbox/{request.pk}/link/", {"contact": hidden.pk})
    assert refused.status_code == 302
    with tenant_scope(admin.tenant_id):
        assert Conversation.objects.get(pk=request.pk).contact_id is None
    api = api_client(mia)
    response = api.post(f"/api/v1/conversations/{request.pk}/link/", {"contact": hidden.pk},
                        format="json")  # fmt: skip
    assert response.status_code == 400
    response = api.post(f"/api/v1/conversations/{request.pk}/link/", {"contact": mine.pk},
                        format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["contact"] == mine.pk and response.json()["assignee"] == mia.user_id


def test_decline_blocks_the_sender_and_their_next_message_is_kept_out_visibly(
    client, workspace, telegram
):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    request, _ = stranger(channel, 1, 501, name="Crypto Gains", phone="+14155550125")
    login(client, owner)
    response = client.post(f"/inbox/{request.pk}/decline/")
    assert response.status_code == 302
    with tenant_scope(tenant):
        declined = Conversation.objects.get(pk=request.pk)
        assert (declined.status, declined.is_spam) == ("closed", True)
        blocked = BlockedSender.objects.get()
        assert (blocked.external_chat_id, blocked.phone) == ("501", "+14155550125")
        assert Event.objects.filter(type="conversation.declined").exists()
    # The same chat writes again: nothing opens, nothing reopens, the delivery says why.
    again, delivery = stranger(channel, 2, 501, name="Crypto Gains", text="Click the link!")
    assert delivery.status == RawDelivery.PROCESSED
    assert "blocked" in delivery.error and "Crypto Gains" in delivery.error
    with tenant_scope(tenant):
        assert again.messages.count() == 1 and again.status == "closed"
    # From another chat, with the blocked phone: kept out too, no conversation.
    other, delivery = stranger(channel, 3, 777, name="Crypto Again", phone="+14155550125")
    assert other is None and "blocked" in delivery.error
    assert "Unsorted" not in client.get("/inbox/list/", {"view": "unsorted"}).content.decode()
    # Admins see and lift the block on Settings → Channels.
    settings_page = client.get(reverse("channels")).content.decode()
    assert "Crypto Gains" in settings_page and 'data-testid="unblock"' in settings_page
    client.post(reverse("sender_unblock", args=[blocked.pk]))
    back, delivery = stranger(channel, 4, 777, name="Crypto Again", phone="+14155550125")
    assert back is not None and delivery.error == ""


def test_a_manager_cannot_act_on_a_colleagues_request(client, team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    request, _ = stranger(channel, 1, 501)
    with tenant_scope(admin.tenant_id):
        Conversation.objects.filter(pk=request.pk).update(assignee=carl.user)
    login(client, mia)
    for action in ("accept", "link", "decline"):
        assert client.post(f"/inbox/{request.pk}/{action}/", {"contact": 1}).status_code == 404
    api = api_client(mia)
    for action in ("accept", "link", "decline"):
        url = f"/api/v1/conversations/{request.pk}/{action}/"
        assert api.post(url, {"contact": 1}, format="json").status_code == 404
    with tenant_scope(admin.tenant_id, mia.user), pytest.raises(unsorted.PermissionDenied):
        unsorted.decline(actor=mia, conversation=request)
    with tenant_scope(admin.tenant_id):
        assert BlockedSender.objects.count() == 0 and Contact.objects.count() == 0


def test_another_workspace_cannot_touch_a_request(client, workspace, other_workspace, telegram):
    (_a, owner_a), (tenant_b, owner_b) = workspace, other_workspace
    channel_b = connect_channel(owner_b, telegram)
    request, _ = stranger(channel_b, 1, 501)
    login(client, owner_a)
    for action in ("accept", "link", "decline"):
        assert client.post(f"/inbox/{request.pk}/{action}/").status_code == 404
    for path in ("client/", "client/find/?q=Lu"):
        assert client.get(f"/inbox/{request.pk}/{path}").status_code == 404
    api = api_client(owner_a)
    for action in ("accept", "link", "decline"):
        url = f"/api/v1/conversations/{request.pk}/{action}/"
        assert api.post(url, {"contact": 1}, format="json").status_code == 404
    with tenant_scope(tenant_b):
        assert not BlockedSender.objects.exists()
        assert Conversation.objects.get(pk=request.pk).contact_id is None


def test_the_api_accepts_and_declines(workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    first, _ = stranger(channel, 1, 501, phone="+14155550126")
    second, _ = stranger(channel, 2, 502, name="Spam Bot", handle="spam")
    api = api_client(owner)
    with tenant_scope(tenant):
        stage = first_stage()
    response = api.post(f"/api/v1/conversations/{first.pk}/accept/",
                        {"last_name": "Brown-Smith", "first_name": "Lucas", "stage": stage.pk,
                         "amount": "250.00"}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["contact"] and body["waiting_since"] and body["first_response_at"] is None
    with tenant_scope(tenant):
        assert Contact.objects.get(pk=body["contact"]).last_name == "Brown-Smith"
        assert Deal.objects.filter(stage=stage, amount=250).count() == 1
    again = api.post(f"/api/v1/conversations/{first.pk}/accept/", {}, format="json")
    assert again.status_code == 400 and "already linked" in again.content.decode()
    bad = api.post(f"/api/v1/conversations/{second.pk}/accept/", {"stage": 999999},
                   format="json")  # fmt: skip
    assert bad.status_code == 400
    declined = api.post(f"/api/v1/conversations/{second.pk}/decline/")
    assert declined.status_code == 200
    assert declined.json()["status"] == "closed" and declined.json()["is_spam"] is True
