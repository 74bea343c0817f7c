"""The inbox page (list, thread, reply, note, polling fragments) and Settings → Channels."""

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from integrations import ingest, receiver
from integrations.models import Channel, Conversation, Message, RawDelivery
from tests.conftest import add_member, login
from tests.contacts.conftest import new_contact

from .conftest import connect_channel
from .stand_in import BOT_TOKEN, update
from .test_visibility import conversation

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_the_inbox_is_in_the_navigation_with_its_conversations(client, workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram, name="Support bot")
    contact = new_contact(owner, first_name="Ivan", last_name="Petrov")
    linked = conversation(channel, 1, contact=contact, text="Where is my order?")
    conversation(channel, 2, text="Hi there")
    login(client, owner)
    page = client.get(reverse("tasks")).content.decode()
    assert 'href="/inbox/"' in page
    inbox = client.get("/inbox/")
    assert inbox.status_code == 200
    text = inbox.content.decode()
    assert "Ivan Petrov" in text and "Support bot" in text
    assert 'hx-trigger="every 5s"' in text  # the list polls for new conversations

    thread = client.get(f"/inbox/{linked.pk}/").content.decode()
    assert "Where is my order?" in thread
    assert f'href="/contacts/{contact.pk}/"' in thread  # the client's card, one click away
    assert 'hx-trigger="every 3s"' in thread  # the thread polls for new messages
    with tenant_scope(tenant):
        linked.refresh_from_db()
        assert linked.unread == 0  # opening it read it

    fragment = client.get(f"/inbox/{linked.pk}/messages/", headers=HTMX)
    assert fragment.status_code == 200 and "Where is my order?" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    # Polled with the latest message it shows: nothing to swap until another comes.
    with tenant_scope(tenant):
        latest = linked.messages.order_by("-id").first().pk
    poll = f"/inbox/{linked.pk}/messages/?since={latest}"
    assert f'?since={latest}"' in fragment.content.decode()
    assert client.get(poll, headers=HTMX).status_code == 204
    with tenant_scope(tenant):
        ingest.process(receiver.receive(channel, update(9, chat_id=1, text="Hello again")).pk)
    news = client.get(poll, headers=HTMX)
    assert news.status_code == 200 and "Hello again" in news.content.decode()
    listed = client.get("/inbox/list/", {"view": "unassigned"}, headers=HTMX).content.decode()
    assert "Ivan Petrov" in listed and "<html" not in listed


