"""Custom dashboards in Chromium: a head of department builds won deals by manager and month
with a bar chart, shares it, adds it to a new dashboard from the report's page, adds the
same report as a table, drags the table first (the order survives a reload) and shares the
dashboard; a manager with own visibility opens the shared report and the dashboard and sees
only their own row. No errors in the console."""

import pytest

from tests.e2e.conftest import log_in
from tests.reports.helpers import head_and_two_managers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def drag(page, handle, target):
    """Press on the handle, move in steps onto the target's upper left, release."""
    box, goal = handle.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 10, box["y"] + 10, steps=4)
    page.mouse.move(goal["x"] + 30, goal["y"] + 30, steps=20)
    page.mouse.move(goal["x"] + 20, goal["y"] + 20, steps=3)
    page.mouse.up()


def test_a_head_builds_a_dashboard_and_a_manager_sees_their_own_row(page, new_page, screenshot_dir):
    _tenant, head, _ann, bob = head_and_two_managers("Boards")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, head.user.email)
    page.goto("/reports/new/")
    page.locator("select[name=f0_field]").select_option("status")
    page.locator("select[name=f0_op]").select_option("eq")
    page.locator("input[name=f0_value]").fill("won")
    page.locator("select[name=g0_field]").select_option("owner")
    page.locator("select[name=g1_field]").select_option("won_at")
    page.locator("select[name=g1_period]").select_option("month")
    page.locator("select[name=s0_agg]").select_option("sum")
    page.locator("select[name=s0_field]").select_option("amount")
    page.locator("select[name=chart]").select_option("bar")
    page.get_by_test_id("preview").locator("[data-testid=group]").nth(2).wait_for()
    page.get_by_label("Name", exact=True).fill("Won by manager and month")
    page.get_by_label("Shared with the workspace").check()
    page.get_by_test_id("report-save").click()
    page.get_by_test_id("report-name").wait_for()

    # Add to a new dashboard, as a chart.
    page.get_by_test_id("add-to-board").locator("summary").click()
    page.locator("#ab-board").select_option("")
    page.locator("#ab-name").fill("Team numbers")
    page.locator("#ab-kind").select_option("chart")
    page.get_by_test_id("add-to-board-submit").click()
    page.get_by_test_id("board-name").wait_for()
    assert page.get_by_test_id("board-name").inner_text() == "Team numbers"
    page.locator("[data-testid=widget-chart] canvas").wait_for()

    # The same report as a table, then dragged before the chart.
    page.locator("#w-kind").select_option("table")
    page.locator("#w-width").select_option("4")
    page.get_by_test_id("widget-add").get_by_role("button").click()
    widgets = page.locator("[data-testid=widget]")
    widgets.nth(1).wait_for()
    assert [widgets.nth(i).get_attribute("data-kind") for i in range(2)] == ["chart", "table"]
    page.set_viewport_size({"width": 1280, "height": 1600})  # both widgets on screen
    drag(page, widgets.nth(1).locator(".handle"), widgets.nth(0))
    page.locator("[data-board-sortable][data-saved='1']").wait_for()
    page.reload()
    page.locator("[data-testid=widget-chart] canvas").wait_for()
    widgets = page.locator("[data-testid=widget]")
    assert [widgets.nth(i).get_attribute("data-kind") for i in range(2)] == ["table", "chart"]
    assert widgets.nth(0).locator("[data-testid=widget-row]").count() == 3
    page.get_by_test_id("board-settings").get_by_label("Shared with the workspace").check()
    page.get_by_test_id("board-settings").get_by_role("button").click()
    page.locator("[data-testid=widget-chart] canvas").wait_for()
    page.wait_for_timeout(1500)  # the charts' drawing animation, for the screenshot
    page.screenshot(path=screenshot_dir / "boards-head.png", full_page=True)
    assert errors == []

    # Bob, a manager with own visibility: the shared report, then the shared dashboard.
    other = new_page()
    log_in(other, bob.user.email)
    other.goto("/reports/")
    other.get_by_role("link", name="Won by manager and month").click()
    other.get_by_test_id("report-name").wait_for()
    groups = other.locator("[data-testid=group]")
    assert groups.count() == 1 and "Bob Ray" in groups.inner_text()
    other.goto("/dashboards/custom/")
    other.get_by_role("link", name="Team numbers").click()
    other.locator("[data-testid=widget-chart] canvas").wait_for()
    # The table, and the chart's numbers beside it: Bob's one group each time.
    rows = other.locator("[data-testid=widget-row]")
    assert rows.count() == 2
    assert all("Bob Ray" in t and "400.00" in t for t in rows.all_inner_texts())
    assert "Ann" not in other.get_by_test_id("board-grid").inner_text()
    assert other.locator("[data-testid=widget-remove]").count() == 0
    other.screenshot(path=screenshot_dir / "boards-manager.png", full_page=True)
