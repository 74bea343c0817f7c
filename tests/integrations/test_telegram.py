"""The Telegram channel end to end, against a stand-in Bot API on loopback: connecting it
(setWebhook), the webhook's secret check, ingestion and its idempotency, replies
(sendMessage) and notes."""

import pytest
from django.urls import reverse

from contacts import services as contact_services
from contacts.models import Contact
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from integrations import crypto, ingest
from integrations.channels.telegram import SECRET_HEADER
from integrations.models import Channel, Conversation, Message, RawDelivery
from tests.conftest import add_member, api_client

from .conftest import connect_channel
from .stand_in import BOT_TOKEN, update

pytestmark = pytest.mark.django_db


def hook(channel):
    return reverse("telegram_webhook", args=[channel.webhook_token])


def deliver(client, channel, payload, secret=None, capture=None):
    """POST an update to the channel's webhook as Telegram does; runs the queued ingestion
    (Celery is eager in tests) when `capture` (django_capture_on_commit_callbacks) is given."""
    with tenant_scope(channel.tenant_id):
        secret = channel.secrets["secret_token"] if secret is None else secret
    headers = {SECRET_HEADER: secret} if secret else {}
    if capture is None:
        return client.post(hook(channel), payload, content_type="application/json",
                           headers=headers)  # fmt: skip
    with capture(execute=True):
        return client.post(hook(channel), payload, content_type="application/json",
                           headers=headers)  # fmt: skip


def count(tenant, model, **filters):
    with tenant_scope(tenant):
        return model.objects.filter(**filters).count()


# --- channels ---------------------------------------------------------------------------


