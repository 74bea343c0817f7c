"""An if/else branch made in the rule editor in Chromium: the first action turned into
"If / else", its condition chosen, an action added to each arm, saved; the board lists it,
and the dry run on a deal says which arm it would take. Screenshots, no console errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from automation.models import Rule
from crm.tenancy.context import tenant_scope
from tests.e2e.conftest import log_in, settled
from tests.e2e.test_board import sales_team, watch

pytestmark = pytest.mark.e2e

__all__ = ["sales_team"]  # the fixture, shared with the board's tests


def redrawn(page, act) -> None:
    """Do `act`, which redraws the editor (htmx), and wait until the new form is in: the
    next step must not land on the form the redraw is about to replace."""
    with page.expect_response(lambda r: "/rules/form/" in r.url):
        act()
    settled(page)


def test_an_admin_makes_a_branch_and_the_dry_run_shows_the_arm(page, sales_team, screenshot_dir):
    tenant, admin, stages, _deals = sales_team
    errors = []
    watch(page, errors)
    log_in(page, admin.user.email)
    page.goto("/deals/")
    page.get_by_role("link", name="Automation").click()
    qualified = page.get_by_test_id("auto-column").filter(has_text=stages[1].name).first
    qualified.get_by_test_id("add-rule").first.click()
    qualified.get_by_role("link", name="Create a call task on entering this stage").click()
    editor = page.get_by_test_id("rule-editor")
    expect(editor.get_by_label("Title")).to_have_value("Call the client")
    settled(page)
    redrawn(page, lambda: editor.locator("select[name='actions.0.type']").select_option("branch"))
    branch = editor.get_by_test_id("action-actions.0")
    expect(branch.get_by_test_id("arm-actions.0.then")).to_be_visible()

    redrawn(page, lambda: branch.get_by_role("button", name="+ Condition").click())
    editor.locator("select[name='actions.0.conditions.0.field']").select_option("amount")
    editor.locator("select[name='actions.0.conditions.0.op']").select_option("gt")
    editor.locator("input[name='actions.0.conditions.0.value']").fill("20000")
    then, other = (
        editor.get_by_test_id("arm-actions.0.then"),
        editor.get_by_test_id("arm-actions.0.else"),
    )
    redrawn(page, lambda: then.get_by_role("button", name="+ Action").click())
    editor.locator("input[name='actions.0.then.0.title']").fill("Call the big client")
    redrawn(page, lambda: other.get_by_role("button", name="+ Action").click())
    redrawn(page, lambda: editor.locator("select[name='actions.0.else.0.type']").select_option(
        "deal.add_tag"))  # fmt: skip
    editor.locator("input[name='actions.0.else.0.tag']").fill("small")
    expect(editor.locator("input[name='actions.0.conditions.0.value']")).to_have_value("20000")
    page.screenshot(path=screenshot_dir / "automation-branch-editor.png", full_page=True)
    editor.get_by_test_id("save-rule").click()

    column = page.get_by_test_id("auto-column").filter(has_text=stages[1].name).first
    expect(column.get_by_test_id("rule")).to_contain_text("If / else")
    with tenant_scope(tenant):
        [branch_spec] = Rule.objects.get().version.spec["actions"]
    assert branch_spec["then"][0]["title"] == "Call the big client"
    assert branch_spec["else"][0]["tag"] == "small"

    page.get_by_test_id("to-dry-run").click()
    page.locator("#dry-deal").select_option(label="Cold-store doors")  # 23,900: over
    page.get_by_role("button", name="Test").click()
    expect(page.get_by_test_id("dry-branch")).to_have_attribute("data-branch", "then")
    page.locator("#dry-deal").select_option(label="Service contract 2027")  # 9,600: under
    page.get_by_role("button", name="Test").click()
    expect(page.get_by_test_id("dry-branch")).to_have_attribute("data-branch", "else")
    page.screenshot(path=screenshot_dir / "automation-branch-dry-run.png", full_page=True)
    assert errors == []
