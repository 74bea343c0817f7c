"""A VK community's channel end to end, against a stand-in VK API on loopback: the
confirmation handshake, the secret in the body, "ok" to everything else, event_id
idempotency, messages.send with its random_id, and files both ways."""

import json

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from integrations import services
from integrations.channels import File, get
from integrations.models import Attachment, Channel, Conversation, Message, RawDelivery
from tests.conftest import api_client, login

from .meta_stand_in import JPEG
from .vk_stand_in import (
    ACCESS_TOKEN,
    CONFIRMATION,
    GROUP_ID,
    VKStandIn,
    confirmation,
    connect_vk,
    message_new,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def vk_api():
    stand_in = VKStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def channel(workspace, vk_api):
    return connect_vk(workspace[1], vk_api)


def secret_of(channel):
    with tenant_scope(channel.tenant_id):
        return channel.secrets["secret"]


def post(client, channel, payload, capture=None):
    url = reverse("vk_webhook", args=[channel.webhook_token])
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    if capture is None:
        return client.post(url, body, content_type="application/json")
    with capture(execute=True):
        return client.post(url, body, content_type="application/json")


def count(tenant, model, **filters):
    with tenant_scope(tenant):
        return model.objects.filter(**filters).count()


def test_a_vk_channel_is_created_over_the_api_and_shows_what_to_paste(workspace, vk_api):
    tenant, owner = workspace
    response = api_client(owner).post(
        "/api/v1/channels/",
        {"kind": "vk", "name": "VK community",
         "settings": {"access_token": ACCESS_TOKEN, "group_id": GROUP_ID,
                      "confirmation_code": CONFIRMATION, "api_base_url": vk_api.api}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["status"]) == ("vk", "active")
    assert ACCESS_TOKEN not in response.content.decode()
    shown = body["shown_settings"]
    with tenant_scope(tenant):
        channel = Channel.objects.get()
        assert shown["secret"] == channel.secrets["secret"] and len(shown["secret"]) == 32
    assert shown["webhook_url"].endswith(f"/integrations/vk/{channel.webhook_token}/")
    assert (shown["confirmation_code"], shown["group_id"]) == (CONFIRMATION, GROUP_ID)
    [call] = vk_api.called("groups.getById")
    assert (call["group_id"], call["v"], call["access_token"]) == (GROUP_ID, "5.199", ACCESS_TOKEN)
    assert all(ACCESS_TOKEN not in c.path + json.dumps(c.query) for c in vk_api.calls)

    api = api_client(owner)
    refused = api.post("/api/v1/channels/", {"kind": "vk", "name": "x", "settings": {
        "access_token": "vk1.a.wrongwrongwrongwrong", "group_id": GROUP_ID,
        "confirmation_code": CONFIRMATION, "api_base_url": vk_api.api}}, format="json")  # fmt: skip
    assert refused.json()["status"] == "error"
    assert "invalid access_token" in refused.json()["last_error"]
    good = {"access_token": ACCESS_TOKEN, "group_id": GROUP_ID, "confirmation_code": "abc"}
    for bad in (
        {**good, "group_id": "acme"},
        {**good, "confirmation_code": ""},
        {**good, "secret": "not valid!"},
        {**good, "api_base_url": "file:///etc"},
    ):
        response = api.post("/api/v1/channels/", {"kind": "vk", "name": "x", "settings": bad},
                            format="json")  # fmt: skip
        assert response.status_code == 400, bad


def test_the_confirmation_is_answered_with_the_code_and_stores_nothing(client, channel):
    answer = post(client, channel, confirmation(secret_of(channel)))
    assert answer.status_code == 200 and answer.content.decode() == CONFIRMATION
    other_group = {**confirmation(secret_of(channel)), "group_id": 1}
    assert post(client, channel, other_group).status_code == 403
    assert post(client, channel, confirmation()).status_code == 401
    assert post(client, channel, confirmation("wrong")).status_code == 403
    assert count(channel.tenant_id, RawDelivery) == 0


def test_a_missing_or_wrong_secret_stores_nothing(
    client, channel, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert post(client, channel, message_new("e1"), capture).status_code == 401
    assert post(client, channel, message_new("e1", secret="nope"), capture).status_code == 403
    assert post(client, channel, b"not json", capture).status_code == 401
    assert post(client, channel, b"[1, 2]", capture).status_code == 401
    for model in (RawDelivery, Message, Conversation):
        assert count(channel.tenant_id, model) == 0


def test_message_new_is_stored_once_and_answered_ok(
    client, channel, vk_api, django_capture_on_commit_callbacks
):
    capture, secret = django_capture_on_commit_callbacks, secret_of(channel)
    vk_api.people[15150001] = {"first_name": "Ольга", "last_name": "Петрова"}
    for _ in range(3):
        response = post(client, channel, message_new("ev-1", "Есть в наличии?", secret=secret),
                        capture)  # fmt: skip
        assert response.status_code == 200 and response.content == b"ok"
    # The same message under another event id (a replay): still one message.
    post(client, channel, message_new("ev-2", "Есть в наличии?", secret=secret), capture)
    typing = {"type": "message_typing_state", "event_id": "ev-3", "group_id": int(GROUP_ID),
              "object": {"state": "typing", "from_id": 1}, "secret": secret}  # fmt: skip
    assert post(client, channel, typing, capture).content == b"ok"
    with tenant_scope(channel.tenant_id):
        assert Conversation.objects.get().title == "Ольга Петрова"  # users.get
        assert RawDelivery.objects.count() == 3
        assert set(RawDelivery.objects.values_list("status", flat=True)) == {"processed"}
        message = Message.objects.get()
        assert (message.text, message.external_id) == ("Есть в наличии?", "15150001:1")
        assert message.conversation.external_chat_id == "15150001"
        # The secret key checked the sender; it is not kept, unencrypted, in the payload.
        assert all("secret" not in d.payload for d in RawDelivery.objects.all())


def test_bad_payloads_are_failed_deliveries_with_their_reason(
    client, channel, django_capture_on_commit_callbacks
):
    capture, secret = django_capture_on_commit_callbacks, secret_of(channel)
    broken = {"type": "message_new", "event_id": "bad-1", "object": {"text": "old shape"},
              "secret": secret}  # fmt: skip
    no_event = {"type": "message_new", "object": {}, "secret": secret}
    for payload in (broken, no_event):
        response = post(client, channel, payload, capture)
        assert (response.status_code, response.content) == (200, b"ok")
    with tenant_scope(channel.tenant_id):
        rows = list(RawDelivery.objects.values_list("status", "error"))
        assert len(rows) == 2 and all(s == "failed" and e for s, e in rows)
        assert Message.objects.count() == 0


def test_a_reply_goes_out_with_messages_send_and_a_stable_random_id(
    client, workspace, channel, vk_api, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    post(client, channel, message_new("e1", secret=secret_of(channel)),
         django_capture_on_commit_callbacks)  # fmt: skip
    with tenant_scope(tenant):
        conversation = Conversation.objects.get()
    api = api_client(owner)
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    sent = api.post(url, {"text": "Да, есть."}, format="json")
    assert sent.status_code == 201, sent.content
    assert sent.json()["external_id"] == "sent:500"
    [call] = vk_api.called("messages.send")
    assert call["peer_id"] == "15150001" and call["message"] == "Да, есть."
    assert (call["v"], call["access_token"]) == ("5.199", ACCESS_TOKEN)
    assert 0 <= int(call["random_id"]) < 2**31
    # The same reply against the same thread is the same send for VK; once the thread
    # moved on, the same text is a new one.
    adapter = get("vk")
    with tenant_scope(tenant):
        from integrations.channels import Outgoing

        again = Outgoing(chat_id="15150001", text="Да, есть.", conversation=conversation)
        first = adapter.random_id(again)
        assert first == adapter.random_id(again)
        api.post(url, {"text": "Note", "direction": "note"}, format="json")
        assert adapter.random_id(again) != first
    vk_api.refuse.add("messages.send")
    refused = api.post(url, {"text": "Again"}, format="json")
    assert refused.status_code == 502 and ACCESS_TOKEN not in refused.content.decode()


def test_files_in_and_out(
    client, team, vk_api, other_workspace, django_capture_on_commit_callbacks
):
    admin, mia, carl = team
    channel = connect_vk(admin, vk_api)
    vk_api.files["photo_max.jpg"] = JPEG
    vk_api.files["price.pdf"] = b"%PDF-1.4 price"
    photo = {"type": "photo", "photo": {"id": 1, "owner_id": 15150001, "sizes": [
        {"type": "s", "width": 75, "height": 56, "url": f"{vk_api.url}/files/photo_small.jpg"},
        {"type": "x", "width": 604, "height": 453, "url": f"{vk_api.url}/files/photo_max.jpg"},
    ]}}  # fmt: skip
    doc = {"type": "doc", "doc": {"id": 2, "title": "price.pdf", "ext": "pdf",
                                  "url": f"{vk_api.url}/files/price.pdf"}}  # fmt: skip
    post(client, channel, message_new("e1", "", secret=secret_of(channel),
                                      attachments=[photo, doc]),
         django_capture_on_commit_callbacks)  # fmt: skip
    with tenant_scope(admin.tenant_id):
        files = {a.name: a for a in Attachment.objects.all()}
        assert set(files) == {"photo.jpg", "price.pdf"}
        assert files["photo.jpg"].size == len(JPEG)
        conversation = Conversation.objects.get()
        Conversation.objects.filter(pk=conversation.pk).update(assignee=carl.user)
    url = reverse("inbox_attachment", args=[files["price.pdf"].pk])
    login(client, carl)
    assert client.get(url).status_code == 200
    login(client, mia)
    assert client.get(url).status_code == 404
    login(client, other_workspace[1])
    assert client.get(url).status_code == 404

    with tenant_scope(admin.tenant_id, admin.user):
        message = services.reply_send(
            actor=admin, conversation=conversation, text="The offer",
            files=(File("offer.pdf", "application/pdf", b"%PDF offer"),),
        )  # fmt: skip
    [server] = vk_api.called("docs.getMessagesUploadServer")
    assert (server["type"], server["peer_id"]) == ("doc", "15150001")
    [upload] = [c for c in vk_api.calls if c.path == "/upload/doc"]
    assert upload.files["file"] == ("offer.pdf", "application/pdf", b"%PDF offer")
    [saved] = vk_api.called("docs.save")
    assert saved["file"] == "uploaded|offer.pdf"
    [sent] = vk_api.called("messages.send")
    assert sent["attachment"] == f"doc-{GROUP_ID}_500" and sent["message"] == "The offer"
    assert message.external_id == "sent:501"
