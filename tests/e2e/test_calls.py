"""Telephony in Chromium: a missed call reported by Twilio's signed webhook becomes a
call-back task in the client's owner's day and a missed call in the inbox; the client's card
offers the number as a tel: link and a call through the channel."""

import urllib.parse
import urllib.request

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.tenancy.context import tenant_scope
from integrations.channels import twilio
from tests.conftest import add_member, make_user, make_workspace
from tests.contacts.conftest import new_contact
from tests.e2e.conftest import log_in
from tests.integrations.calls_stand_in import TWILIO_SID, TWILIO_TOKEN, PhoneStandIn
from tests.integrations.test_calls import CLIENT, twilio_channel, twilio_params

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone():
    stand_in = PhoneStandIn().start()
    yield stand_in
    stand_in.stop()


def post_callback(live_server, channel, params) -> int:
    """A status callback as Twilio sends it: form-encoded, signed over the URL it posts to."""
    with tenant_scope(channel.tenant_id):
        url = live_server.url + reverse("twilio_webhook", args=[channel.webhook_token])
    request = urllib.request.Request(  # noqa: S310  (the live server on loopback)
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            twilio.SIGNATURE_HEADER: twilio.signature(TWILIO_TOKEN, url, params),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_a_missed_call_becomes_a_call_back_task_and_a_call_in_the_inbox(
    page, live_server, phone, screenshot_dir, transactional_db
):
    tenant, owner = make_workspace("Acme")
    sam = add_member(tenant, user=make_user(email="sam@example.com", first_name="Sam"))
    olga = new_contact(sam, first_name="Olga", last_name="Client", phones=CLIENT)
    channel = twilio_channel(owner, phone)
    assert post_callback(live_server, channel, twilio_params("CA0100", "ringing")) == 200
    assert post_callback(live_server, channel, twilio_params("CA0100", "no-answer")) == 200
    # Twilio re-sends: still one task.
    assert post_callback(live_server, channel, twilio_params("CA0100", "no-answer")) == 200

    log_in(page, sam.user.email)
    page.goto("/tasks/")
    today = page.get_by_test_id("tasks-today")
    expect(today).to_contain_text("Call back +1 415-555-0123")
    expect(today.get_by_text("Call back +1 415-555-0123")).to_have_count(1)

    # An answered, recorded call from her as well: the same conversation, with a player.
    recording = f"{phone.url}/2010-04-01/Accounts/{TWILIO_SID}/Recordings/RE0100"
    answered = twilio_params("CA0101", "completed", CallDuration="95", RecordingUrl=recording)
    assert post_callback(live_server, channel, answered) == 200

    page.get_by_role("link", name="Inbox").click()
    page.get_by_test_id("conversation").filter(has_text="Olga Client").click()
    call = page.get_by_test_id("thread").get_by_test_id("call")
    expect(call.last).to_contain_text("Incoming call")
    expect(call).to_have_count(2)
    expect(call.get_by_test_id("call-status")).to_have_text(["answered", "missed"])
    expect(call.first.get_by_test_id("call-duration")).to_have_text("01:35")
    expect(call.first.get_by_test_id("call-recording")).to_be_attached()
    page.screenshot(path=screenshot_dir / "missed-call.png", full_page=True)

    page.goto(f"/contacts/{olga.pk}/")
    expect(page.get_by_test_id("event-audio")).to_have_count(1)  # the history's player
    expect(page.locator(f'a[href="tel:{CLIENT}"]').first).to_be_visible()
    expect(page.get_by_test_id("call-via")).to_contain_text("Call via Office line")
    page.screenshot(path=screenshot_dir / "call-card.png", full_page=True)
    # Clicking the phone in the field edited in place calls; it does not open the editor.
    # (The dialler itself is the system's: the test keeps the browser from following tel:.)
    page.evaluate(
        "window.addEventListener('click', (event) => {"
        " if (event.target.closest('a[href^=\"tel:\"]')) event.preventDefault(); }, true)"
    )
    page.get_by_test_id("field-phones").locator("a").click()
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("field-phones")).to_be_visible()
    expect(page.locator("#field-phones input")).to_have_count(0)
    page.get_by_role("link", name="Call via Office line").click()
    page.get_by_label("Your phone or extension").fill("+14155550100")
    page.get_by_role("button", name="Call", exact=True).click()
    expect(page.get_by_text("is calling you")).to_be_visible()
    [placed] = phone.seen("/Calls.json", "POST")
    assert placed["form"]["To"] == "+14155550100"
