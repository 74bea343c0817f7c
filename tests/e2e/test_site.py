"""The site's form and chat in Chromium, on a client's page served from another origin on
loopback: a visitor fills in the embedded form and the conversation appears in the inbox;
a visitor chats through the widget and reads the manager's reply."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.tenancy.context import tenant_scope
from integrations import services, webforms
from tests.conftest import make_workspace
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


class ClientSite:
    """A client's website: a real HTTP server on loopback answering every path with `html`."""

    def __init__(self, html: str):
        body = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def client_site():
    sites = []

    def serve(html):
        sites.append(ClientSite(html))
        return sites[-1]

    yield serve
    for s in sites:
        s.stop()


def test_a_visitor_sends_the_embedded_form_and_the_request_lands_in_the_inbox(
    new_page, live_server, client_site, screenshot_dir, transactional_db
):
    _tenant, owner = make_workspace("Acme")
    with tenant_scope(owner.tenant_id, owner.user):
        form = webforms.form_create(
            actor=owner,
            name="Contact us",
            fields=[
                {"label": "Name", "type": "text", "maps_to": "contact.first_name",
                 "required": True},
                {"label": "Email", "type": "email", "maps_to": "contact.email", "required": True},
                {"label": "Message", "type": "textarea"},
            ],
            thank_you="Thanks! We will write back today.",
            responsible=owner.user,
        )  # fmt: skip
        endpoint = live_server.url + reverse("form_webhook", args=[form.channel.webhook_token])
    script = live_server.url + "/static/js/crm-form.js"
    site = client_site(
        "<!doctype html><html><head><title>Oak chairs</title></head><body><h1>Oak chairs</h1>"
        f'<script src="{script}" data-crm-form="{endpoint}" async></script></body></html>'
    )
    visitor = new_page()
    visitor.goto(site.url + "/contact?utm_source=newsletter&utm_campaign=autumn")
    visitor.get_by_label("Email").fill("not an email")
    visitor.get_by_label("Name").fill("Olivia")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_text("is not an email address")).to_be_visible()
    visitor.get_by_label("Email").fill("olivia@example.com")
    visitor.get_by_label("Message").fill("Do you have 20 oak chairs?")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_role("status")).to_have_text("Thanks! We will write back today.")
    assert visitor.evaluate("localStorage.getItem('crm_visitor')")

    manager = new_page()
    log_in(manager, owner.user.email)
    manager.goto("/inbox/")
    manager.get_by_test_id("conversation").filter(has_text="Olivia").click()
    thread = manager.get_by_test_id("thread")
    expect(thread.get_by_test_id("messages")).to_contain_text("Do you have 20 oak chairs?")
    expect(thread.get_by_test_id("form-entry")).to_contain_text("olivia@example.com")
    thread.get_by_text("Where from").click()
    expect(thread.get_by_test_id("form-entry")).to_contain_text("autumn")
    manager.screenshot(path=screenshot_dir / "inbox-form.png", full_page=True)

    # The builder shows the snippet the site pasted.
    manager.goto("/settings/forms/")
    manager.get_by_test_id("webform-row").filter(has_text="Contact us").get_by_role(
        "link", name="Edit"
    ).click()
    expect(manager.get_by_test_id("snippet-script")).to_contain_text("data-crm-form=")
    manager.screenshot(path=screenshot_dir / "webform-builder.png", full_page=True)


def test_a_visitor_chats_through_the_widget_and_reads_the_managers_reply(
    new_page, live_server, client_site, screenshot_dir, transactional_db
):
    _tenant, owner = make_workspace("Acme")
    with tenant_scope(owner.tenant_id, owner.user):
        channel = services.channel_create(
            actor=owner,
            kind="sitechat",
            name="Site chat",
            raw_settings={"title": "Ask Acme", "greeting": "Hello! Ask us anything."},
        )
        hello = live_server.url + reverse("sitechat_webhook", args=[channel.webhook_token])
    script = live_server.url + "/static/js/crm-chat.js"
    site = client_site(
        "<!doctype html><html><head><title>Acme shop</title></head><body><h1>Acme shop</h1>"
        f'<script src="{script}" data-crm-chat="{hello}" async></script></body></html>'
    )
    visitor = new_page()
    visitor.goto(site.url + "/")
    visitor.get_by_role("button", name="Chat").click()
    chat = visitor.get_by_role("dialog", name="Ask Acme")
    expect(chat).to_contain_text("Hello! Ask us anything.")
    chat.get_by_label("Your name").fill("Tom")
    chat.get_by_label("Write a message…").fill("Is the blue sofa in stock?")
    chat.get_by_role("button", name="Send").click()
    expect(chat).to_contain_text("Is the blue sofa in stock?")

    manager = new_page()
    log_in(manager, owner.user.email)
    manager.goto("/inbox/")
    manager.get_by_test_id("conversation").filter(has_text="Tom").click()
    thread = manager.get_by_test_id("thread")
    expect(thread.get_by_test_id("messages")).to_contain_text("Is the blue sofa in stock?")
    manager.get_by_label("Message").fill("Yes, two are left.")
    manager.get_by_role("button", name="Send").click()
    expect(thread.get_by_test_id("message-out")).to_contain_text("Yes, two are left.")

    # The widget polls the visitor's own conversation: the answer appears without a reload.
    expect(chat).to_contain_text("Yes, two are left.", timeout=10_000)
    expect(chat.get_by_text("Is the blue sofa in stock?")).to_have_count(1)
    visitor.screenshot(path=screenshot_dir / "site-chat.png")
