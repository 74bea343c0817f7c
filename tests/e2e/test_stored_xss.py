"""Stored XSS: a payload in every text field a person types, then every page that shows it,
in Chromium. The test fails on any dialog (the payload's alert), on any element the payload
would add (an <img src=x>, a <script> without our nonce) and on the console's report of a
script or handler the Content Security Policy stopped (markup that got through unescaped).

The payload is stored through the services, as the forms and the API store it: contacts,
companies, deals, line items, tasks, comments, notes, an inbound message and its sender's
name, an invoice's client and notes, a report, a dashboard, an automation rule.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from automation import services as automation_services
from contacts import services as contact_services
from crm.activity import services as activity_services
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from integrations.models import Conversation
from invoices import services as invoice_services
from pipelines.models import Stage
from reports import boards as report_boards
from reports import services as report_services
from tests.conftest import make_workspace
from tests.contacts.conftest import new_company, new_contact
from tests.e2e.conftest import log_in
from tests.isolation.scenario import channel_create, conversation_create

pytestmark = pytest.mark.e2e

PAYLOAD = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
# What a page would hold if the payload were rendered as markup, not text.
INJECTED = "img[src='x'], script:not([nonce]):not([src])"


def _x(label: str) -> str:
    return f"{label} {PAYLOAD}"


@pytest.fixture
def planted(transactional_db):
    tenant, owner = make_workspace(_x("Workspace"))
    with tenant_scope(tenant, owner.user):
        contact_services.custom_field_save(
            actor=owner, object_type="contact", key="note", label=_x("Field"), field_type="text"
        )
    company = new_company(owner, name=_x("Company"), industry=_x("Industry"),
                          address=_x("Address"))  # fmt: skip
    contact = new_contact(
        owner, first_name=_x("First"), last_name=_x("Last"), middle_name=_x("Middle"),
        position=_x("Position"), tags=[_x("tag")], custom={"note": _x("Custom")},
        company=company, emails="ann@example.com",
    )  # fmt: skip
    with tenant_scope(tenant, owner.user):
        stage = Stage.objects.filter(pipeline__name="Sales").order_by("position").first()
        deal = deal_services.deal_create(
            actor=owner, data={"title": _x("Deal"), "company": company, "stage": stage}
        )
        deal_services.deal_contact_set(actor=owner, deal=deal, contact=contact, role=_x("Role"))
        deal_services.line_item_add(actor=owner, deal=deal, name=_x("Line"), quantity=1,
                                    price=10)  # fmt: skip
        for subject in (contact, company, deal):
            activity_services.comment_add(actor=owner, subject=subject, body=_x("Comment"))
            activity_services.note_add(actor=owner, subject=subject, body=_x("Note"))
        activity_services.task_create(
            actor=owner, title=_x("Task"), subject=deal, notes=_x("Task notes"),
            due_at=timezone.now() + timezone.timedelta(hours=1),
        )  # fmt: skip
        invoice = invoice_services.invoice_create_from_deal(actor=owner, deal=deal)
        invoice = invoice_services.invoice_update(
            actor=owner, invoice=invoice, data={"notes": _x("Invoice notes")}
        )
        report = report_services.report_create(
            actor=owner, name=_x("Report"), description=_x("About"), report_type="deals",
            is_shared=True, definition={"columns": ["title", "company"], "group_by": ["title"]},
        )  # fmt: skip
        board = report_boards.board_save(actor=owner, name=_x("Dashboard"), is_shared=True)
        report_boards.widget_add(actor=owner, board=board, report_id=report.pk, kind="table",
                                 title=_x("Widget"))  # fmt: skip
        automation_services.rule_create(
            actor=owner, name=_x("Rule"),
            spec={"trigger": {"type": "deal.stage_entered", "stage": stage.pk},
                  "actions": [{"type": "task.create", "title": _x("Rule task"),
                               "kind": "call"}]},
        )  # fmt: skip
    channel = channel_create(owner, name=_x("Channel"))
    conversation = conversation_create(channel, _x("Sender"), text=_x("Message"))
    with tenant_scope(tenant):
        Conversation.objects.filter(pk=conversation.pk).update(assignee=owner.user)
    pages = [
        "/contacts/", f"/contacts/{contact.pk}/", "/companies/", f"/companies/{company.pk}/",
        "/deals/", "/deals/list/", f"/deals/{deal.pk}/", "/tasks/", "/tasks/calendar/",
        "/tasks/calendar/?view=month", "/inbox/", f"/inbox/{conversation.pk}/",
        "/invoices/", f"/invoices/{invoice.pk}/", "/reports/", f"/reports/{report.pk}/",
        "/dashboards/custom/", f"/dashboards/custom/{board.pk}/", "/deals/automation/",
        "/search/?q=First", "/contacts/?q=First", "/notifications/", "/settings/channels/",
        "/contacts/duplicates/",
    ]  # fmt: skip
    return owner, pages


def test_no_stored_payload_runs_on_any_page(page, planted, screenshot_dir):
    owner, pages = planted
    ran: list[str] = []
    page.on("dialog", lambda dialog: (ran.append(f"dialog {dialog.message!r}"), dialog.dismiss()))
    blocked: list[str] = []

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text and ("script" in text or "handler" in text):
            blocked.append(text[:200])

    page.on("console", on_console)
    # The watch itself works: the payload as markup, on a page without our policy, alerts.
    page.set_content(f"<html><body>{PAYLOAD}</body></html>")
    page.wait_for_function("document.readyState === 'complete'")
    assert ran and page.locator(INJECTED).count() >= 1, "the payload did not run as markup"
    ran.clear()
    log_in(page, owner.user.email)
    problems = []
    for url in pages:
        response = page.goto(url)
        assert response is not None and response.status < 400, (url, response and response.status)
        page.wait_for_load_state("networkidle")
        injected = page.locator(INJECTED).count()
        if injected:
            problems.append(f"{url}: {injected} element(s) from the payload")
            page.screenshot(path=screenshot_dir / "stored-xss.png", full_page=True)
        if ran or blocked:
            problems.append(f"{url}: {ran + blocked}")
            ran.clear()
            blocked.clear()
    # The payload is on the pages, as text.
    page.goto(pages[1])
    assert "onerror=alert(1)" in page.inner_text("body")
    assert not problems, "\n".join(problems)
