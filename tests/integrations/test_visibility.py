"""Who sees which conversation (integrations.selectors.conversations_for), and the walls
between workspaces, on the API and the pages."""

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import Contact
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from integrations import ingest, receiver, services
from integrations.models import Conversation, Message
from tests.conftest import api_client, login
from tests.contacts.conftest import new_contact

from .conftest import connect_channel
from .stand_in import update

pytestmark = pytest.mark.django_db


def conversation(channel, chat_id, *, assignee=None, contact=None, text="Hello"):
    """A conversation made the way a real one is: a delivery, ingested; then assigned or
    linked as the test needs."""
    with tenant_scope(channel.tenant_id):
        delivery = receiver.receive(channel, update(chat_id, chat_id=chat_id, text=text,
                                                    username=""))  # fmt: skip
        ingest.process(delivery.pk)
        found = Conversation.objects.get(channel=channel, external_chat_id=str(chat_id))
        Conversation.objects.filter(pk=found.pk).update(
            assignee=getattr(assignee, "user", assignee),
            contact=contact,
        )
        found.refresh_from_db()
        return found


def ids(client, **params):
    response = client.get("/api/v1/conversations/", params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_own_visibility_sees_its_own_unassigned_about_its_clients_and_unknown_senders(
    team, telegram
):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    mias_client = new_contact(mia, first_name="Mia's", last_name="Client")
    carls_client = new_contact(carl, first_name="Carl's", last_name="Client")
    mine = conversation(channel, 1, assignee=mia)
    carls = conversation(channel, 2, assignee=carl)
    about_mias_client = conversation(channel, 3, contact=mias_client)
    about_carls_client = conversation(channel, 4, contact=carls_client)
    unknown = conversation(channel, 5)
    # Assigned to Carl, about Mia's client: Carl's, as a deal is its owner's.
    carls_about_mias = conversation(channel, 6, assignee=carl, contact=mias_client)

    assert ids(api_client(mia)) == {mine.pk, about_mias_client.pk, unknown.pk}
    assert ids(api_client(carl)) == {carls.pk, about_carls_client.pk, unknown.pk,
                                     carls_about_mias.pk}  # fmt: skip
    everything = {mine.pk, carls.pk, about_mias_client.pk, about_carls_client.pk, unknown.pk,
                  carls_about_mias.pk}  # fmt: skip
    assert ids(api_client(admin)) == everything
    assert ids(api_client(mia), assignee="me") == {mine.pk}
    assert ids(api_client(mia), assignee="none") == {about_mias_client.pk, unknown.pk}


def test_a_manager_cannot_read_or_post_into_a_colleagues_conversation(team, telegram, client):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    carls_client = new_contact(carl, first_name="Vera", last_name="Hidden")
    hidden = [
        conversation(channel, 1, assignee=carl, text="Secret price"),
        conversation(channel, 2, contact=carls_client, text="Secret price"),
    ]
    api = api_client(mia)
    assert ids(api) == set()
    for c in hidden:
        url = f"/api/v1/conversations/{c.pk}/"
        assert api.get(url).status_code == 404
        assert api.get(f"{url}messages/").status_code == 404
        for body in ({"text": "Hijack"}, {"text": "Hijack", "direction": "note"}):
            assert api.post(f"{url}messages/", body, format="json").status_code == 404
    assert telegram.called("sendMessage") == []
    with tenant_scope(admin.tenant_id):
        assert Message.objects.exclude(direction="in").count() == 0

    login(client, mia)
    page = client.get("/inbox/").content.decode()
    assert "Secret price" not in page and "Vera" not in page
    for c in hidden:
        assert client.get(f"/inbox/{c.pk}/").status_code == 404
        assert client.get(f"/inbox/{c.pk}/messages/").status_code == 404
        assert client.post(f"/inbox/{c.pk}/reply/", {"text": "Hijack"}).status_code == 404
    assert telegram.called("sendMessage") == []

    # ... and the service itself refuses, whoever found the conversation.
    with tenant_scope(admin.tenant_id, mia.user), pytest.raises(services.PermissionDenied):
        services.note_add(actor=mia, conversation=hidden[0], text="Hijack")


def test_another_workspace_gets_404_on_conversations_messages_and_channels(
    workspace, other_workspace, telegram
):
    (_tenant_a, owner_a), (_tenant_b, owner_b) = workspace, other_workspace
    channel_b = connect_channel(owner_b, telegram)
    conv_b = conversation(channel_b, 9, text="Globex secret")
    api = api_client(owner_a)  # A's admin: the strongest key A has
    for url in (
        f"/api/v1/conversations/{conv_b.pk}/",
        f"/api/v1/conversations/{conv_b.pk}/messages/",
        f"/api/v1/channels/{channel_b.pk}/",
    ):
        assert api.get(url).status_code == 404, url
    post = api.post(f"/api/v1/conversations/{conv_b.pk}/messages/", {"text": "x"}, format="json")
    assert post.status_code == 404
    assert api.post(f"/api/v1/channels/{channel_b.pk}/reconnect/").status_code == 404
    assert ids(api) == set()
    assert api.get("/api/v1/channels/").json()["results"] == []
    assert ids(api, channel=channel_b.pk) == set()
    assert telegram.called("sendMessage") == []


def test_the_conversation_list_reads_in_a_constant_number_of_queries(
    workspace, telegram, django_assert_max_num_queries
):
    _tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    contact = new_contact(owner, first_name="Linked")
    for chat in range(3):
        conversation(channel, chat + 1, contact=contact if chat % 2 else None)
    api = api_client(owner)
    with django_assert_max_num_queries(8) as few:
        assert len(ids(api)) == 3
    for chat in range(3, 30):
        conversation(channel, chat + 1, contact=contact if chat % 2 else None, assignee=owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(api)) == 30
    # The inbox page as well: its list and the visible clients' names.
    page = login(Client(), owner)
    with django_assert_max_num_queries(30) as first:
        assert page.get("/inbox/").status_code == 200
    for chat in range(30, 45):
        conversation(channel, chat + 1, contact=contact)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert page.get("/inbox/").status_code == 200


def test_a_conversation_about_a_deleted_contact_stays(workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    contact = new_contact(owner, first_name="Gone")
    c = conversation(channel, 1, contact=contact)
    with tenant_scope(tenant):
        Contact.objects.filter(pk=contact.pk).delete()
        c.refresh_from_db()
        assert c.contact_id is None


def test_close_reopen_and_assign_through_the_api(team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    c = conversation(channel, 1)
    api = api_client(mia)
    url = f"/api/v1/conversations/{c.pk}/"
    taken = api.patch(url, {"assignee": mia.user_id}, format="json")
    assert taken.status_code == 200 and taken.json()["assignee"] == mia.user_id
    closed = api.patch(url, {"status": "closed"}, format="json")
    assert closed.json()["status"] == "closed"
    assert api.patch(url, {"status": "gone"}, format="json").status_code == 400
    outsider = api.patch(url, {"assignee": 987654}, format="json")
    assert outsider.status_code == 400
    with tenant_scope(admin.tenant_id):
        types = list(
            Event.objects.filter(subject_type="conversation").values_list("type", flat=True)
        )
    assert {"conversation.assigned", "conversation.closed"} <= set(types)

    # Handed to Carl, it leaves Mia's inbox: she can no longer change it.
    assert api.patch(url, {"assignee": carl.user_id}, format="json").status_code == 200
    assert api.patch(url, {"status": "open"}, format="json").status_code == 404
    assert ids(api) == set()
    # The client writing again reopens it, for Carl.
    with tenant_scope(admin.tenant_id):
        ingest.process(receiver.receive(channel, update(2, chat_id=1, username="")).pk)
        c.refresh_from_db()
    assert (c.status, c.assignee_id) == ("open", carl.user_id)


def test_the_unread_badge_counts_only_what_the_member_may_see(team, telegram, client):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    conversation(channel, 1, assignee=mia)
    conversation(channel, 2, assignee=carl)
    conversation(channel, 3, assignee=carl)
    login(client, mia)
    page = client.get("/tasks/").content.decode()
    assert 'hx-get="/inbox/unread/"' in page  # loaded after the page, from the registry
    assert ">1</span>" in client.get("/inbox/unread/").content.decode()
    login(client, carl)
    assert ">2</span>" in client.get("/inbox/unread/").content.decode()
    with tenant_scope(admin.tenant_id):
        Conversation.objects.update(unread=0)
    assert "nav-badge" not in client.get("/inbox/unread/").content.decode()


def test_messages_show_on_the_clients_card_to_those_who_see_the_conversation(
    team, telegram, client
):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    shared = new_contact(admin, first_name="Shared", last_name="Client")
    with tenant_scope(admin.tenant_id):
        Contact.objects.filter(pk=shared.pk).update(owner=mia.user)
    # Linked first, then the client writes: the message names the client.
    found = conversation(channel, 7, contact=shared, assignee=carl, text="first")
    with tenant_scope(channel.tenant_id):
        ingest.process(receiver.receive(channel, update(8, chat_id=7, text="Where is my order?",
                                                        username="")).pk)  # fmt: skip
        event = Event.objects.get(type="message.received", data__text="Where is my order?")
        assert event.related == [["contact", shared.pk]] and event.subject_id == found.pk
        dispatch_pending()
    card = reverse("contact_card", args=[shared.pk])
    assert "Where is my order?" in login(client, admin).get(card).content.decode()
    # Mia owns the client but not Carl's conversation: the card shows her nothing of it.
    page = login(Client(), mia).get(card)
    assert page.status_code == 200 and "Where is my order?" not in page.content.decode()
