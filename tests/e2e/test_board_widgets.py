"""A custom dashboard's widget editor in Chromium: a head of department picks which number a
KPI widget shows (the count of won deals instead of their sum) and makes the widget wider
from the keyboard; after a reload both are kept. No errors in the console."""

import pytest

from crm.tenancy.context import tenant_scope
from reports import boards, services
from tests.e2e.conftest import log_in
from tests.reports.helpers import head_and_two_managers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WON = {
    "filters": [{"field": "status", "op": "eq", "value": "won"}],
    "summaries": [{"field": "amount", "agg": "sum"}],
    "formulas": [{"key": "avg_deal", "label": "Average deal", "expr": "amount__sum / count"}],
}


def test_a_head_sets_a_kpis_number_and_resizes_it(page, screenshot_dir):
    tenant, head, _ann, _bob = head_and_two_managers("Widgets")
    with tenant_scope(tenant, head.user):
        report = services.report_create(actor=head, name="Won", report_type="deals",
                                        definition=WON, is_shared=True)  # fmt: skip
        board = boards.board_save(actor=head, name="Numbers")
        boards.widget_add(actor=head, board=board, report_id=report.pk, kind="kpi", width=1)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, head.user.email)
    page.goto(f"/dashboards/custom/{board.pk}/")
    widget = page.get_by_test_id("widget")
    assert widget.get_by_test_id("kpi-value").inner_text() == "$750.50"

    # The number shown: the count of won deals.
    widget.get_by_test_id("widget-edit").locator("summary").click()
    widget.get_by_label("The number shown").select_option("count")
    with page.expect_navigation():
        widget.get_by_test_id("widget-save").click()
    assert page.get_by_test_id("kpi-value").inner_text() == "3"

    # Wider, from the keyboard: Narrow → Half.
    wider = page.get_by_test_id("widget-wider")
    wider.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.reload()
    widget = page.get_by_test_id("widget")
    assert widget.get_by_test_id("kpi-value").inner_text() == "3"
    assert widget.get_by_test_id("widget-width").inner_text() == "Half"
    assert "w2" in widget.get_attribute("class").split()
    assert widget.get_by_label("The number shown").input_value() == "count"
    page.screenshot(path=screenshot_dir / "board-widget-editor.png", full_page=True)
    assert errors == []
