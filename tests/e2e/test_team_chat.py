"""The inbox's team features in Chromium: a canned response goes into the reply box with
its placeholders filled in; a manager @mentions a colleague in an internal note (picked
from the autocomplete), the colleague sees the notification and opens the conversation;
two members chat directly, the answer appearing without a reload."""

import re

import pytest
from playwright.sync_api import expect

from crm.tenancy.context import tenant_scope
from integrations import canned
from tests.conftest import add_member, make_user, make_workspace
from tests.contacts.conftest import new_contact
from tests.e2e.conftest import log_in
from tests.integrations.conftest import connect_channel
from tests.integrations.stand_in import TelegramStandIn
from tests.integrations.test_visibility import conversation

pytestmark = pytest.mark.e2e


@pytest.fixture
def telegram():
    stand_in = TelegramStandIn().start()
    yield stand_in
    stand_in.stop()


def test_a_mention_in_a_note_reaches_the_colleague_and_two_members_chat(
    page, new_page, telegram, screenshot_dir, transactional_db
):
    tenant, owner = make_workspace("Acme")
    priya_user = make_user(email="priya@acme.example", first_name="Priya", last_name="Sharma")
    priya = add_member(tenant, "manager", user=priya_user)
    channel = connect_channel(owner, telegram, name="Support bot")
    ivan = new_contact(priya, first_name="Ivan", last_name="Petrov")
    chat = conversation(channel, 4242, contact=ivan, assignee=priya, text="Can I pay later?")
    with tenant_scope(tenant, owner.user):
        text = "Hello {{contact.first_name}}, {{manager.first_name}} here."
        canned.canned_create(actor=owner, title="Greeting", text=text, shared=True)

    log_in(page, owner.user.email)
    page.goto(f"/inbox/{chat.pk}/")
    box = page.get_by_label("Message")
    # A canned response, filled in for this conversation (its manager is Priya).
    page.get_by_test_id("canned-picker").locator("summary").click()
    page.get_by_test_id("canned-choice").filter(has_text="Greeting").click()
    expect(box).to_have_value("Hello Ivan, Priya here.")
    box.fill("")

    # "@pri" offers Priya; picking her writes the mention.
    box.press_sequentially("@pri")
    menu = page.get_by_test_id("mention-menu")
    menu.get_by_role("button", name="Priya Sharma").click()
    expect(box).to_have_value("@[Priya Sharma] ")
    box.press_sequentially("he wants to pay in two parts, can we?")
    page.get_by_role("button", name="Add internal note").click()
    note = page.get_by_test_id("thread").get_by_test_id("message-note")
    expect(note).to_contain_text("two parts")
    expect(note.locator("mark.mention")).to_have_text("@[Priya Sharma]")
    page.screenshot(path=screenshot_dir / "inbox-note-mention.png", full_page=True)
    assert telegram.called("sendMessage") == []  # the client never sees a note

    colleague = new_page()
    log_in(colleague, "priya@acme.example")
    expect(colleague.get_by_test_id("unread-count")).to_have_text(re.compile(r"\b1$"))
    colleague.get_by_test_id("notifications").locator("summary").click()
    item = colleague.get_by_test_id("notification-menu").get_by_role(
        "link", name=re.compile("mentioned you in a conversation")
    )
    expect(item).to_be_visible()
    item.click()
    colleague.wait_for_url(f"**/inbox/{chat.pk}/")
    expect(colleague.get_by_test_id("thread").get_by_test_id("message-note")).to_contain_text(
        "two parts"
    )

    # The owner writes to Priya directly; she answers; the owner sees it without a reload.
    page.get_by_test_id("team-link").click()
    page.get_by_test_id("direct-form").get_by_label("Colleague").select_option(label="Priya Sharma")
    page.get_by_test_id("direct-form").get_by_role("button", name="Open chat").click()
    expect(page.get_by_test_id("room-name")).to_have_text("Priya Sharma")
    page.get_by_label("Message").fill("Lunch at noon?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("thread").get_by_test_id("message-out")).to_contain_text(
        "Lunch at noon?"
    )
    page.evaluate("window.__not_reloaded = true")

    colleague.goto("/team/")
    room = colleague.get_by_test_id("room").filter(has_text=owner.user.display_name)
    expect(room.get_by_test_id("unread")).to_have_text("1")
    room.click()
    expect(colleague.get_by_test_id("thread").get_by_test_id("message-in")).to_contain_text(
        "Lunch at noon?"
    )
    colleague.get_by_label("Message").fill("Sure!")
    colleague.get_by_role("button", name="Send").click()
    expect(colleague.get_by_test_id("thread").get_by_test_id("message-out")).to_contain_text(
        "Sure!"
    )
    expect(page.get_by_test_id("thread").get_by_test_id("message-in")).to_contain_text(
        "Sure!", timeout=8000
    )
    assert page.evaluate("window.__not_reloaded") is True
    page.screenshot(path=screenshot_dir / "team-chat.png", full_page=True)
