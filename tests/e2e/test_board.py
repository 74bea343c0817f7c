"""The deals board in Chromium: drag a card to the next stage, see the move survive a reload
and appear in the deal's stage history; screenshots of the board, the list and the deal card
on a desktop and on a phone, with no console errors (the CSP allows no inline script or
style)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from crm.tenancy.context import tenant_scope
from deals import services
from deals.models import Deal
from pipelines import services as pipeline_services
from tests.conftest import add_member, make_user, make_workspace
from tests.contacts.conftest import new_company, new_contact
from tests.deals.test_board import funnel
from tests.e2e.conftest import PHONE, log_in

pytestmark = pytest.mark.e2e

DEALS = [
    # title, company, stage index, amount, owner index, next step in days (None: none), idle days
    ("Forklift fleet renewal", "Altai Logistics", 0, "48000", 0, 2, 0),
    ("Warehouse racking", "Baikal Foods", 0, "12500", 1, None, 0),
    ("Pallet scanners x40", "Kama Retail", 0, "7800", 2, 0, 0),
    ("Cold-store doors", "Baikal Foods", 1, "23900", 0, 5, 0),
    ("Dock levellers", "Volga Freight", 1, "15200", 1, -1, 9),
    ("Service contract 2027", "Altai Logistics", 1, "9600", 2, 1, 0),
    ("Conveyor line upgrade", "Ural Steelworks", 2, "86000", 0, 3, 0),
    ("Safety barriers", "Kama Retail", 2, "4300", 1, None, 16),
    ("Battery chargers", "Volga Freight", 3, "18750", 2, 0, 0),
    ("Automated storage pilot", "Ural Steelworks", 3, "132000", 0, 7, 0),
]


@pytest.fixture
def sales_team(transactional_db):
    """A small sales team with a funnel full of deals, as on a Tuesday morning."""
    owner = make_user(email="anna@northwind.example", first_name="Anna", last_name="Petrova")
    tenant, admin = make_workspace("Northwind Trading", owner=owner)
    people = [
        admin,
        add_member(
            tenant,
            "manager",
            user=make_user(email="ivan@northwind.example", first_name="Ivan", last_name="Sokolov"),
        ),
        add_member(
            tenant,
            "manager",
            user=make_user(email="priya@northwind.example", first_name="Priya", last_name="Sharma"),
        ),
    ]
    _pipeline, stages = funnel(tenant)
    with tenant_scope(tenant, owner):
        for stage in stages[:3]:
            pipeline_services.stage_update(actor=admin, stage=stage, data={"rotting_days": 7})
    companies = {}
    deals = []
    now = timezone.now()
    for title, company, stage, amount, who, next_days, idle in DEALS:
        if company not in companies:
            companies[company] = new_company(admin, name=company)
        with tenant_scope(tenant, owner):
            deal = services.deal_create(
                actor=admin,
                data={
                    "title": title,
                    "stage": stages[stage],
                    "amount": Decimal(amount),
                    "company": companies[company],
                    "owner": people[who].user,
                    "tags": ["priority"] if int(amount) > 50000 else [],
                },
            )
            Deal.objects.filter(pk=deal.pk).update(
                next_activity_at=None if next_days is None else now + timedelta(days=next_days),
                stage_entered_at=now - timedelta(days=idle),
            )
        deals.append(deal)
    lead = deals[0]
    buyer = new_contact(
        admin,
        first_name="Sergei",
        last_name="Volkov",
        company=companies["Altai Logistics"],
        position="Head of purchasing",
        phones="+14155550123",
        emails="s.volkov@altai.example",
    )
    with tenant_scope(tenant, owner):
        services.deal_contact_set(actor=admin, deal=lead, contact=buyer, role="Decision maker")
        services.line_item_add(
            actor=admin, deal=lead, name="Electric forklift 2.5 t", quantity=4, price=11000
        )
        services.line_item_add(
            actor=admin, deal=lead, name="Operator training", quantity=1, price=4000, discount=10
        )
        services.attachment_add(
            actor=admin,
            deal=lead,
            upload=SimpleUploadedFile("Proposal Northwind.pdf", b"%PDF-1.4 " + b"x" * 180_000),
        )
    return tenant, admin, stages, deals


def watch(page, errors):
    def on_console(msg):
        if msg.type == "error":
            errors.append(f"{page.url}: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    return page


def drag(page, source, target):
    """A pointer drag as a person makes it: press, move in steps, release."""
    box = source.bounding_box()
    goal = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 12)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 8, box["y"] + 20, steps=4)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] - 20, steps=20)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] - 14, steps=3)
    page.mouse.up()


def test_a_deal_dragged_to_the_next_stage_stays_there(page, sales_team, screenshot_dir):
    tenant, admin, stages, _deals = sales_team
    errors = []
    watch(page, errors)
    log_in(page, admin.user.email)
    page.goto("/deals/")
    racking = page.get_by_test_id("deal-card").filter(has_text="Warehouse racking")
    qualified = page.locator(f"#col-{stages[1].pk}-cards")
    expect(racking).to_be_visible()
    page.screenshot(path=screenshot_dir / "deals-board.png", full_page=True)

    with page.expect_response(lambda r: "/move/" in r.url) as moved:
        drag(page, racking, qualified)
    assert moved.value.status == 200, moved.value.text()
    expect(page.locator(f"#col-{stages[1].pk}-head [data-count]")).to_have_text("4")
    expect(page.locator(f"#col-{stages[0].pk}-head [data-count]")).to_have_text("2")

    page.reload()
    expect(qualified.get_by_text("Warehouse racking")).to_be_visible()
    with tenant_scope(tenant):
        assert Deal.objects.get(title="Warehouse racking").stage_id == stages[1].pk

    qualified.get_by_role("link", name="Warehouse racking").click()
    page.wait_for_url("**/deals/*/")
    history = page.get_by_test_id("stage-history")
    expect(history).to_contain_text("Qualified")
    expect(history).to_contain_text("Lead")
    expect(page.get_by_test_id("deal-status")).to_have_text("Qualified")
    assert errors == []


def test_a_deal_dropped_on_lost_asks_why(page, sales_team, screenshot_dir):
    tenant, admin, _stages, _deals = sales_team
    log_in(page, admin.user.email)
    page.goto("/deals/")
    card = page.get_by_test_id("deal-card").filter(has_text="Safety barriers")
    lost_zone = page.locator("[data-drop=lost]")
    drag(page, card, lost_zone)
    dialog = page.locator("#board-lost")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why was it lost?").select_option(label="Price too high")
    page.screenshot(path=screenshot_dir / "deals-board-lost.png")
    with page.expect_response(lambda r: "/lost/" in r.url):
        dialog.get_by_role("button", name="Mark as lost").click()
    expect(card).to_have_count(0)
    expect(page.locator("body")).not_to_have_class(re.compile("board-dragging"))
    with tenant_scope(tenant):
        deal = Deal.objects.select_related("lost_reason").get(title="Safety barriers")
    assert deal.status == Deal.LOST and deal.lost_reason.name == "Price too high"


def test_quick_add_puts_a_new_card_on_top_of_its_column(page, sales_team):
    tenant, admin, stages, _deals = sales_team
    log_in(page, admin.user.email)
    page.goto("/deals/")
    column = page.get_by_test_id("column").filter(has=page.locator(f"#col-{stages[2].pk}-cards"))
    column.get_by_text("Quick add").click()
    form = column.get_by_test_id("quick-add")
    form.get_by_placeholder("Deal title").fill("Mezzanine floor")
    form.get_by_placeholder("Amount").fill("27000")
    form.get_by_role("button", name="Add").click()
    first = page.locator(f"#col-{stages[2].pk}-cards .board-card").first
    expect(first).to_contain_text("Mezzanine floor")
    expect(page.locator(f"#col-{stages[2].pk}-head [data-count]")).to_have_text("3")
    expect(page.locator(f"#col-{stages[2].pk}-head [data-total]")).to_have_text("$117,300")
    expect(form.get_by_placeholder("Deal title")).to_be_focused()  # ready for the next one
    page.reload()
    expect(page.locator(f"#col-{stages[2].pk}-cards .board-card").first).to_contain_text(
        "Mezzanine floor"
    )
    with tenant_scope(tenant):
        assert Deal.objects.get(title="Mezzanine floor").amount == 27000


def test_screenshots_of_the_list_and_the_deal_card(new_page, sales_team, screenshot_dir):
    _tenant, admin, _stages, deals = sales_team
    errors = []
    page = watch(new_page(), errors)
    log_in(page, admin.user.email)
    page.goto("/deals/list/?ordering=-amount")
    expect(page.get_by_test_id("deals-table")).to_be_visible()
    page.screenshot(path=screenshot_dir / "deals-list.png", full_page=True)
    page.goto(f"/deals/{deals[0].pk}/")
    expect(page.get_by_test_id("deal-title")).to_have_text("Forklift fleet renewal")
    expect(page.get_by_test_id("deal-amount")).to_have_text("$47,600")
    page.screenshot(path=screenshot_dir / "deal-card.png", full_page=True)
    page.goto(f"/deals/new/?company={deals[0].company_id}")
    expect(page.get_by_test_id("deal-form")).to_be_visible()
    page.screenshot(path=screenshot_dir / "deal-new.png", full_page=True)

    phone = watch(new_page(viewport=PHONE, is_mobile=True, has_touch=True), errors)
    log_in(phone, admin.user.email)
    for name, url in [
        ("deals-board-phone", "/deals/"),
        ("deals-list-phone", "/deals/list/"),
        ("deal-card-phone", f"/deals/{deals[0].pk}/"),
    ]:
        phone.goto(url)
        phone.locator("h1").first.wait_for()
        phone.screenshot(path=screenshot_dir / f"{name}.png", full_page=True)
        # The page fits the phone (the board scrolls sideways inside itself).
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{url} is {width}px wide on a {PHONE['width']}px phone"
    assert errors == []
