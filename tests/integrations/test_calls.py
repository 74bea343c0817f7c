"""Telephony end to end, against a stand-in of the providers' APIs on loopback: Twilio's
and Zadarma's webhooks and signatures (and the JSON one for any PBX), one thread entry per
call updated as its events arrive, missed calls' call-back tasks (once, however often the
events come), recordings kept in our storage, call.missed / call.ended, click-to-call, and
who sees what."""

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from contacts.models import Contact
from crm.activity.models import Event, Task
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from integrations import ingest, services
from integrations.channels import pbx, twilio, zadarma
from integrations.models import Attachment, Channel, Conversation, Message, RawDelivery
from tests.conftest import add_member, api_client, login, make_user
from tests.contacts.conftest import new_contact

from .calls_stand_in import (
    AUDIO,
    TWILIO_NUMBER,
    TWILIO_SID,
    TWILIO_TOKEN,
    ZADARMA_KEY,
    ZADARMA_SECRET,
    PhoneStandIn,
)

pytestmark = pytest.mark.django_db

CLIENT = "+14155550123"


@pytest.fixture
def phone():
    stand_in = PhoneStandIn().start()
    yield stand_in
    stand_in.stop()


def twilio_channel(owner, phone, name="Office line", **extra) -> Channel:
    with tenant_scope(owner.tenant_id, owner.user):
        return services.channel_create(
            actor=owner,
            kind="twilio",
            name=name,
            raw_settings={
                "account_sid": TWILIO_SID,
                "auth_token": TWILIO_TOKEN,
                "phone_number": TWILIO_NUMBER,
                "api_base_url": phone.url,
                **extra,
            },
        )


def zadarma_channel(owner, phone, **extra) -> Channel:
    with tenant_scope(owner.tenant_id, owner.user):
        return services.channel_create(
            actor=owner,
            kind="zadarma",
            name="Zadarma PBX",
            raw_settings={
                "api_key": ZADARMA_KEY,
                "api_secret": ZADARMA_SECRET,
                "api_base_url": phone.url,
                **extra,
            },
        )


def pbx_channel(owner, phone, **extra) -> Channel:
    with tenant_scope(owner.tenant_id, owner.user):
        return services.channel_create(
            actor=owner,
            kind="pbx",
            name="Asterisk",
            raw_settings={
                "signing_secret": "pbx-signing-secret-0123",
                "recordings_base_url": f"{phone.url}/files",
                **extra,
            },
        )


def hook(channel):
    return reverse(f"{channel.kind}_webhook", args=[channel.webhook_token])


def twilio_params(sid="CA0001", status="ringing", *, caller=CLIENT, direction="inbound", **more):
    return {
        "AccountSid": TWILIO_SID,
        "CallSid": sid,
        "CallStatus": status,
        "From": caller,
        "To": TWILIO_NUMBER,
        "Direction": direction,
        "ApiVersion": "2010-04-01",
        **more,
    }


def twilio_post(client, channel, params, *, sign=True, signature=None, capture=None):
    """POST a status callback as Twilio does: form-encoded, signed over our webhook URL."""
    with tenant_scope(channel.tenant_id):
        url = services.webhook_url(channel)
    headers = {}
    if sign:
        headers[twilio.SIGNATURE_HEADER] = signature or twilio.signature(TWILIO_TOKEN, url, params)

    def post():
        return client.post(hook(channel), params, headers=headers)

    if capture is None:
        return post()
    with capture(execute=True):
        return post()


def zadarma_post(client, channel, params, *, signature=None, sign=True, capture=None):
    headers = {}
    if sign:
        headers["Signature"] = signature or zadarma.signature(ZADARMA_SECRET, params)
    with capture(execute=True):
        return client.post(hook(channel), params, headers=headers)


def count(tenant, model, **filters):
    with tenant_scope(tenant):
        return model.objects.filter(**filters).count()


def the_call(channel, call_id) -> Message:
    with tenant_scope(channel.tenant_id):
        return Message.objects.select_related("conversation").get(
            channel=channel, external_id=call_id, kind="call"
        )


def events(tenant, type_):
    with tenant_scope(tenant):
        return list(Event.objects.filter(type=type_).order_by("pk"))


# --- Twilio --------------------------------------------------------------------------------


