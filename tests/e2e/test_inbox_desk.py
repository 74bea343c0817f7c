"""The inbox's desk in Chromium: accepting an unsorted request (a contact and a deal made
from it), replying with a file (the stand-in Bot API receives sendDocument), snoozing until
a chosen time; and screenshots of the three panes at desktop and phone widths."""

import datetime as dt
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.models import Contact
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from deals.models import Deal
from integrations import ingest, receiver
from integrations.models import Conversation
from pipelines.models import Stage
from tests.conftest import make_workspace, wait_for
from tests.contacts.conftest import new_company, new_contact
from tests.e2e.conftest import PHONE, log_in
from tests.integrations.conftest import connect_channel
from tests.integrations.stand_in import TelegramStandIn, update

pytestmark = pytest.mark.e2e


@pytest.fixture
def telegram():
    stand_in = TelegramStandIn().start()
    yield stand_in
    stand_in.stop()


def arrive(channel, update_id, chat_id, text, **sender):
    with tenant_scope(channel.tenant_id):
        payload = update(update_id, chat_id=chat_id, text=text, date=int(time.time()), **sender)
        ingest.process(receiver.receive(channel, payload).pk)
        return Conversation.objects.get(channel=channel, external_chat_id=str(chat_id))


def test_accept_an_unsorted_request_with_a_deal(page, live_server, telegram, transactional_db):
    tenant, owner = make_workspace("Acme")
    channel = connect_channel(owner, telegram, name="Support bot")
    request = arrive(channel, 1, 501, "Can I get a quote for 50 units?",
                     first_name="Emma Wilson", username="emma_w")  # fmt: skip
    with tenant_scope(tenant):
        stage = Stage.objects.filter(kind="open").order_by("pipeline_id", "position")[1]
    log_in(page, owner.user.email)
    page.goto("/inbox/?view=unsorted")
    page.get_by_test_id("conversation").filter(has_text="Emma Wilson").click()
    panel = page.get_by_test_id("client-panel")
    expect(panel).to_contain_text("@emma_w")
    form = panel.get_by_test_id("accept-form")
    form.get_by_test_id("stage-select").select_option(str(stage.pk))
    form.get_by_label("Deal title").fill("50 units for Emma")
    form.get_by_label("Amount").fill("4200")
    form.get_by_test_id("accept-submit").click()
    expect(page.get_by_test_id("panel-contact")).to_have_text("Emma Wilson")
    expect(page.get_by_test_id("panel-deals")).to_contain_text("50 units for Emma")
    expect(page.get_by_test_id("contact-link")).to_have_text("Emma Wilson")
    with tenant_scope(tenant):
        contact = Contact.objects.get()
        assert contact.telegram == "@emma_w"
        deal = Deal.objects.get(title="50 units for Emma")
        assert deal.stage_id == stage.pk and deal.amount == 4200
        assert Conversation.objects.get(pk=request.pk).contact_id == contact.pk


def test_reply_with_an_attachment(page, live_server, telegram, transactional_db, tmp_path):
    _tenant, owner = make_workspace("Acme")
    channel = connect_channel(owner, telegram, name="Support bot")
    ivan = new_contact(owner, first_name="Ivan", last_name="Petrov", telegram="@ivan_client")
    arrive(channel, 1, 4242, "Please send the price list", username="ivan_client")
    prices = tmp_path / "prices.pdf"
    prices.write_bytes(b"%PDF-1.4 price list")
    log_in(page, owner.user.email)
    page.goto("/inbox/")
    page.get_by_test_id("conversation").filter(has_text="Ivan Petrov").click()
    expect(page.get_by_test_id("panel-contact")).to_have_attribute("href", f"/contacts/{ivan.pk}/")
    page.get_by_label("Message").fill("Here is our price list.")
    page.get_by_test_id("reply-files").set_input_files(str(prices))
    page.get_by_role("button", name="Send").click()
    sent = page.get_by_test_id("thread").get_by_test_id("message-out")
    expect(sent).to_contain_text("Here is our price list.")
    expect(sent.get_by_test_id("attachments")).to_contain_text("prices.pdf")
    wait_for(lambda: telegram.called("sendDocument"))
    [call] = telegram.called("sendDocument")
    assert call["caption"] == "Here is our price list."
    assert call["files"]["document"] == ("prices.pdf", "application/pdf", b"%PDF-1.4 price list")


