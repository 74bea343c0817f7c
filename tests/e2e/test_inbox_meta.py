"""WhatsApp in Chromium: an admin adds the channel on Settings → Channels and sees the
webhook URL and verify token to paste into Meta's console; a signed delivery shows in the
inbox without a reload; the reply reaches the stand-in Graph API, and Meta's "read"
report shows on it."""

import json
import time
import urllib.request

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.tenancy.context import tenant_scope
from integrations.channels.meta import SIGNATURE_HEADER
from integrations.models import Channel
from tests.conftest import make_workspace, wait_for
from tests.e2e.conftest import log_in
from tests.integrations.meta_stand_in import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    GraphStandIn,
    sign,
    whatsapp_delivery,
    whatsapp_status,
    whatsapp_text,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def graph():
    stand_in = GraphStandIn().start()
    yield stand_in
    stand_in.stop()


def post_delivery(live_server, channel, payload) -> int:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310  (the live server on loopback)
        live_server.url + reverse("whatsapp_webhook", args=[channel.webhook_token]),
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_an_admin_connects_whatsapp_and_answers_a_client(
    page, live_server, graph, screenshot_dir, transactional_db
):
    tenant, owner = make_workspace("Acme")
    log_in(page, owner.user.email)
    page.goto("/settings/channels/")
    page.get_by_test_id("kind-whatsapp").click()
    page.get_by_label("Name").fill("WhatsApp sales")
    page.get_by_label("Access token").fill(ACCESS_TOKEN)
    page.get_by_label("App secret").fill(APP_SECRET)
    page.get_by_label("Phone number ID").fill(PHONE_NUMBER_ID)
    page.get_by_label("Graph API address").fill(graph.url)
    page.get_by_role("button", name="Connect").click()

    with tenant_scope(tenant):
        channel = Channel.objects.get()
        verify = channel.secrets["verify_token"]
    row = page.get_by_test_id("channels").locator("tr", has_text="WhatsApp sales")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text(f"/integrations/whatsapp/{channel.webhook_token}/")
    expect(row).to_contain_text(verify)
    expect(row.get_by_test_id("paste-hint")).to_be_visible()
    expect(row).not_to_contain_text(ACCESS_TOKEN)
    page.screenshot(path=screenshot_dir / "channels-whatsapp.png", full_page=True)

    page.get_by_role("link", name="Inbox").click()
    page.evaluate("window.__not_reloaded = true")
    now = int(time.time())
    message = whatsapp_text("wamid.e2e.1", "Is the order ready?", timestamp=now)
    assert post_delivery(live_server, channel, whatsapp_delivery(message)) == 200
    conversation = page.get_by_test_id("conversation").filter(has_text="Kerry Fisher")
    expect(conversation).to_be_visible(timeout=10_000)  # the list polls every 5 s
    assert page.evaluate("window.__not_reloaded") is True
    conversation.click()
    thread = page.get_by_test_id("thread")
    expect(thread.get_by_test_id("messages")).to_contain_text("Is the order ready?")

    page.get_by_label("Message").fill("Yes, it ships today.")
    page.get_by_role("button", name="Send").click()
    expect(thread.get_by_test_id("message-out")).to_contain_text("Yes, it ships today.")
    wait_for(lambda: graph.sent())
    [sent] = graph.sent()
    assert sent.body["to"] == "14155550123"
    assert sent.body["text"] == {"body": "Yes, it ships today."}

    wamid = "wamid.out.1"
    read = whatsapp_delivery(statuses=[whatsapp_status(wamid, "read")])
    assert post_delivery(live_server, channel, read) == 200
    page.reload()
    expect(page.get_by_test_id("thread").get_by_test_id("delivery-status")).to_have_text("Read")
