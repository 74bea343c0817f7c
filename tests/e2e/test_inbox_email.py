"""An email reply threads into its conversation, in Chromium: a client's mail arrives in the
IMAP server on loopback (pymap), the poll takes it in, the manager sees it in the open
inbox, replies, the SMTP server on loopback (aiosmtpd) receives the reply with In-Reply-To,
and the client's answer to it appears in the same open thread without a reload."""

import pytest
from playwright.sync_api import expect

from crm.tenancy.context import tenant_scope
from integrations import mailpoll
from integrations.models import Conversation
from tests.conftest import SMTPInbox, make_workspace, wait_for
from tests.contacts.conftest import new_contact
from tests.e2e.conftest import log_in
from tests.integrations.conftest import connect_email
from tests.integrations.imap_server import IMAPServer, mail

pytestmark = pytest.mark.e2e


@pytest.fixture
def imap():
    server = IMAPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_server():
    inbox = SMTPInbox()
    inbox.port = inbox.start()
    yield inbox
    inbox.stop()


def poll(channel):
    with tenant_scope(channel.tenant_id):
        return mailpoll.poll_all()


def test_an_email_reply_threads_into_its_conversation(
    page, live_server, imap, mail_server, screenshot_dir, transactional_db
):
    _tenant, owner = make_workspace("Acme")
    channel = connect_email(owner, imap, mail_server, name="Support mail")
    ivan = new_contact(owner, first_name="Ivan", last_name="Petrov", emails=["ivan@client.example"])
    imap.append(mail(1, subject="Order 1042", text="Hello! When does order 1042 ship?"))
    assert poll(channel) == 1

    log_in(page, owner.user.email)
    page.get_by_role("link", name="Inbox").click()
    page.get_by_test_id("conversation").filter(has_text="Ivan Petrov").click()
    thread = page.get_by_test_id("thread")
    expect(thread.get_by_test_id("messages")).to_contain_text("When does order 1042 ship?")
    expect(thread.get_by_test_id("messages")).to_contain_text("Order 1042")
    expect(thread.get_by_test_id("contact-link")).to_have_attribute("href", f"/contacts/{ivan.pk}/")

    page.get_by_label("Message").fill("It ships tomorrow morning.")
    page.get_by_role("button", name="Send").click()
    expect(thread.get_by_test_id("message-out")).to_contain_text("It ships tomorrow morning.")
    wait_for(lambda: mail_server.messages)
    [sent] = mail_server.messages
    assert sent["In-Reply-To"] == "<m1@client.example>"
    assert sent["Subject"] == "Re: Order 1042"

    # The client answers our reply; the next poll threads it into the open conversation.
    page.evaluate("window.__not_reloaded = true")
    imap.append(
        mail(2, subject="Re: Order 1042", in_reply_to=sent["Message-ID"],
             references=f"<m1@client.example> {sent['Message-ID']}",
             text="Perfect, thank you!\n\nOn Monday, Support wrote:\n> It ships tomorrow."),
    )  # fmt: skip
    assert poll(channel) == 1
    expect(thread.get_by_test_id("messages")).to_contain_text("Perfect, thank you!", timeout=8000)
    assert page.evaluate("window.__not_reloaded") is True
    # The quoted history is behind its toggle.
    quoted = thread.get_by_test_id("email-quoted").last
    expect(quoted.locator(".bubble-text")).not_to_be_visible()
    quoted.locator("summary").click()
    expect(quoted).to_contain_text("It ships tomorrow.")
    with tenant_scope(channel.tenant_id):
        assert Conversation.objects.count() == 1
    page.screenshot(path=screenshot_dir / "inbox_email.png", full_page=True)