def test_snooze_until_a_chosen_time(page, live_server, telegram, transactional_db):
    tenant, owner = make_workspace("Acme")
    channel = connect_channel(owner, telegram, name="Support bot")
    c = arrive(channel, 1, 777, "Call me next week", first_name="Oleg")
    log_in(page, owner.user.email)
    page.goto(f"/inbox/{c.pk}/")
    page.get_by_test_id("snooze-menu").locator("summary").click()
    page.get_by_test_id("snooze-until").fill("2030-03-04T10:30")
    page.get_by_test_id("snooze-menu").get_by_role("button", name="Snooze").click()
    expect(page.get_by_test_id("snoozed-until")).to_be_visible()
    with tenant_scope(tenant):
        c.refresh_from_db()
        assert c.status == "snoozed"
        # Read in the workspace's time zone (UTC here).
        assert c.snoozed_until == dt.datetime(2030, 3, 4, 10, 30, tzinfo=dt.UTC)
    # A preset, from the same menu.
    page.get_by_test_id("snooze-menu").locator("summary").click()
    page.get_by_test_id("snooze-tomorrow").click()
    expect(page.get_by_test_id("snoozed-until")).to_contain_text("9 a.m.")


def test_screenshots_of_the_desk(new_page, live_server, telegram, screenshot_dir,
                                 transactional_db):  # fmt: skip
    tenant, owner = make_workspace("Acme Trading")
    channel = connect_channel(owner, telegram, name="Telegram")
    company = new_company(owner, name="Petrov Logistics")
    ivan = new_contact(owner, first_name="Ivan", last_name="Petrov", phones="+14155550111",
                       emails="ivan@petrov.example", company=company, telegram="@ivan_client",
                       position="Purchasing manager")  # fmt: skip
    with tenant_scope(tenant, owner.user):
        for title, amount in (("Forklifts", 12500), ("Pallet racks", 3400)):
            deal_services.deal_create(actor=owner, data={"title": title, "amount": amount,
                                                         "contacts": [ivan]})  # fmt: skip
    current = arrive(channel, 1, 4242, "Hello! When will the forklifts arrive?",
                     username="ivan_client")  # fmt: skip
    arrive(channel, 2, 4242, "And could you send the invoice?", username="ivan_client")
    strangers = [("Emma Wilson", "Can I get a quote for 50 units?"),
                 ("Lucas Brown", "Do you ship to Canada?"),
                 ("Sofia Garcia", "Is the showroom open on Saturday?")]  # fmt: skip
    for i, (name, text) in enumerate(strangers):
        arrive(channel, 10 + i, 900 + i, text, first_name=name, username="")
    with tenant_scope(tenant):
        Conversation.objects.filter(pk=current.pk).update(
            waiting_since=timezone.now() - dt.timedelta(hours=2)
        )
        # Earlier conversations with their answers, for the response times page.
        for i, minutes in enumerate((12, 35, 80, 240)):
            older = arrive(channel, 50 + i, 600 + i, "An earlier question", first_name="Client")
            created = timezone.now() - dt.timedelta(days=i + 1)
            Conversation.objects.filter(pk=older.pk).update(
                assignee=owner.user, created_at=created, waiting_since=None,
                first_response_at=created + dt.timedelta(minutes=minutes),
                closed_at=created + dt.timedelta(hours=minutes / 10), status="closed",
            )  # fmt: skip
    for name, viewport in (("desk", None), ("desk-phone", PHONE)):
        page = new_page(viewport=viewport)
        errors = []
        page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
        log_in(page, owner.user.email)
        page.goto(f"/inbox/{current.pk}/")
        expect(page.get_by_test_id("messages")).to_contain_text("forklifts")
        page.screenshot(path=screenshot_dir / f"{name}.png", full_page=True)
        if viewport:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], "the thread fits a phone"
            page.get_by_test_id("client-pane-link").click()
            expect(page.get_by_test_id("panel-contact")).to_be_visible()
            page.screenshot(path=screenshot_dir / f"{name}-client.png", full_page=True)
            page.goto("/inbox/")
            page.screenshot(path=screenshot_dir / f"{name}-list.png", full_page=True)
        else:
            page.goto("/inbox/?view=unsorted")
            page.get_by_test_id("conversation").filter(has_text="Emma Wilson").click()
            expect(page.get_by_test_id("accept-form")).to_be_visible()
            page.screenshot(path=screenshot_dir / "desk-unsorted.png", full_page=True)
            page.goto("/settings/channels/")
            page.screenshot(path=screenshot_dir / "desk-channels.png", full_page=True)
            page.goto("/inbox/response-times/")
            page.screenshot(path=screenshot_dir / "desk-response-times.png", full_page=True)
        assert errors == []
        page.close()
