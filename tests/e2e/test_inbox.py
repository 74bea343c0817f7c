"""The inbox in Chromium: a Telegram message posted to the channel's webhook appears in the
open inbox without a reload, the manager replies, and the stand-in Bot API receives the
sendMessage."""

import json
import time
import urllib.request

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.tenancy.context import tenant_scope
from integrations.channels.telegram import SECRET_HEADER
from tests.conftest import make_workspace, wait_for
from tests.contacts.conftest import new_contact
from tests.e2e.conftest import log_in
from tests.integrations.conftest import connect_channel
from tests.integrations.stand_in import TelegramStandIn, update

pytestmark = pytest.mark.e2e


@pytest.fixture
def telegram():
    stand_in = TelegramStandIn().start()
    yield stand_in
    stand_in.stop()


def post_update(live_server, channel, payload) -> int:
    with tenant_scope(channel.tenant_id):
        secret = channel.secrets["secret_token"]
    request = urllib.request.Request(  # noqa: S310  (the live server on loopback)
        live_server.url + reverse("telegram_webhook", args=[channel.webhook_token]),
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", SECRET_HEADER: secret},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_a_telegram_message_appears_live_and_the_reply_reaches_telegram(
    page, live_server, telegram, screenshot_dir, transactional_db
):
    _tenant, owner = make_workspace("Acme")
    channel = connect_channel(owner, telegram, name="Support bot")
    ivan = new_contact(owner, first_name="Ivan", last_name="Petrov", telegram="@ivan_client")
    assert (
        post_update(
            live_server, channel, update(1, chat_id=4242, text="Hello!", date=int(time.time()))
        )
        == 200
    )

    log_in(page, owner.user.email)
    page.get_by_role("link", name="Inbox").click()
    page.get_by_test_id("conversation").filter(has_text="Ivan Petrov").click()
    thread = page.get_by_test_id("thread")
    expect(thread.get_by_test_id("messages")).to_contain_text("Hello!")
    expect(thread.get_by_test_id("contact-link")).to_have_attribute("href", f"/contacts/{ivan.pk}/")

    # A new message while the page is open: it appears without a reload (htmx polling).
    page.evaluate("window.__not_reloaded = true")
    assert (
        post_update(
            live_server, channel, update(2, chat_id=4242, text="Any news?", date=int(time.time()))
        )
        == 200
    )
    expect(thread.get_by_test_id("messages")).to_contain_text("Any news?", timeout=8000)
    assert page.evaluate("window.__not_reloaded") is True

    page.get_by_label("Message").fill("Your order ships tomorrow.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("thread").get_by_test_id("message-out")).to_contain_text(
        "Your order ships tomorrow."
    )
    wait_for(lambda: telegram.called("sendMessage"))
    assert telegram.called("sendMessage") == [
        {"chat_id": "4242", "text": "Your order ships tomorrow."}
    ]
    expect(page.get_by_label("Message")).to_have_value("")
    page.screenshot(path=screenshot_dir / "inbox.png", full_page=True)
