"""The workspace rules page in Chromium: from the funnel's automation view an admin opens
Workspace rules, adds "give new contacts to the team in turn" from the templates, saves it
(listed under Contacts), and switches it off; no console errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from automation.models import Rule
from crm.tenancy.context import tenant_scope
from tests.e2e.conftest import log_in
from tests.e2e.test_board import sales_team, watch

pytestmark = pytest.mark.e2e

__all__ = ["sales_team"]  # the fixture, shared with the board's tests


def test_an_admin_adds_and_switches_off_a_workspace_rule(page, sales_team, screenshot_dir):
    tenant, admin, _stages, _deals = sales_team
    errors = []
    watch(page, errors)
    log_in(page, admin.user.email)
    page.goto("/deals/")
    page.get_by_role("link", name="Automation").click()
    page.get_by_test_id("to-workspace-rules").click()
    expect(page.get_by_role("heading", name="Workspace rules")).to_be_visible()

    page.get_by_test_id("add-rule").click()
    page.get_by_role("link", name="Give new contacts to the team in turn").click()
    editor = page.get_by_test_id("rule-editor")
    expect(editor.get_by_label("When")).to_have_value("contact.created")
    expect(editor.get_by_label("How")).to_have_value("round_robin")
    page.screenshot(path=screenshot_dir / "workspace-rules-editor.png", full_page=True)
    editor.get_by_test_id("save-rule").click()

    rule = page.get_by_test_id("rule").filter(has_text="New contacts in turn")
    expect(rule).to_have_count(1)
    expect(page.get_by_test_id("rule-group")).to_have_text(["Contacts"])
    rule.get_by_test_id("rule-switch").click()
    expect(page.get_by_test_id("rule").filter(has_text="New contacts in turn")).to_contain_text(
        "off"
    )
    page.screenshot(path=screenshot_dir / "workspace-rules.png", full_page=True)
    with tenant_scope(tenant):
        saved = Rule.objects.get(name="New contacts in turn")
        assert (saved.pipeline_id, saved.trigger, saved.is_active) == (
            None,
            "contact.created",
            False,
        )
    assert errors == []