def test_filters_mine_unassigned_and_status(client, workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    mine = conversation(channel, 1, assignee=owner, text="x")
    conversation(channel, 2, text="y")
    with tenant_scope(tenant):
        Conversation.objects.filter(external_chat_id="1").update(title="Mine one")
        Conversation.objects.filter(external_chat_id="2").update(title="Nobodys", status="closed")
    login(client, owner)

    def names(**params):
        body = client.get("/inbox/list/", params).content.decode()
        return {n for n in ("Mine one", "Nobodys") if n in body}

    assert names() == {"Mine one", "Nobodys"}
    assert names(view="mine") == {"Mine one"}
    assert names(view="unassigned") == {"Nobodys"}
    assert names(status="closed") == {"Nobodys"}
    assert names(status="open", view="mine") == {"Mine one"}
    # The polled list asks again with the filters alone, however often it is polled.
    polled = client.get("/inbox/list/", {"view": "mine", "current": mine.pk}).content.decode()
    assert 'hx-get="/inbox/list/?view=mine&amp;current=' in polled
    assert polled.count("current=") == 1
    assert client.get("/inbox/list/", {"view": "bogus", "status": "??"}).status_code == 200


def test_reply_and_note_from_the_thread(client, workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    c = conversation(channel, 777, text="Price?")
    login(client, owner)
    url = reverse("inbox_reply", args=[c.pk])
    page = client.get(reverse("inbox_conversation", args=[c.pk])).content.decode()
    assert 'name="direction" value="out"' in page and "no-written-replies" not in page
    sent = client.post(url, {"text": "100 USD", "direction": "out"}, headers=HTMX)
    assert sent.status_code == 200 and "100 USD" in sent.content.decode()
    assert telegram.called("sendMessage") == [{"chat_id": "777", "text": "100 USD"}]
    note = client.post(url, {"text": "Discount ok", "direction": "note"}, headers=HTMX)
    assert "Discount ok" in note.content.decode()
    assert len(telegram.called("sendMessage")) == 1
    empty = client.post(url, {"text": "", "direction": "out"}, headers=HTMX)
    assert empty.status_code == 200 and "errors" in empty.content.decode()
    telegram.refuse.add("sendMessage")
    refused = client.post(url, {"text": "again", "direction": "out"}, headers=HTMX)
    assert "Telegram refused" in refused.content.decode()
    assert BOT_TOKEN not in refused.content.decode()
    plain = client.post(url, {"text": "no js", "direction": "note"})
    assert plain.status_code == 302
    with tenant_scope(tenant):
        assert list(Message.objects.values_list("direction", flat=True)) == [
            "in", "out", "note", "note"
        ]  # fmt: skip


def test_admins_add_a_channel_on_the_settings_page(client, workspace, telegram):
    tenant, owner = workspace
    login(client, owner)
    page = client.get(reverse("channels"))
    assert page.status_code == 200 and "Add a channel" in page.content.decode()
    response = client.post(
        reverse("channels"),
        {"kind": "telegram", "name": "Sales bot", "bot_token": BOT_TOKEN,
         "api_base_url": telegram.url},
    )  # fmt: skip
    assert response.status_code == 302
    assert len(telegram.called("setWebhook")) == 1
    listing = client.get(reverse("channels")).content.decode()
    assert "Sales bot" in listing and "123…wxyz" in listing and BOT_TOKEN not in listing

    telegram.refuse.add("setWebhook")
    with tenant_scope(tenant):
        channel = Channel.objects.get()
    client.post(reverse("channel_reconnect", args=[channel.pk]))
    listing = client.get(reverse("channels")).content.decode()
    assert "Unauthorized" in listing  # the last error, shown to the admin


def test_managers_cannot_open_the_channels_page(client, workspace):
    manager = add_member(workspace[0], "manager")
    login(client, manager)
    assert client.get(reverse("channels")).status_code == 403
    assert client.get("/inbox/").status_code == 200  # the inbox, though, is theirs


def test_the_webhook_takes_only_posts(client, workspace, telegram):
    channel = connect_channel(workspace[1], telegram)
    url = reverse("telegram_webhook", args=[channel.webhook_token])
    assert client.get(url).status_code == 405


def test_take_snooze_close_and_reopen_from_the_thread(client, workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    c = conversation(channel, 5)
    login(client, owner)
    url = reverse("inbox_update", args=[c.pk])
    assert "Assign to me" in client.get(f"/inbox/{c.pk}/").content.decode()
    for data, expected in (
        ({"assignee": "me"}, ("open", owner.user_id)),
        ({"status": "snoozed"}, ("snoozed", owner.user_id)),
        ({"status": "closed"}, ("closed", owner.user_id)),
        ({"status": "open"}, ("open", owner.user_id)),
    ):
        response = client.post(url, data, headers=HTMX)
        assert response.status_code == 200
        with tenant_scope(tenant):
            c.refresh_from_db()
        assert (c.status, c.assignee_id) == expected
    assert client.post(url, {"status": "bogus"}).status_code == 302


def test_the_channels_page_shows_failed_deliveries_and_retries_them(
    client, workspace, telegram, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    with tenant_scope(tenant):
        receiver.receive(channel, {"update_id": 70, "message": "not an object"})
        for delivery in RawDelivery.objects.all():
            ingest.process(delivery.pk)
    login(client, owner)
    page = client.get(reverse("channels")).content.decode()
    assert "1 failed delivery" in page and "message is not an object" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("channel_retry", args=[channel.pk]))
    assert response.status_code == 302
    with tenant_scope(tenant):
        assert RawDelivery.objects.get().status == "failed"  # still unreadable, tried again