def test_creating_a_channel_calls_setwebhook_and_never_returns_the_token(workspace, telegram):
    tenant, owner = workspace
    client = api_client(owner)
    response = client.post(
        "/api/v1/channels/",
        {"kind": "telegram", "name": "Support bot",
         "settings": {"bot_token": BOT_TOKEN, "api_base_url": telegram.url}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "kind", "name", "status"} <= set(body)
    assert (body["kind"], body["name"], body["status"]) == ("telegram", "Support bot", "active")
    assert BOT_TOKEN not in response.content.decode()
    assert body["shown_settings"]["bot_token"] == "123…wxyz"

    [(token, _method, call)] = [c for c in telegram.calls if c[1] == "setWebhook"]
    assert token == BOT_TOKEN
    with tenant_scope(tenant):
        channel = Channel.objects.get(pk=body["id"])
        assert call["secret_token"] == channel.secrets["secret_token"]
        assert call["url"].endswith(f"/integrations/telegram/{channel.webhook_token}/")
        assert call["url"].startswith("http")
        # At rest the token is encrypted: neither it nor the webhook secret is readable.
        assert BOT_TOKEN not in channel.secrets_blob
        assert call["secret_token"] not in channel.secrets_blob
        assert crypto.decrypt(channel.secrets_blob)

    listed = client.get("/api/v1/channels/")
    assert [c["id"] for c in listed.json()["results"]] == [body["id"]]
    assert BOT_TOKEN not in listed.content.decode()
    assert call["secret_token"] not in listed.content.decode()


def test_a_refused_setwebhook_leaves_the_channel_in_error_with_the_reason(workspace, telegram):
    telegram.refuse.add("setWebhook")
    response = api_client(workspace[1]).post(
        "/api/v1/channels/",
        {"kind": "telegram", "name": "Bot",
         "settings": {"bot_token": BOT_TOKEN, "api_base_url": telegram.url}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["status"] == "error"
    assert "Unauthorized" in response.json()["last_error"]
    assert BOT_TOKEN not in response.content.decode()


def test_only_workspace_managers_create_or_list_channels(workspace, telegram):
    tenant, _owner = workspace
    manager = add_member(tenant, "manager")
    client = api_client(manager)
    body = {"kind": "telegram", "name": "Mine",
            "settings": {"bot_token": BOT_TOKEN, "api_base_url": telegram.url}}  # fmt: skip
    assert client.post("/api/v1/channels/", body, format="json").status_code == 403
    assert client.get("/api/v1/channels/").status_code == 403
    assert telegram.calls == [] and count(tenant, Channel) == 0


def test_bad_settings_are_a_400(workspace, telegram):
    client = api_client(workspace[1])
    for settings in ({}, {"bot_token": "has space"},
                     {"bot_token": BOT_TOKEN, "api_base_url": "ftp://x"}):  # fmt: skip
        response = client.post(
            "/api/v1/channels/",
            {"kind": "telegram", "name": "B", "settings": settings},
            format="json",
        )
        assert response.status_code == 400, settings
    unknown = {"kind": "pigeon", "name": "B", "settings": {}}
    assert client.post("/api/v1/channels/", unknown, format="json").status_code == 400
    assert telegram.calls == []


# --- the webhook ------------------------------------------------------------------------


def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    client, channel, django_capture_on_commit_callbacks
):
    missing = deliver(
        client, channel, update(1), secret="", capture=django_capture_on_commit_callbacks
    )
    wrong = deliver(client, channel, update(1), secret="not-the-secret",
                    capture=django_capture_on_commit_callbacks)  # fmt: skip
    assert missing.status_code in (401, 403) and wrong.status_code in (401, 403)
    assert (missing.status_code, wrong.status_code) == (401, 403)
    assert count(channel.tenant_id, RawDelivery) == 0
    assert count(channel.tenant_id, Message) == 0
    assert count(channel.tenant_id, Conversation) == 0


def test_an_unknown_token_is_a_404(client, channel):
    other = channel.webhook_token[:-4] + "abcd"
    response = client.post(reverse("telegram_webhook", args=[other]), update(1),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 404
    garbage = client.post("/integrations/telegram/nonsense/", {}, content_type="application/json")
    assert garbage.status_code == 404


def test_the_right_secret_stores_and_ingests_the_message(
    client, workspace, channel, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    response = deliver(client, channel, update(10, text="Do you ship to Ulaanbaatar?"),
                       capture=django_capture_on_commit_callbacks)  # fmt: skip
    assert response.status_code == 200
    with tenant_scope(tenant):
        delivery = RawDelivery.objects.get()
        assert (delivery.external_id, delivery.status) == ("10", RawDelivery.PROCESSED)
        conversation = Conversation.objects.get()
        assert (conversation.external_chat_id, conversation.unread) == ("4242", 1)
        assert conversation.title == "Ivan"
        message = Message.objects.get()
        assert (message.direction, message.text) == ("in", "Do you ship to Ulaanbaatar?")
        assert message.external_id == "4242:10"
        assert Event.objects.filter(type="message.received", subject_id=conversation.pk).exists()

    api = api_client(owner)
    listed = api.get("/api/v1/conversations/", {"channel": channel.pk}).json()["results"]
    assert [(c["id"], c["status"], c["unread"]) for c in listed] == [(conversation.pk, "open", 1)]
    assert set(listed[0]) >= {"id", "channel", "contact", "status", "assignee",
                              "last_message_at", "unread"}  # fmt: skip
    thread = api.get(f"/api/v1/conversations/{conversation.pk}/messages/").json()["results"]
    assert [(m["direction"], m["text"], m["external_id"]) for m in thread] == [
        ("in", "Do you ship to Ulaanbaatar?", "4242:10")
    ]
    assert {"id", "created_at"} <= set(thread[0])


def test_an_update_delivered_three_times_gives_exactly_one_message(
    client, channel, django_capture_on_commit_callbacks
):
    for _ in range(3):
        response = deliver(client, channel, update(77), capture=django_capture_on_commit_callbacks)
        assert response.status_code == 200
    assert count(channel.tenant_id, RawDelivery) == 1
    assert count(channel.tenant_id, Message) == 1
    with tenant_scope(channel.tenant_id):
        assert Conversation.objects.get().unread == 1


def test_one_message_in_two_deliveries_and_a_second_run_add_nothing(
    client, channel, django_capture_on_commit_callbacks
):
    """Idempotency of the message itself: two update ids carrying one message (a replay),
    and the ingestion task run again on a processed delivery."""
    deliver(client, channel, update(5, message_id=1), capture=django_capture_on_commit_callbacks)
    deliver(client, channel, update(6, message_id=1), capture=django_capture_on_commit_callbacks)
    with tenant_scope(channel.tenant_id):
        for delivery in RawDelivery.objects.all():
            ingest.process(delivery.pk)
        assert RawDelivery.objects.count() == 2
        assert Message.objects.count() == 1


def test_an_unreadable_update_is_kept_as_a_failed_delivery_not_a_500(
    client, channel, django_capture_on_commit_callbacks
):
    broken = {"update_id": 9, "message": {"text": "no chat"}}
    response = deliver(client, channel, broken, capture=django_capture_on_commit_callbacks)
    no_id = deliver(client, channel, {"hello": "world"}, capture=django_capture_on_commit_callbacks)
    assert (response.status_code, no_id.status_code) == (200, 200)
    with tenant_scope(channel.tenant_id):
        statuses = sorted(RawDelivery.objects.values_list("status", flat=True))
        assert statuses == ["failed", "failed"]
        assert all(RawDelivery.objects.values_list("error", flat=True))
        assert Message.objects.count() == 0


def test_the_sender_is_matched_to_a_contact_by_telegram_handle_and_by_phone(
    client, workspace, channel, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        ivan = contact_services.record_create(
            actor=owner, model=Contact, data={"first_name": "Ivan", "telegram": "@Ivan_Client"}
        )
        olga = contact_services.record_create(
            actor=owner, model=Contact, data={"first_name": "Olga", "phones": "+14155550123"}
        )
    deliver(client, channel, update(1, chat_id=1, username="ivan_client"),
            capture=django_capture_on_commit_callbacks)  # fmt: skip
    shared = update(2, chat_id=2, username="", first_name="Olga")
    shared["message"]["contact"] = {"phone_number": "+1 415 555 0123", "user_id": 2}
    deliver(client, channel, shared, capture=django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        linked = dict(Conversation.objects.values_list("external_chat_id", "contact_id"))
    assert linked == {"1": ivan.pk, "2": olga.pk}


# --- replies and notes ------------------------------------------------------------------


def test_a_reply_goes_out_through_sendmessage_and_a_note_never_does(
    client, workspace, channel, telegram, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    deliver(client, channel, update(1, chat_id=555), capture=django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        conversation = Conversation.objects.get()
    api = api_client(owner)
    url = f"/api/v1/conversations/{conversation.pk}/messages/"

    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(url, {"text": "Yes, we do!"}, format="json")
    assert sent.status_code == 201, sent.content
    [call] = telegram.called("sendMessage")
    assert call == {"chat_id": "555", "text": "Yes, we do!"}
    assert sent.json()["direction"] == "out"
    assert sent.json()["external_id"] == "555:1000"

    note = api.post(url, {"text": "VIP, be nice", "direction": "note"}, format="json")
    assert note.status_code == 201 and note.json()["direction"] == "note"
    assert len(telegram.called("sendMessage")) == 1  # the note stayed here

    thread = api.get(url).json()["results"]
    assert [m["direction"] for m in thread] == ["in", "out", "note"]
    with tenant_scope(tenant):
        conversation.refresh_from_db()
        # Whoever answers an unassigned conversation takes it; the answer reads it.
        assert (conversation.assignee_id, conversation.unread) == (owner.user_id, 0)
        assert Event.objects.filter(type="message.sent").count() == 1
    assert api.post(url, {"text": "   "}, format="json").status_code == 400


def test_a_refused_reply_is_a_502_and_stores_nothing(
    client, workspace, channel, telegram, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    deliver(client, channel, update(1), capture=django_capture_on_commit_callbacks)
    telegram.refuse.add("sendMessage")
    with tenant_scope(tenant):
        conversation = Conversation.objects.get()
    response = api_client(owner).post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"text": "Hi"}, format="json"
    )
    assert response.status_code == 502
    assert BOT_TOKEN not in response.content.decode()
    assert count(tenant, Message, direction="out") == 0


def test_a_second_channel_connects_with_its_own_token_and_secret(workspace, telegram):
    first = connect_channel(workspace[1], telegram, "One")
    second = connect_channel(workspace[1], telegram, "Two")
    with tenant_scope(workspace[0]):
        assert first.webhook_token != second.webhook_token
        assert first.secrets["secret_token"] != second.secrets["secret_token"]


def test_nul_characters_and_odd_bodies_never_answer_500(
    client, channel, django_capture_on_commit_callbacks
):
    nul = update(3, text="bad\x00byte")
    nul["message"]["from"]["first_name"] = "Ev\x00e"
    assert (
        deliver(client, channel, nul, capture=django_capture_on_commit_callbacks).status_code == 200
    )
    for body in ([1, 2], "just text", 42):
        response = deliver(client, channel, body, capture=django_capture_on_commit_callbacks)
        assert response.status_code == 200
    with tenant_scope(channel.tenant_id):
        assert Message.objects.get().text == "badbyte"
        assert RawDelivery.objects.filter(status="failed").count() == 3


def test_admins_rename_a_channel_and_change_its_token(workspace, channel, telegram):
    tenant, owner = workspace
    api = api_client(owner)
    url = f"/api/v1/channels/{channel.pk}/"
    renamed = api.patch(url, {"name": "Sales bot"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Sales bot"
    assert len(telegram.called("setWebhook")) == 1  # a new name needs no new webhook

    new_token = "987654321:ZZnewTOKENnewTOKENnewTOKENabcd"
    changed = api.patch(url, {"settings": {"bot_token": new_token}}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["shown_settings"]["bot_token"] == "987…abcd"
    assert new_token not in changed.content.decode()
    assert changed.json()["shown_settings"]["api_base_url"] == telegram.url  # kept
    assert telegram.calls[-1][:2] == (new_token, "setWebhook")
    with tenant_scope(tenant):
        channel.refresh_from_db()
        assert channel.secrets["bot_token"] == new_token
        assert telegram.calls[-1][2]["secret_token"] == channel.secrets["secret_token"]
    bad = api.patch(url, {"settings": {"api_base_url": "gopher://x"}}, format="json")
    assert bad.status_code == 400
    manager = api_client(add_member(tenant, "manager"))
    assert manager.patch(url, {"name": "Mine now"}, format="json").status_code == 403


def test_failed_deliveries_are_retried(
    client, workspace, channel, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    broken = {"update_id": 50, "message": {"text": "no chat"}}
    deliver(client, channel, broken, capture=django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        # As if the reader had been fixed to understand this shape.
        RawDelivery.objects.filter(external_id="50").update(payload=update(50, text="Fixed"))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(owner).post(f"/api/v1/channels/{channel.pk}/retry/")
    assert response.json() == {"retried": 1}
    with tenant_scope(tenant):
        assert RawDelivery.objects.get().status == "processed"
        assert Message.objects.get().text == "Fixed"
