"""The board's automation view in Chromium, with a real Celery worker: an admin adds "create
a call task on entering Qualified" from the stage's templates, a manager drags a deal there on
the board, and the call appears in the manager's day. Also: a wrong field named in the
editor, the dry run, and the view in Russian; screenshots of each, no console errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from automation.models import Rule
from crm.tenancy.context import tenant_scope
from tests.e2e.conftest import log_in, settled
from tests.e2e.test_board import drag, sales_team, watch

pytestmark = pytest.mark.e2e

__all__ = ["sales_team"]  # the fixture, shared with the board's tests


def _open_view(page, stages):
    page.goto("/deals/")
    page.get_by_role("link", name="Automation").click()
    qualified = page.get_by_test_id("auto-column").filter(has_text=stages[1].name).first
    expect(qualified).to_be_visible()
    return qualified


def test_an_admins_rule_gives_the_manager_a_call_when_a_deal_is_dragged(
    new_page, sales_team, celery_worker_real, screenshot_dir
):
    tenant, admin, stages, _deals = sales_team
    errors = []
    page = watch(new_page(), errors)
    log_in(page, admin.user.email)
    qualified = _open_view(page, stages)
    page.screenshot(path=screenshot_dir / "automation-empty.png", full_page=True)

    qualified.get_by_test_id("add-rule").first.click()
    qualified.get_by_role("link", name="Create a call task on entering this stage").click()
    editor = page.get_by_test_id("rule-editor")
    expect(editor.get_by_label("Title")).to_have_value("Call the client")
    expect(editor.get_by_label("Kind")).to_have_value("call")
    settled(page)
    page.screenshot(path=screenshot_dir / "automation-editor.png", full_page=True)
    editor.get_by_test_id("save-rule").click()

    rule = page.get_by_test_id("auto-column").filter(has_text=stages[1].name).first
    expect(rule.get_by_test_id("rule")).to_have_count(1)
    expect(rule.get_by_test_id("rule")).to_contain_text("Call the client")
    page.screenshot(path=screenshot_dir / "automation-view.png", full_page=True)
    with tenant_scope(tenant):
        assert Rule.objects.get().stage_id == stages[1].pk

    # Ivan, a manager, drags his deal into Qualified on the board.
    manager = watch(new_page(), errors)
    log_in(manager, "ivan@northwind.example")
    manager.goto("/deals/")
    expect(manager.get_by_role("link", name="Automation")).to_have_count(0)
    racking = manager.get_by_test_id("deal-card").filter(has_text="Warehouse racking")
    with manager.expect_response(lambda r: "/move/" in r.url) as moved:
        drag(manager, racking, manager.locator(f"#col-{stages[1].pk}-cards"))
    assert moved.value.status == 200, moved.value.text()

    # The worker runs the rule: the call is in Ivan's day.
    for _attempt in range(20):
        manager.goto("/tasks/")
        if manager.get_by_text("Call the client").count():
            break
        manager.wait_for_timeout(500)
    expect(manager.get_by_text("Call the client").first).to_be_visible()
    manager.screenshot(path=screenshot_dir / "automation-my-day.png", full_page=True)

    # The rule's history says it ran.
    page.goto(page.url)
    page.get_by_test_id("rule-runs").first.click()
    expect(page.get_by_test_id("run").first).to_have_attribute("data-status", "done")
    page.screenshot(path=screenshot_dir / "automation-history.png", full_page=True)
    assert errors == []


def test_the_editor_names_a_wrong_field_and_the_dry_run_shows_what_would_happen(
    page, sales_team, screenshot_dir
):
    _tenant, admin, stages, _deals = sales_team
    errors = []
    watch(page, errors)
    log_in(page, admin.user.email)
    qualified = _open_view(page, stages)
    qualified.get_by_test_id("add-rule").first.click()
    qualified.get_by_role("link", name="Create a call task on entering this stage").click()
    editor = page.get_by_test_id("rule-editor")
    expect(editor.get_by_label("Title")).to_have_value("Call the client")
    settled(page)
    editor.get_by_label("Title").fill("")
    editor.get_by_test_id("save-rule").click()
    expect(editor.locator(".has-error")).to_contain_text("This field is required.")
    # Conditions: a row of field, operator and value.
    editor.get_by_role("button", name="+ Condition").first.click()
    editor.locator("select[name='conditions.0.field']").select_option("amount")
    editor.locator("select[name='conditions.0.op']").select_option("gt")
    editor.locator("input[name='conditions.0.value']").fill("10000")
    editor.get_by_label("Title").fill("Call the client")
    editor.get_by_test_id("save-rule").click()
    expect(page.get_by_test_id("rule")).to_contain_text("with conditions")

    # A trigger: when the invoice is paid, the deal moves to Won (the Won column's).
    won = page.get_by_test_id("auto-column").filter(has_text="Won").first
    won.get_by_test_id("add-rule").nth(1).click()
    won.get_by_role("link", name="When the invoice is paid, move the deal to Won").click()
    expect(page.get_by_test_id("rule-editor").get_by_label("When")).to_have_value("invoice.paid")
    settled(page)
    page.get_by_test_id("save-rule").click()
    won = page.get_by_test_id("auto-column").filter(has_text="Won").first
    expect(won.get_by_test_id("rule")).to_contain_text("Move to a stage: Won")
    won.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "automation-triggers.png", full_page=True)

    page.get_by_test_id("to-dry-run").click()
    page.locator("#dry-deal").select_option(label="Cold-store doors")
    page.get_by_role("button", name="Test").click()
    call = page.get_by_test_id("dry-rule").filter(has_text="Call on Qualified")
    expect(call).to_have_attribute("data-fires", "1")
    expect(call).to_contain_text("Call the client")
    paid = page.get_by_test_id("dry-rule").filter(has_text="Paid: move to Won")
    expect(paid).to_have_attribute("data-fires", "0")
    page.screenshot(path=screenshot_dir / "automation-dry-run.png", full_page=True)
    assert errors == []


def test_the_view_in_russian(page, sales_team, screenshot_dir):
    _tenant, admin, _stages, _deals = sales_team
    admin.user.language = "ru"
    admin.user.save(update_fields=["language"])
    log_in(page, admin.user.email)
    page.goto("/deals/")
    page.get_by_role("link", name="Автоматизация").click()
    expect(page.get_by_role("heading", name="Автоматизация")).to_be_visible()
    expect(page.get_by_test_id("workspace-rules")).to_contain_text("Правила")
    page.screenshot(path=screenshot_dir / "automation-ru.png", full_page=True)