def test_signature_is_twilios_documented_formula():
    url = "https://crm.example/integrations/twilio/1_abc/?x=1"
    params = {"To": "+15005550006", "CallSid": "CA1", "From": "+14155550123"}
    # URL, then the parameters sorted by name, each name followed by its value.
    data = url + "CallSidCA1" + "From+14155550123" + "To+15005550006"
    expected = base64.b64encode(hmac.new(b"tok", data.encode(), hashlib.sha1).digest()).decode()
    assert twilio.signature("tok", url, params) == expected


def test_connecting_twilio_checks_the_account_and_points_the_number_at_the_webhook(
    workspace, phone
):
    tenant, owner = workspace
    api = api_client(owner)
    response = api.post(
        "/api/v1/channels/",
        {
            "kind": "twilio",
            "name": "Office line",
            "settings": {
                "account_sid": TWILIO_SID,
                "auth_token": TWILIO_TOKEN,
                "phone_number": TWILIO_NUMBER,
                "api_base_url": phone.url,
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "active"
    assert TWILIO_TOKEN not in response.content.decode()
    [update] = phone.seen("/IncomingPhoneNumbers/PN0001.json", "POST")
    with tenant_scope(tenant):
        channel = Channel.objects.get(pk=response.json()["id"])
        assert update["form"]["StatusCallback"] == services.webhook_url(channel)
        assert TWILIO_TOKEN not in channel.secrets_blob


def test_wrong_twilio_credentials_leave_the_channel_in_error(workspace, phone):
    _tenant, owner = workspace
    with tenant_scope(owner.tenant_id, owner.user):
        channel = services.channel_create(
            actor=owner,
            kind="twilio",
            name="Bad",
            raw_settings={
                "account_sid": TWILIO_SID,
                "auth_token": "wrong-token",
                "api_base_url": phone.url,
            },
        )
    assert channel.status == Channel.ERROR
    assert "Authenticate" in channel.last_error
    assert "wrong-token" not in channel.last_error


def test_twilio_signature_missing_401_wrong_403_nothing_stored(workspace, phone, client):
    tenant, owner = workspace
    channel = twilio_channel(owner, phone)
    params = twilio_params(status="no-answer")
    assert twilio_post(client, channel, params, sign=False).status_code == 401
    assert twilio_post(client, channel, params, signature="bm90IGl0").status_code == 403
    # Signed over other parameters (a forged duration): refused as well.
    good = twilio.signature(TWILIO_TOKEN, "http://x/", params)
    assert twilio_post(client, channel, params, signature=good).status_code == 403
    assert count(tenant, RawDelivery) == 0
    assert count(tenant, Message) == 0
    assert count(tenant, Task) == 0


def test_a_missed_twilio_call_makes_one_call_back_task_however_often_it_comes(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    seller = add_member(tenant, user=make_user(first_name="Sam"))
    known = new_contact(seller, first_name="Olga", last_name="Client", phones=CLIENT)
    channel = twilio_channel(owner, phone)
    capture = django_capture_on_commit_callbacks
    ringing = twilio_params("CA0001", "ringing")
    missed = twilio_params("CA0001", "no-answer", CallDuration="0")
    for params in (ringing, missed, missed, ringing):  # re-deliveries included
        response = twilio_post(client, channel, params, capture=capture)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/xml")

    call = the_call(channel, "CA0001")
    assert call.direction == Message.IN
    assert (call.meta["status"], call.meta["from"], call.meta["to"]) == (
        "missed",
        CLIENT,
        TWILIO_NUMBER,
    )
    assert call.conversation.external_chat_id == CLIENT
    assert call.conversation.contact_id == known.pk
    with tenant_scope(tenant):
        [task] = Task.objects.all()
        assert (task.kind, task.assignee_id) == (Task.CALL, seller.user_id)
        assert (task.object_type, task.object_id) == ("contact", known.pk)
        assert "+1 415-555-0123" in task.title
        assert call.meta["task"] == task.pk
        # Running an event's ingestion again changes nothing either.
        for delivery in RawDelivery.objects.all():
            RawDelivery.objects.filter(pk=delivery.pk).update(status=RawDelivery.RECEIVED)
            ingest.process(delivery.pk)
        assert Task.objects.count() == 1
        assert Message.objects.count() == 1
        assert RawDelivery.objects.count() == 2
    [missed_event] = events(tenant, "call.missed")
    assert missed_event.data["task"] == task.pk
    assert missed_event.data["contact"] == known.pk
    [ended] = events(tenant, "call.ended")
    assert (ended.data["direction"], ended.data["answered"], ended.data["duration"]) == (
        "in",
        False,
        0,
    )
    assert ["contact", known.pk] in [list(r) for r in ended.related]


def test_an_answered_twilio_call_keeps_its_duration_and_recording(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = twilio_channel(owner, phone)
    recording = f"{phone.url}/2010-04-01/Accounts/{TWILIO_SID}/Recordings/RE0001"
    for params in (
        twilio_params("CA0002", "ringing"),
        twilio_params("CA0002", "in-progress"),
        twilio_params(
            "CA0002", "completed", CallDuration="125", RecordingUrl=recording, RecordingSid="RE0001"
        ),
    ):
        assert (
            twilio_post(
                client, channel, params, capture=django_capture_on_commit_callbacks
            ).status_code
            == 200
        )
    call = the_call(channel, "CA0002")
    assert (call.meta["status"], call.meta["duration"]) == ("answered", 125)
    assert count(tenant, Task) == 0
    assert events(tenant, "call.missed") == []
    with tenant_scope(tenant):
        attachment = Attachment.objects.get(message=call)
        assert attachment.file.read() == AUDIO
        assert attachment.content_type == "audio/mpeg"
    assert call.meta["recording"] == attachment.pk
    [download] = phone.seen("/Recordings/RE0001.mp3", "GET")
    assert download["headers"]["Authorization"].startswith("Basic ")
    [ended] = events(tenant, "call.ended")
    assert (ended.data["answered"], ended.data["duration"]) == (True, 125)
    assert ended.data["audio"] == reverse("inbox_attachment", args=[attachment.pk])

    # The thread shows it: status, mm:ss and a player of our copy.
    login(client, owner)
    page = client.get(reverse("inbox_conversation", args=[call.conversation_id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "02:05" in body
    assert f'<audio controls preload="none" src="{ended.data["audio"]}"' in body
    assert client.get(ended.data["audio"]).status_code == 200
    # A phone line takes no written reply: the thread offers notes, and says why not "Send".
    assert 'data-testid="no-written-replies"' in body
    assert 'name="direction" value="out"' not in body
    assert 'name="direction" value="note"' in body


def test_a_recording_elsewhere_than_the_api_is_never_fetched_and_the_delivery_is_retryable(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = twilio_channel(owner, phone)
    params = twilio_params(
        "CA0003",
        "completed",
        CallDuration="10",
        RecordingUrl="http://169.254.169.254/latest/meta-data",
    )
    assert (
        twilio_post(client, channel, params, capture=django_capture_on_commit_callbacks).status_code
        == 200
    )
    with tenant_scope(tenant):
        delivery = RawDelivery.objects.get()
        assert delivery.status == RawDelivery.FAILED
        assert "API address" in delivery.error
        assert Message.objects.count() == 0  # nothing half-done: retried whole


def test_an_unknown_twilio_status_is_a_failed_delivery_not_a_500(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = twilio_channel(owner, phone)
    response = twilio_post(
        client,
        channel,
        twilio_params("CA0004", "exploded"),
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 200
    with tenant_scope(tenant):
        delivery = RawDelivery.objects.get()
        assert delivery.status == RawDelivery.FAILED
        assert "CallStatus" in delivery.error
    no_sid = {"CallStatus": "ringing", "From": CLIENT}
    assert twilio_post(client, channel, no_sid).status_code == 200
    assert count(tenant, RawDelivery, status=RawDelivery.FAILED) == 2


def test_events_out_of_order_still_make_one_call_that_ends_once(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = twilio_channel(owner, phone)
    for status in ("completed", "in-progress", "ringing"):
        twilio_post(
            client,
            channel,
            twilio_params("CA0005", status, CallDuration="7"),
            capture=django_capture_on_commit_callbacks,
        )
    call = the_call(channel, "CA0005")
    assert call.meta["status"] == "answered"
    assert call.meta["events"] == ["ended", "answered", "started"]
    assert len(events(tenant, "call.ended")) == 1


def test_an_outgoing_call_not_answered_is_no_missed_call(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = twilio_channel(owner, phone)
    params = twilio_params(
        "CA0006", "busy", caller=TWILIO_NUMBER, direction="outbound-dial", To=CLIENT
    )
    twilio_post(client, channel, params, capture=django_capture_on_commit_callbacks)
    call = the_call(channel, "CA0006")
    assert (call.direction, call.meta["status"]) == (Message.OUT, "not_answered")
    assert call.conversation.external_chat_id == CLIENT
    assert count(tenant, Task) == 0
    assert events(tenant, "call.missed") == []
    assert len(events(tenant, "call.ended")) == 1


def test_unknown_callers_missed_calls_go_to_the_channels_queue_else_the_first_admin(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    queue = add_member(tenant, user=make_user(first_name="Quinn"))
    channel = twilio_channel(owner, phone, callback_to=str(queue.user_id))
    unassigned = twilio_channel(owner, phone, name="Second line")
    capture = django_capture_on_commit_callbacks
    twilio_post(client, channel, twilio_params("CA0007", "busy"), capture=capture)
    twilio_post(
        client,
        unassigned,
        twilio_params("CA0008", "canceled", caller="+14155550999"),
        capture=capture,
    )
    with tenant_scope(tenant):
        assert sorted(Task.objects.values_list("assignee_id", flat=True)) == sorted(
            [queue.user_id, owner.user_id]
        )
        assert not Task.objects.exclude(object_type="").exists()  # no client known


def test_a_queue_naming_no_member_is_refused(workspace, phone):
    _tenant, owner = workspace
    with pytest.raises(ValueError):
        twilio_channel(owner, phone, callback_to="999999")


# --- Zadarma -------------------------------------------------------------------------------


def test_zadarma_signatures_are_the_documented_ones():
    def documented(text):  # base64 of the hexadecimal HMAC-SHA1, keyed with the API secret
        digest = hmac.new(b"s3cret", text.encode(), hashlib.sha1).hexdigest()
        return base64.b64encode(digest.encode()).decode()

    start = {
        "event": "NOTIFY_START",
        "caller_id": "+1415",
        "called_did": "+1800",
        "call_start": "2026-01-01 10:00:00",
        "pbx_call_id": "in_1",
    }
    assert zadarma.signature("s3cret", start) == documented("+1415+18002026-01-01 10:00:00")
    answer = {**start, "event": "NOTIFY_ANSWER", "destination": "101"}
    assert zadarma.signature("s3cret", answer) == documented("+14151012026-01-01 10:00:00")
    out = {
        "event": "NOTIFY_OUT_END",
        "internal": "101",
        "destination": "+1415",
        "call_start": "2026-01-01 10:00:00",
    }
    assert zadarma.signature("s3cret", out) == documented("101+14152026-01-01 10:00:00")
    record = {"event": "NOTIFY_RECORD", "pbx_call_id": "in_1", "call_id_with_rec": "17.1"}
    assert zadarma.signature("s3cret", record) == documented("in_117.1")
    assert zadarma.signature("s3cret", {"event": "NOTIFY_SOMETHING"}) is None


def test_zadarma_answers_the_echo_handshake(workspace, phone, client):
    _tenant, owner = workspace
    channel = zadarma_channel(owner, phone)
    response = client.get(hook(channel), {"zd_echo": "a1b2c3"})
    assert (response.status_code, response.content) == (200, b"a1b2c3")
    assert client.get(hook(channel)).status_code == 405


def test_connecting_zadarma_sets_the_notification_url_with_signed_api_calls(workspace, phone):
    tenant, owner = workspace
    channel = zadarma_channel(owner, phone)
    assert channel.status == Channel.ACTIVE, channel.last_error
    [url] = phone.seen("/v1/pbx/callinfo/url/", "POST")
    with tenant_scope(tenant):
        assert url["form"]["url"] == services.webhook_url(channel)
    [notifications] = phone.seen("/v1/pbx/callinfo/notifications/")
    assert notifications["form"]["notify_end"] == "true"


ZD_START = {
    "event": "NOTIFY_START",
    "call_start": "2026-01-01 10:00:00",
    "pbx_call_id": "in_7f1",
    "caller_id": "+14155550123",
    "called_did": "+18005550100",
}


def test_zadarma_signature_missing_401_wrong_403(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = zadarma_channel(owner, phone)
    capture = django_capture_on_commit_callbacks
    assert zadarma_post(client, channel, ZD_START, sign=False, capture=capture).status_code == 401
    forged = {**ZD_START, "caller_id": "+14155550999"}
    signed_other = zadarma.signature(ZADARMA_SECRET, ZD_START)
    assert (
        zadarma_post(client, channel, forged, signature=signed_other, capture=capture).status_code
        == 403
    )
    # Signed with another secret.
    other = zadarma.signature("not-the-secret", ZD_START)
    assert (
        zadarma_post(client, channel, ZD_START, signature=other, capture=capture).status_code == 403
    )
    assert count(tenant, RawDelivery) == 0


def test_a_missed_zadarma_call_and_an_answered_recorded_one(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = zadarma_channel(owner, phone)
    capture = django_capture_on_commit_callbacks
    end = {
        **ZD_START,
        "event": "NOTIFY_END",
        "duration": "0",
        "disposition": "no answer",
        "status_code": "19",
        "is_recorded": "0",
        "call_id_with_rec": "",
    }
    for params in (ZD_START, end, end):
        assert zadarma_post(client, channel, params, capture=capture).status_code == 200
    call = the_call(channel, "in_7f1")
    assert call.meta["status"] == "missed"
    assert count(tenant, Task, kind=Task.CALL) == 1
    assert len(events(tenant, "call.missed")) == 1

    second = {**ZD_START, "pbx_call_id": "in_8a2"}
    answer = {**second, "event": "NOTIFY_ANSWER", "destination": "101"}
    answered = {
        **second,
        "event": "NOTIFY_END",
        "duration": "65",
        "disposition": "answered",
        "is_recorded": "1",
        "call_id_with_rec": "1767261600.123",
    }
    record = {
        "event": "NOTIFY_RECORD",
        "pbx_call_id": "in_8a2",
        "call_id_with_rec": "1767261600.123",
    }
    for params in (second, answer, answered, record, record):
        assert zadarma_post(client, channel, params, capture=capture).status_code == 200
    call = the_call(channel, "in_8a2")
    assert (call.meta["status"], call.meta["duration"]) == ("answered", 65)
    assert call.conversation_id == the_call(channel, "in_7f1").conversation_id  # one client
    with tenant_scope(tenant):
        assert Attachment.objects.get(message=call).file.read() == AUDIO
    [request] = phone.seen("/v1/pbx/record/request/")
    assert request["query"] == {"call_id": "1767261600.123"}
    assert count(tenant, Task) == 1
    [recorded] = events(tenant, "call.recorded")
    assert recorded.data["audio"]


# --- any PBX (JSON) ------------------------------------------------------------------------


def pbx_post(client, channel, body: dict, *, secret="pbx-signing-secret-0123", capture=None):
    raw = json.dumps(body).encode()
    headers = {pbx.SIGNATURE_HEADER: pbx.signature(secret, raw)} if secret else {}
    with capture(execute=True):
        return client.post(hook(channel), raw, content_type="application/json", headers=headers)


def test_the_json_webhook_reads_numbers_with_the_workspaces_country(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    Tenant.objects.filter(pk=tenant.pk).update(country="RU")
    known = new_contact(owner, first_name="Ivan", last_name="Petrov", phones="+79161234567")
    channel = pbx_channel(owner, phone)
    capture = django_capture_on_commit_callbacks
    ended = {
        "call_id": "ast-1",
        "event": "ended",
        "direction": "in",
        "from": "8 (916) 123-45-67",
        "to": "101",
        "duration": 0,
        "answered": False,
    }
    assert pbx_post(client, channel, ended, secret="", capture=capture).status_code == 401
    assert (
        pbx_post(client, channel, ended, secret="wrong-secret-0000000", capture=capture).status_code
        == 403
    )
    assert count(tenant, RawDelivery) == 0
    assert pbx_post(client, channel, ended, capture=capture).status_code == 200
    call = the_call(channel, "ast-1")
    assert call.conversation.external_chat_id == "+79161234567"
    assert call.conversation.contact_id == known.pk
    assert call.meta["status"] == "missed"
    recorded = {
        "call_id": "ast-1",
        "event": "recorded",
        "recording_url": f"{phone.url}/files/ast-1.mp3",
    }
    assert pbx_post(client, channel, recorded, capture=capture).status_code == 200
    with tenant_scope(tenant):
        assert Attachment.objects.filter(message=call).count() == 1


# --- click-to-call -------------------------------------------------------------------------


def test_phones_are_tel_links_and_a_dialing_channel_calls_the_manager_then_the_client(
    workspace, phone, client, django_assert_max_num_queries
):
    tenant, owner = workspace
    known = new_contact(owner, first_name="Olga", last_name="Client", phones=CLIENT)
    channel = twilio_channel(owner, phone)
    login(client, owner)
    card = client.get(reverse("contact_card", args=[known.pk])).content.decode()
    assert f'href="tel:{CLIENT}"' in card
    assert "Call via Office line" in card
    rows = client.get(reverse("contacts")).content.decode()
    assert f'href="tel:{CLIENT}"' in rows

    url = f"{reverse('call_dial')}?channel={channel.pk}&contact={known.pk}"
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    response = client.post(
        reverse("call_dial"),
        {"channel": channel.pk, "contact": known.pk, "number": CLIENT, "agent": "+14155550100"},
    )
    assert response.status_code == 302
    [call] = phone.seen("/Calls.json", "POST")
    assert (call["form"]["To"], call["form"]["From"]) == ("+14155550100", TWILIO_NUMBER)
    assert f">{CLIENT}</Number>" in call["form"]["Twiml"]
    with tenant_scope(tenant):
        assert services.webhook_url(channel) in call["form"]["Twiml"]
    # Remembered for the next call; a number that is not the client's is refused.
    page = client.post(
        reverse("call_dial"),
        {"channel": channel.pk, "contact": known.pk, "number": "+19999999999", "agent": "101"},
    )
    assert page.status_code == 200
    assert "one of the client" in page.content.decode()
    assert len(phone.seen("/Calls.json", "POST")) == 1


def test_zadarma_click_to_call_asks_for_a_callback(workspace, phone, client):
    _tenant, owner = workspace
    known = new_contact(owner, first_name="Olga", last_name="Client", phones=CLIENT)
    channel = zadarma_channel(owner, phone)
    login(client, owner)
    response = client.post(
        reverse("call_dial"),
        {"channel": channel.pk, "contact": known.pk, "number": CLIENT, "agent": "101"},
    )
    assert response.status_code == 302
    [callback] = phone.seen("/v1/request/callback/")
    assert callback["query"] == {"from": "101", "to": CLIENT}


# --- who sees what ---------------------------------------------------------------------------


def _missed_call(client, channel, capture, sid, caller):
    twilio_post(client, channel, twilio_params(sid, "no-answer", caller=caller), capture=capture)
    return the_call(channel, sid)


def test_own_visibility_hides_a_colleagues_call_and_recording(
    team, phone, client, django_capture_on_commit_callbacks
):
    admin, mia, carl = team
    recording = f"{phone.url}/2010-04-01/Accounts/{TWILIO_SID}/Recordings/RE0009"
    carls_client = new_contact(carl, first_name="Vera", last_name="Hidden", phones=CLIENT)
    channel = twilio_channel(admin, phone)
    twilio_post(
        client,
        channel,
        twilio_params("CA0009", "completed", CallDuration="30", RecordingUrl=recording),
        capture=django_capture_on_commit_callbacks,
    )
    call = the_call(channel, "CA0009")
    assert call.conversation.contact_id == carls_client.pk
    with tenant_scope(admin.tenant_id):
        attachment = Attachment.objects.get(message=call)

    login(client, mia)
    assert client.get(reverse("inbox_conversation", args=[call.conversation_id])).status_code == 404
    assert client.get(reverse("inbox_attachment", args=[attachment.pk])).status_code == 404
    assert "Vera" not in client.get(reverse("inbox")).content.decode()
    # Nor can she ring Carl's client through the PBX.
    dial = client.post(
        reverse("call_dial"),
        {"channel": channel.pk, "contact": carls_client.pk, "number": CLIENT, "agent": "101"},
    )
    assert dial.status_code == 404
    assert phone.seen("/Calls.json") == []
    api = api_client(mia)
    assert api.get(f"/api/v1/conversations/{call.conversation_id}/messages/").status_code == 404

    login(client, carl)
    assert client.get(reverse("inbox_conversation", args=[call.conversation_id])).status_code == 200
    assert client.get(reverse("inbox_attachment", args=[attachment.pk])).status_code == 200
    card = client.get(reverse("contact_card", args=[carls_client.pk])).content.decode()
    assert reverse("inbox_attachment", args=[attachment.pk]) in card  # the card's player


def test_another_workspace_sees_nothing_of_the_calls(
    workspace, other_workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    _other, stranger = other_workspace
    channel = twilio_channel(owner, phone)
    known = new_contact(owner, first_name="Olga", last_name="Client", phones=CLIENT)
    call = _missed_call(client, channel, django_capture_on_commit_callbacks, "CA0010", CLIENT)
    login(client, stranger)
    assert client.get(reverse("inbox_conversation", args=[call.conversation_id])).status_code == 404
    url = f"{reverse('call_dial')}?channel={channel.pk}&contact={known.pk}"
    assert client.get(url).status_code == 404
    own = twilio_channel(stranger, phone, name="Their line")
    url = f"{reverse('call_dial')}?channel={own.pk}&contact={known.pk}"
    assert client.get(url).status_code == 404
    # The webhook of one workspace's channel under another's id: nothing found.
    forged = reverse("twilio_webhook", args=[f"{stranger.tenant_id}_{channel.webhook_token}"])
    assert client.post(forged, twilio_params()).status_code == 404
    with tenant_scope(stranger.tenant_id):
        assert Message.objects.count() == 0 and Task.objects.count() == 0
    assert count(tenant, Conversation) == 1
    assert count(tenant, Contact) == 1


# --- demo and trials -------------------------------------------------------------------------


def test_the_demo_seeds_an_unconnected_line_with_answered_and_missed_calls(workspace):
    from integrations import calls_demo

    tenant, owner = workspace
    seller = add_member(tenant, "manager")
    first = new_contact(seller, first_name="Ann", phones="+14155550111")
    second = new_contact(seller, first_name="Bo", phones="+14155550112")
    with tenant_scope(tenant, owner.user):
        calls_demo.seed(owner, [seller])
        channel = Channel.objects.get(kind="twilio")
        assert channel.status == Channel.PENDING
        found = {m.external_id: m for m in Message.objects.filter(kind="call")}
        answered, missed, unknown = (found[f"CADEMO000{i}"] for i in (1, 2, 3))
        assert (answered.meta["status"], answered.meta["duration"]) == ("answered", 137)
        assert answered.attachments.get().content_type == "audio/wav"
        assert answered.conversation.contact_id == second.pk
        assert (missed.meta["status"], missed.conversation.contact_id) == ("missed", first.pk)
        assert (unknown.meta["status"], unknown.conversation.contact_id) == ("answered", None)
        [task] = Task.objects.all()
        assert (task.assignee_id, task.object_type, task.object_id) == (
            seller.user_id, "contact", first.pk)  # fmt: skip
        assert Event.objects.filter(type="call.recorded").count() == 1


@pytest.mark.parametrize("kind", ["twilio", "zadarma", "pbx"])
def test_simulate_inbound_posts_a_signed_call_to_the_running_system(
    kind, live_server, settings, phone, transactional_db
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from tests.conftest import make_workspace, wait_for

    settings.SITE_URL = live_server.url
    tenant, owner = make_workspace("Simulated")
    {"twilio": twilio_channel, "zadarma": zadarma_channel, "pbx": pbx_channel}[kind](owner, phone)
    out = StringIO()
    call_command("simulate_inbound", tenant.slug, "--call", "missed", stdout=out)
    assert "[200, 200]" in out.getvalue()
    call_command("simulate_inbound", tenant.slug, "--call", "answered", "--from",
                 "+14155550177", stdout=out)  # fmt: skip
    with tenant_scope(tenant):
        wait_for(lambda: Task.objects.filter(kind=Task.CALL).exists())
        wait_for(lambda: Message.objects.filter(meta__status="answered").exists())
        assert Task.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("simulate_inbound", tenant.slug, stdout=out)


def test_a_dial_nobody_answered_is_a_missed_call_whatever_twilio_calls_the_parent(
    workspace, phone, client, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = twilio_channel(owner, phone)
    capture = django_capture_on_commit_callbacks
    twilio_post(client, channel, twilio_params("CA0011", "in-progress"), capture=capture)
    action = twilio_params("CA0011", "in-progress", DialCallStatus="no-answer")
    assert twilio_post(client, channel, action, capture=capture).status_code == 200
    assert the_call(channel, "CA0011").meta["status"] == "missed"
    assert count(tenant, Task) == 1
    # The parent call then completes (the caller left a voicemail): it ended already.
    twilio_post(client, channel, twilio_params("CA0011", "completed"), capture=capture)
    assert the_call(channel, "CA0011").meta["status"] == "missed"
    assert count(tenant, Task) == 1


def test_adding_a_phone_line_in_settings_shows_its_webhook_address_never_its_secret(
    workspace, phone, client
):
    tenant, owner = workspace
    login(client, owner)
    form = client.get(reverse("channels") + "?kind=pbx").content.decode()
    assert "Call-back tasks for unknown callers go to" in form
    response = client.post(reverse("channels"), {
        "kind": "pbx", "name": "Asterisk", "signing_secret": "pbx-signing-secret-0123",
        "recordings_base_url": f"{phone.url}/files", "callback_to": "",
    })  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("channels")).content.decode()
    with tenant_scope(tenant):
        channel = Channel.objects.get(kind="pbx")
        assert channel.status == Channel.ACTIVE
        assert services.webhook_url(channel) in page
    assert "pbx-signing-secret-0123" not in page
    too_short = client.post(reverse("channels"), {"kind": "pbx", "name": "X",
                                                  "signing_secret": "short"})  # fmt: skip
    assert too_short.status_code == 200
    assert count(tenant, Channel) == 1


def test_a_thread_of_calls_and_the_clients_card_read_in_a_constant_number_of_queries(
    workspace, phone, client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    _tenant, owner = workspace
    known = new_contact(owner, first_name="Olga", last_name="Client", phones=CLIENT)
    channel = twilio_channel(owner, phone)
    capture = django_capture_on_commit_callbacks
    recording = f"{phone.url}/2010-04-01/Accounts/{TWILIO_SID}/Recordings/RE"

    def calls(first, last):
        for n in range(first, last):
            status = "completed" if n % 2 else "no-answer"
            twilio_post(client, channel, twilio_params(f"CA9{n:03d}", status, CallDuration="61",
                                                       RecordingUrl=f"{recording}{n}"),
                        capture=capture)  # fmt: skip

    calls(0, 2)
    login(client, owner)
    conversation_url = reverse(
        "inbox_conversation", args=[the_call(channel, "CA9000").conversation_id]
    )
    card_url = reverse("contact_card", args=[known.pk])
    with django_assert_max_num_queries(60) as few_thread:
        assert client.get(conversation_url).status_code == 200
    with django_assert_max_num_queries(80) as few_card:
        assert client.get(card_url).status_code == 200
    # Counted now: the capture reads the connection's query log, which moves on.
    thread_queries, card_queries = len(few_thread), len(few_card)
    calls(2, 12)
    with django_assert_max_num_queries(thread_queries):
        body = client.get(conversation_url).content.decode()
    assert body.count('data-testid="call"') == 12
    with django_assert_max_num_queries(card_queries):
        assert client.get(card_url).status_code == 200


def test_a_recording_over_the_size_limit_fails_its_delivery_and_is_retried_whole(
    workspace, phone, client, settings, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    settings.INBOX_MAX_FILE_BYTES = 100  # the stand-in's recording has more
    channel = twilio_channel(owner, phone)
    recording = f"{phone.url}/2010-04-01/Accounts/{TWILIO_SID}/Recordings/RE0012"
    params = twilio_params("CA0012", "completed", CallDuration="20", RecordingUrl=recording)
    capture = django_capture_on_commit_callbacks
    assert twilio_post(client, channel, params, capture=capture).status_code == 200
    with tenant_scope(tenant):
        delivery = RawDelivery.objects.get()
        assert delivery.status == RawDelivery.FAILED
        assert "limit" in delivery.error
        assert Message.objects.count() == 0 and Attachment.objects.count() == 0
    assert events(tenant, "call.ended") == []
    settings.INBOX_MAX_FILE_BYTES = 10_000  # raised: the retry applies the whole call
    with tenant_scope(tenant, owner.user), capture(execute=True):
        assert services.deliveries_retry(actor=owner, channel=channel) == 1
    assert the_call(channel, "CA0012").meta["status"] == "answered"
    assert len(events(tenant, "call.ended")) == 1
