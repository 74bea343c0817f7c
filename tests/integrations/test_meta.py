"""WhatsApp Cloud API, Messenger and Instagram end to end, against a stand-in Graph API on
loopback: connecting, the hub.challenge handshake, the X-Hub-Signature-256 check, batched
deliveries and their idempotency, status reports, media in and out, and who may download
a conversation's files."""

import json

import pytest
from django.urls import reverse

from contacts.models import Contact
from crm.tenancy.context import tenant_scope
from integrations import ingest, receiver, services
from integrations.channels import File
from integrations.channels.meta import SIGNATURE_HEADER
from integrations.models import Attachment, Channel, Conversation, Message, RawDelivery
from tests.conftest import api_client, login
from tests.contacts.conftest import new_contact

from .meta_stand_in import (
    ACCESS_TOKEN,
    APP_SECRET,
    JPEG,
    PAGE_ID,
    PHONE_NUMBER_ID,
    GraphStandIn,
    connect_meta,
    messenger_delivery,
    messenger_message,
    sign,
    whatsapp_delivery,
    whatsapp_status,
    whatsapp_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def graph():
    stand_in = GraphStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def whatsapp(workspace, graph):
    return connect_meta(workspace[1], graph, "whatsapp")


def hook(channel):
    return reverse(f"{channel.kind}_webhook", args=[channel.webhook_token])


def post(client, channel, payload, *, signature=None, capture=None, raw=None):
    """POST a delivery as Meta does: the raw body signed with the app secret (or the
    `signature` given; "" sends none). Ingestion runs when `capture` is given."""
    body = raw if raw is not None else json.dumps(payload).encode()
    signature = sign(body) if signature is None else signature
    headers = {SIGNATURE_HEADER: signature} if signature else {}

    def send():
        return client.post(hook(channel), body, content_type="application/json", headers=headers)

    if capture is None:
        return send()
    with capture(execute=True):
        return send()


def count(tenant, model, **filters):
    with tenant_scope(tenant):
        return model.objects.filter(**filters).count()


# --- channels ---------------------------------------------------------------------------


def test_a_whatsapp_channel_is_created_over_the_api_and_shows_what_to_paste(workspace, graph):
    tenant, owner = workspace
    response = api_client(owner).post(
        "/api/v1/channels/",
        {"kind": "whatsapp", "name": "WhatsApp sales",
         "settings": {"access_token": ACCESS_TOKEN, "app_secret": APP_SECRET,
                      "phone_number_id": PHONE_NUMBER_ID, "graph_api_base_url": graph.url}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["name"], body["status"]) == ("whatsapp", "WhatsApp sales", "active")
    text = response.content.decode()
    assert ACCESS_TOKEN not in text and APP_SECRET not in text
    shown = body["shown_settings"]
    assert shown["access_token"] == "EAA…1234" and shown["app_secret"] == "5f4…cf99"
    with tenant_scope(tenant):
        channel = Channel.objects.get()
        assert shown["verify_token"] == channel.secrets["verify_token"]
        assert shown["webhook_url"].endswith(f"/integrations/whatsapp/{channel.webhook_token}/")
        assert channel.secrets["verify_token"] not in channel.secrets_blob  # encrypted
    # Connecting checked the token and the number at the Graph API, the token in a header.
    [call] = graph.calls
    assert (call.method, call.path) == ("GET", f"/{PHONE_NUMBER_ID}")
    assert call.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert ACCESS_TOKEN not in call.path + json.dumps(call.query)


def test_messenger_and_instagram_subscribe_the_page(workspace, graph):
    api = api_client(workspace[1])
    for kind in ("messenger", "instagram"):
        response = api.post(
            "/api/v1/channels/",
            {"kind": kind, "name": kind, "settings": {"access_token": ACCESS_TOKEN,
             "app_secret": APP_SECRET, "page_id": PAGE_ID, "graph_api_base_url": graph.url}},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "active"
        assert f"/integrations/{kind}/" in response.json()["shown_settings"]["webhook_url"]
    calls = graph.sent("subscribed_apps")
    assert [c.path for c in calls] == [f"/{PAGE_ID}/subscribed_apps"] * 2
    assert "messages" in calls[0].body["subscribed_fields"].split(",")


def test_a_refused_token_leaves_the_channel_in_error_and_bad_settings_are_a_400(
    workspace,
    graph,
):
    api = api_client(workspace[1])
    good = {"access_token": "EAAwrongTokenWrongToken", "app_secret": APP_SECRET,
            "phone_number_id": PHONE_NUMBER_ID, "graph_api_base_url": graph.url}  # fmt: skip
    refused = api.post("/api/v1/channels/", {"kind": "whatsapp", "name": "W", "settings": good},
                       format="json")  # fmt: skip
    assert refused.json()["status"] == "error"
    assert "Invalid OAuth access token" in refused.json()["last_error"]
    for bad in (
        {**good, "app_secret": ""},
        {**good, "phone_number_id": "+1 555"},
        {**good, "graph_api_base_url": "ftp://x"},
        {**good, "verify_token": "a b"},
    ):
        response = api.post("/api/v1/channels/", {"kind": "whatsapp", "name": "W",
                                                  "settings": bad}, format="json")  # fmt: skip
        assert response.status_code == 400, bad


def test_changing_the_token_keeps_the_verify_token_meta_already_has(workspace, whatsapp, graph):
    tenant, owner = workspace
    with tenant_scope(tenant):
        verify = whatsapp.secrets["verify_token"]
    changed = api_client(owner).patch(
        f"/api/v1/channels/{whatsapp.pk}/",
        {"settings": {"access_token": ACCESS_TOKEN, "app_secret": "a" * 32}},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["shown_settings"]["verify_token"] == verify


# --- the handshake and the signature ----------------------------------------------------


def test_the_hub_challenge_handshake(client, whatsapp):
    with tenant_scope(whatsapp.tenant_id):
        verify = whatsapp.secrets["verify_token"]
    url = hook(whatsapp)
    ok = client.get(url, {"hub.mode": "subscribe", "hub.verify_token": verify,
                          "hub.challenge": "1158201444"})  # fmt: skip
    assert ok.status_code == 200
    assert ok.content == b"1158201444" and ok["Content-Type"].startswith("text/plain")
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": verify, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ):
        assert client.get(url, params).status_code == 403, params
    assert count(whatsapp.tenant_id, RawDelivery) == 0


def test_a_missing_or_wrong_signature_stores_nothing(
    client, whatsapp, django_capture_on_commit_callbacks
):
    payload = whatsapp_delivery(whatsapp_text("wamid.A"))
    body = json.dumps(payload).encode()
    capture = django_capture_on_commit_callbacks
    missing = post(client, whatsapp, payload, signature="", capture=capture)
    wrong = post(client, whatsapp, payload, signature=sign(body, "another-secret"), capture=capture)
    tampered = post(client, whatsapp, None, raw=body.replace(b"Hello", b"Hullo"),
                    signature=sign(body), capture=capture)  # fmt: skip
    odd = post(client, whatsapp, payload, signature="md5=abc", capture=capture)
    assert (missing.status_code, wrong.status_code, tampered.status_code) == (401, 403, 403)
    assert odd.status_code == 403
    for model in (RawDelivery, Message, Conversation):
        assert count(whatsapp.tenant_id, model) == 0


# --- deliveries -------------------------------------------------------------------------


def test_a_batched_delivery_gives_exactly_its_messages(
    client, workspace, whatsapp, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    known = new_contact(owner, first_name="Kerry", phones="+1 415 555 0123")
    payload = whatsapp_delivery(
        whatsapp_text("wamid.1", "Do you deliver to Oakland?"),
        whatsapp_text("wamid.2", "And on Sundays?", timestamp=1767225660),
        whatsapp_text("wamid.3", "Hi, it's Dana", wa_id="447700900123"),
        contacts=[{"profile": {"name": "Kerry Fisher"}, "wa_id": "14155550123"},
                  {"profile": {"name": "Dana Scully"}, "wa_id": "447700900123"}],
    )  # fmt: skip
    # A second entry in the same delivery, as Meta batches them.
    payload["entry"].append(
        whatsapp_delivery(whatsapp_text("wamid.4", "Also: invoices?"))["entry"][0]
    )
    response = post(client, whatsapp, payload, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    with tenant_scope(tenant):
        delivery = RawDelivery.objects.get()
        assert delivery.status == RawDelivery.PROCESSED and delivery.external_id.startswith(
            "sha256:"
        )
        ordered = Message.objects.order_by("created_at", "external_id")
        rows = list(ordered.values_list("external_id", "text", "conversation__external_chat_id"))
        assert rows == [
            ("wamid.1", "Do you deliver to Oakland?", "14155550123"),
            ("wamid.3", "Hi, it's Dana", "447700900123"),
            ("wamid.4", "Also: invoices?", "14155550123"),
            ("wamid.2", "And on Sundays?", "14155550123"),
        ]
        conversations = {c.external_chat_id: c for c in Conversation.objects.all()}
        kerry, dana = conversations["14155550123"], conversations["447700900123"]
        assert (kerry.title, kerry.contact_id, kerry.unread) == ("Kerry Fisher", known.pk, 3)
        assert (dana.title, dana.contact_id, dana.unread) == ("Dana Scully", None, 1)


def test_a_re_sent_delivery_adds_nothing_and_a_re_batched_one_only_what_is_new(
    client, whatsapp, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = whatsapp_delivery(whatsapp_text("wamid.1", "One"), whatsapp_text("wamid.2", "Two"))
    for _ in range(3):
        assert post(client, whatsapp, first, capture=capture).status_code == 200
    assert count(whatsapp.tenant_id, RawDelivery) == 1
    assert count(whatsapp.tenant_id, Message) == 2
    # The same key order or another: the same canonical body, the same delivery.
    reordered = json.loads(json.dumps(first))
    reordered = {"entry": reordered["entry"], "object": reordered["object"]}
    assert post(client, whatsapp, reordered, capture=capture).status_code == 200
    assert count(whatsapp.tenant_id, RawDelivery) == 1
    # Batched otherwise (one message again, one new): a new delivery, one new message.
    other = whatsapp_delivery(whatsapp_text("wamid.2", "Two"), whatsapp_text("wamid.3", "Three"))
    post(client, whatsapp, other, capture=capture)
    assert count(whatsapp.tenant_id, RawDelivery) == 2
    with tenant_scope(whatsapp.tenant_id):
        texts = sorted(Message.objects.values_list("text", flat=True))
        assert texts == ["One", "Three", "Two"]
        assert Conversation.objects.get().unread == 3


def test_a_message_of_a_type_the_inbox_cannot_show_is_kept_and_said_so(
    client, workspace, whatsapp, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    shared = {"from": "14155550123", "id": "wamid.c", "timestamp": "1767225600",
              "type": "contacts", "contacts": [{"name": {"formatted_name": "Bo"}}]}  # fmt: skip
    post(client, whatsapp, whatsapp_delivery(shared), capture=django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        conversation = Conversation.objects.get()
    login(client, owner)
    thread = client.get(f"/inbox/{conversation.pk}/").content.decode()
    assert 'data-testid="entry-type"' in thread and "contacts" in thread


def test_bad_payloads_are_failed_deliveries_with_their_reason(
    client, whatsapp, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    no_id = whatsapp_delivery({"from": "14155550123", "type": "text", "text": {"body": "x"}})
    wrong_object = {"object": "page", "entry": [{"id": "1", "messaging": []}]}
    no_media = whatsapp_delivery({"from": "14155550123", "id": "wamid.9", "type": "image",
                                  "image": {"mime_type": "image/jpeg"}})  # fmt: skip
    for payload in (no_id, wrong_object, no_media, {"hello": "world"}, [1, 2]):
        assert post(client, whatsapp, payload, capture=capture).status_code == 200
    assert post(client, whatsapp, None, raw=b"not json {", capture=capture).status_code == 200
    with tenant_scope(whatsapp.tenant_id):
        failed = list(RawDelivery.objects.values_list("status", "error"))
        assert len(failed) == 6 and all(s == "failed" and e for s, e in failed)
        errors = " ".join(e for _s, e in failed)
        assert "without an id" in errors and "'page'" in errors and "media id" in errors
        assert Message.objects.count() == 0


# --- statuses ---------------------------------------------------------------------------


def test_status_reports_apply_forward_only_and_show_in_the_thread(
    client,
    workspace,
    whatsapp,
    graph,
    django_capture_on_commit_callbacks,
):
    tenant, owner = workspace
    capture = django_capture_on_commit_callbacks
    post(client, whatsapp, whatsapp_delivery(whatsapp_text("wamid.in")), capture=capture)
    with tenant_scope(tenant):
        conversation = Conversation.objects.get()
    api = api_client(owner)
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    sent = api.post(url, {"text": "Yes, on Sundays too."}, format="json")
    assert sent.status_code == 201, sent.content
    [call] = graph.sent()
    assert call.path == f"/{PHONE_NUMBER_ID}/messages"
    assert call.body == {"messaging_product": "whatsapp", "recipient_type": "individual",
                         "to": "14155550123", "type": "text",
                         "text": {"body": "Yes, on Sundays too."}}  # fmt: skip
    wamid = sent.json()["external_id"]
    assert wamid.startswith("wamid.out.")
    other = api.post(url, {"text": "Second"}, format="json").json()["external_id"]

    reports = whatsapp_delivery(statuses=[whatsapp_status(wamid, "delivered"),
                                          whatsapp_status(wamid, "read")])  # fmt: skip
    post(client, whatsapp, reports, capture=capture)
    late = whatsapp_delivery(statuses=[whatsapp_status(wamid, "delivered"),
                                       whatsapp_status("wamid.unknown", "read")])  # fmt: skip
    post(client, whatsapp, late, capture=capture)
    failed = whatsapp_delivery(statuses=[whatsapp_status(other, "failed", errors=[
        {"code": 131047, "title": "Re-engagement message"}])])  # fmt: skip
    post(client, whatsapp, failed, capture=capture)
    with tenant_scope(tenant):
        first, second = Message.objects.filter(direction="out").order_by("pk")
        assert first.status == "read"  # the late "delivered" did not take it back
        assert (second.status, second.meta["error"]) == ("failed", "Re-engagement message")
        assert RawDelivery.objects.filter(status="processed").count() == 4

    login(client, owner)
    thread = client.get(f"/inbox/{conversation.pk}/").content.decode()
    assert 'data-testid="delivery-status">Read<' in thread
    assert 'data-testid="delivery-status">Not delivered<' in thread
    assert 'data-testid="delivery-error">Re-engagement message<' in thread


# --- media ------------------------------------------------------------------------------


def _image_message(wamid="wamid.img", media_id="media-1"):
    return {"from": "14155550123", "id": wamid, "timestamp": "1767225600", "type": "image",
            "image": {"caption": "The broken part", "mime_type": "image/jpeg",
                      "sha256": "x", "id": media_id}}  # fmt: skip


def test_media_is_fetched_through_the_graph_api_and_downloadable_by_those_who_see_it(
    client,
    team,
    graph,
    other_workspace,
    django_capture_on_commit_callbacks,
):
    admin, mia, carl = team
    channel = connect_meta(admin, graph, "whatsapp")
    graph.media["media-1"] = ("image/jpeg", JPEG)
    graph.media["media-2"] = ("application/pdf", b"%PDF-1.4 invoice")
    document = {"from": "14155550123", "id": "wamid.doc", "timestamp": "1767225601",
                "type": "document", "document": {"filename": "invoice.pdf",
                "mime_type": "application/pdf", "id": "media-2"}}  # fmt: skip
    post(client, channel, whatsapp_delivery(_image_message(), document),
         capture=django_capture_on_commit_callbacks)  # fmt: skip
    with tenant_scope(admin.tenant_id):
        photo, pdf = Attachment.objects.order_by("message__created_at")
        assert (photo.name, photo.content_type, photo.size) == (
            "image.jpg",
            "image/jpeg",
            len(JPEG),
        )
        assert (pdf.name, pdf.content_type) == ("invoice.pdf", "application/pdf")
        assert photo.message.text == "The broken part"
        conversation = Conversation.objects.get()
        Conversation.objects.filter(pk=conversation.pk).update(assignee=carl.user)
    downloads = [c for c in graph.calls if c.path.startswith("/download/")]
    assert all(c.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}" for c in downloads)

    url = reverse("inbox_attachment", args=[photo.pk])
    login(client, carl)
    got = client.get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == JPEG
    login(client, mia)  # own visibility: Carl's conversation is not hers
    assert client.get(url).status_code == 404
    login(client, other_workspace[1])  # another workspace's admin
    assert client.get(url).status_code == 404
    login(client, admin)
    assert client.get(reverse("inbox_attachment", args=[pdf.pk])).status_code == 200
    thread = client.get(f"/inbox/{conversation.pk}/").content.decode()
    assert "invoice.pdf" in thread and url in thread


def test_media_that_cannot_be_had_fails_the_delivery_until_retried(
    client,
    workspace,
    whatsapp,
    graph,
    settings,
    django_capture_on_commit_callbacks,
):
    tenant, owner = workspace
    capture = django_capture_on_commit_callbacks
    post(client, whatsapp, whatsapp_delivery(_image_message()), capture=capture)
    settings.INBOX_MAX_FILE_BYTES = 100
    graph.media["media-big"] = ("image/jpeg", JPEG)
    post(client, whatsapp, whatsapp_delivery(_image_message("wamid.big", "media-big")),
         capture=capture)  # fmt: skip
    with tenant_scope(tenant):
        assert set(RawDelivery.objects.values_list("status", flat=True)) == {"failed"}
        assert Message.objects.count() == 0
        reasons = list(RawDelivery.objects.order_by("pk").values_list("error", flat=True))
        assert "no address for the file" in reasons[0]
        assert "more than the limit" in reasons[1]
        assert ACCESS_TOKEN not in " ".join(reasons)
    settings.INBOX_MAX_FILE_BYTES = 10_000_000
    graph.media["media-1"] = ("image/jpeg", JPEG)
    with capture(execute=True), tenant_scope(tenant, owner.user):
        assert services.deliveries_retry(actor=owner, channel=whatsapp) == 2
    with tenant_scope(tenant):
        assert set(RawDelivery.objects.values_list("status", flat=True)) == {"processed"}
        assert Attachment.objects.count() == 2


def test_files_go_out_uploaded_then_sent_by_media_id(
    client,
    workspace,
    whatsapp,
    graph,
    django_capture_on_commit_callbacks,
):
    tenant, owner = workspace
    post(client, whatsapp, whatsapp_delivery(whatsapp_text("wamid.in")),
         capture=django_capture_on_commit_callbacks)  # fmt: skip
    with tenant_scope(tenant, owner.user):
        conversation = Conversation.objects.get()
        message = services.reply_send(
            actor=owner, conversation=conversation, text="Here is the photo and the offer",
            files=(File("part.jpg", "image/jpeg", JPEG),
                   File("offer.pdf", "application/pdf", b"%PDF-1.4 offer")),
        )  # fmt: skip
        assert message.attachments.count() == 2
    uploads = graph.sent("media")
    assert [(c.body["messaging_product"], c.body["type"]) for c in uploads] == [
        ("whatsapp", "image/jpeg"), ("whatsapp", "application/pdf")]  # fmt: skip
    assert uploads[0].files["file"] == ("part.jpg", "image/jpeg", JPEG)
    assert uploads[1].files["file"][2] == b"%PDF-1.4 offer"
    image, document = (c.body for c in graph.sent())
    assert image["type"] == "image" and image["to"] == "14155550123"
    assert image["image"] == {"id": "out-media-1", "caption": "Here is the photo and the offer"}
    assert document["document"] == {"id": "out-media-3", "filename": "offer.pdf"}
    assert message.external_id == "wamid.out.2"  # the first message's: its statuses are ours


# --- Messenger and Instagram ------------------------------------------------------------


def test_messenger_delivery_with_an_attachment_an_echo_and_delivery_reports(
    client,
    workspace,
    graph,
    django_capture_on_commit_callbacks,
):
    tenant, owner = workspace
    capture = django_capture_on_commit_callbacks
    channel = connect_meta(owner, graph, "messenger")
    graph.cdn["photo_123.jpg"] = JPEG
    photo = [{"type": "image", "payload": {"url": f"{graph.url}/cdn/photo_123.jpg"}}]
    echo = messenger_message("m_echo", "sent from the page")
    echo["message"]["is_echo"] = True
    payload = messenger_delivery(
        messenger_message("m_1", "Is this in stock?"),
        messenger_message("m_2", "", attachments=photo, timestamp=1767225601000),
        echo,
    )
    assert post(client, channel, payload, capture=capture).status_code == 200
    with tenant_scope(tenant):
        ordered = Message.objects.order_by("created_at")
        assert list(ordered.values_list("external_id", flat=True)) == ["m_1", "m_2"]
        attachment = Attachment.objects.get()
        assert (attachment.name, attachment.content_type, attachment.size) == (
            "photo_123.jpg", "image/jpeg", len(JPEG))  # fmt: skip
        conversation = Conversation.objects.get()
        assert conversation.external_chat_id == "6543210987654321"
    cdn = [c for c in graph.calls if c.path.startswith("/cdn/")]
    assert cdn and "Authorization" not in cdn[0].headers  # a CDN link gets no token

    with tenant_scope(tenant, owner.user):
        card = File("card.pdf", "application/pdf", b"%PDF")
        sent = services.reply_send(
            actor=owner, conversation=conversation, text="Yes!", files=(card,)
        )
    text_call, file_call = graph.sent()
    assert text_call.path == f"/{PAGE_ID}/messages"
    assert text_call.body == {
        "recipient": {"id": "6543210987654321"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Yes!"},
    }
    assert json.loads(file_call.body["message"]) == {
        "attachment": {"type": "file", "payload": {"is_reusable": False}}}  # fmt: skip
    assert file_call.files["filedata"] == ("card.pdf", "application/pdf", b"%PDF")
    delivered = {"mids": [sent.external_id], "watermark": 1}
    reports = messenger_delivery(
        {"sender": {"id": "6543210987654321"}, "recipient": {"id": PAGE_ID}, "delivery": delivered}
    )
    post(client, channel, reports, capture=capture)
    with tenant_scope(tenant):
        sent.refresh_from_db()
        assert sent.status == "delivered"


def test_instagram_reads_its_own_object_and_refuses_files_with_a_reason(
    client,
    workspace,
    graph,
    django_capture_on_commit_callbacks,
):
    tenant, owner = workspace
    capture = django_capture_on_commit_callbacks
    channel = connect_meta(owner, graph, "instagram")
    payload = messenger_delivery(messenger_message("ig_1", "Price?"), object_="instagram")
    post(client, channel, payload, capture=capture)
    as_page = messenger_delivery(messenger_message("ig_2", "x"), object_="page")
    post(client, channel, as_page, capture=capture)
    with tenant_scope(tenant):
        assert list(Message.objects.values_list("external_id", flat=True)) == ["ig_1"]
        assert RawDelivery.objects.filter(status="failed").count() == 1
        conversation = Conversation.objects.get()
    api = api_client(owner)
    url = f"/api/v1/conversations/{conversation.pk}/messages/"
    sent = api.post(url, {"text": "10 USD"}, format="json")
    assert sent.status_code == 201
    read = messenger_delivery({"sender": {"id": "6543210987654321"}, "recipient": {"id": PAGE_ID},
                               "read": {"mid": sent.json()["external_id"]}},
                              object_="instagram")  # fmt: skip
    post(client, channel, read, capture=capture)
    with tenant_scope(tenant, owner.user):
        assert Message.objects.get(direction="out").status == "read"
        with pytest.raises(services.ChannelError, match="public links"):
            services.reply_send(actor=owner, conversation=conversation, text="",
                                files=(File("a.pdf", "application/pdf", b"%PDF"),))  # fmt: skip


# --- walls ------------------------------------------------------------------------------


def test_another_workspaces_channel_is_out_of_reach(
    client,
    workspace,
    other_workspace,
    graph,
):
    channel_b = connect_meta(other_workspace[1], graph, "whatsapp")
    with tenant_scope(other_workspace[0]):
        verify = channel_b.secrets["verify_token"]
    api = api_client(workspace[1])
    assert api.get(f"/api/v1/channels/{channel_b.pk}/").status_code == 404
    assert verify not in api.get("/api/v1/channels/").content.decode()
    # A token naming workspace A with B's random part finds nothing.
    forged = f"{workspace[0].pk}_{channel_b.webhook_token.partition('_')[2]}"
    url = reverse("whatsapp_webhook", args=[forged])
    params = {"hub.mode": "subscribe", "hub.verify_token": verify, "hub.challenge": "1"}
    assert client.get(url, params).status_code == 404
    # ... and a Telegram route does not take a WhatsApp channel's token.
    assert client.get(reverse("telegram_webhook", args=[channel_b.webhook_token]),
                      params).status_code == 404  # fmt: skip


def test_the_ingest_of_a_delivery_runs_again_without_doubling(whatsapp):
    with tenant_scope(whatsapp.tenant_id):
        delivery = receiver.receive(whatsapp, whatsapp_delivery(whatsapp_text("wamid.x")))
        ingest.process(delivery.pk)
        RawDelivery.objects.filter(pk=delivery.pk).update(status="received")
        ingest.process(delivery.pk)
        assert Message.objects.count() == 1 and Contact.objects.count() == 0


def test_a_messenger_or_instagram_sender_is_named_from_their_profile(
    client, workspace, graph, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    capture = django_capture_on_commit_callbacks
    messenger = connect_meta(owner, graph, "messenger")
    instagram = connect_meta(owner, graph, "instagram")
    graph.profiles["6543210987654321"] = {"first_name": "Anna", "last_name": "Smith"}
    graph.profiles["1789"] = {"name": "", "username": "grey.shop.fan"}
    post(client, messenger, messenger_delivery(messenger_message("m_1")), capture=capture)
    post(client, messenger, messenger_delivery(messenger_message("m_2")), capture=capture)
    ig = messenger_delivery(messenger_message("ig_1", psid="1789"), object_="instagram")
    post(client, instagram, ig, capture=capture)
    unknown = messenger_delivery(messenger_message("m_3", psid="404"))
    graph.refuse.add("404")  # the profile lookup is refused
    post(client, messenger, unknown, capture=capture)
    with tenant_scope(tenant):
        titles = dict(Conversation.objects.values_list("external_chat_id", "title"))
        assert titles == {"6543210987654321": "Anna Smith", "1789": "grey.shop.fan", "404": ""}
        assert Message.objects.count() == 4  # a failed lookup fails nothing
    lookups = [c for c in graph.calls if c.method == "GET" and c.path == "/6543210987654321"]
    assert len(lookups) == 1  # asked once: the conversation has its title
    assert lookups[0].query == {"fields": "first_name,last_name"}


def test_a_refused_reply_is_a_502_and_stores_nothing(
    client, workspace, whatsapp, graph, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    post(client, whatsapp, whatsapp_delivery(whatsapp_text("wamid.in")),
         capture=django_capture_on_commit_callbacks)  # fmt: skip
    with tenant_scope(tenant):
        conversation = Conversation.objects.get()
    graph.refuse.add("messages")
    response = api_client(owner).post(
        f"/api/v1/conversations/{conversation.pk}/messages/", {"text": "Hi"}, format="json"
    )
    assert response.status_code == 502
    assert "Invalid OAuth access token" in response.content.decode()
    assert ACCESS_TOKEN not in response.content.decode()
    assert count(tenant, Message, direction="out") == 0
