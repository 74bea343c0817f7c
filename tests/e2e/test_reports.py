"""The report designer in Chromium: a head of department builds won deals by manager and month
with a bar chart, previews it as they build, saves it shared; a manager with own visibility
opens it and sees only their own row. No errors in the console (the CSP would report inline
scripts or styles there)."""

from pathlib import Path

import pytest

from crm.tenancy.context import tenant_scope
from tests.conftest import make_workspace
from tests.e2e.conftest import log_in
from tests.reports.helpers import at, head_and_two_managers, make_deals

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_head_builds_a_report_and_a_manager_sees_their_own_row(page, new_page, screenshot_dir):
    _tenant, head, _ann, bob = head_and_two_managers("Reports")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, head.user.email)
    page.goto("/reports/")
    page.get_by_test_id("report-new").click()
    page.locator("input[name=columns][value=title]").check()
    page.locator("input[name=columns][value=amount]").check()
    page.locator("select[name=f0_field]").select_option("status")
    page.locator("select[name=f0_op]").select_option("eq")
    page.locator("input[name=f0_value]").fill("won")
    page.locator("select[name=g0_field]").select_option("owner")
    page.locator("select[name=g1_field]").select_option("won_at")
    page.locator("select[name=g1_period]").select_option("month")
    page.locator("select[name=s0_agg]").select_option("sum")
    page.locator("select[name=s0_field]").select_option("amount")
    page.locator("select[name=chart]").select_option("bar")
    preview = page.get_by_test_id("preview")
    preview.locator("[data-testid=group]").nth(2).wait_for()
    preview.locator("[data-testid=report-chart] canvas").wait_for()
    assert "Bob Ray" in preview.inner_text() and "250.50" in preview.inner_text()
    page.get_by_label("Name", exact=True).fill("Won by manager and month")
    page.get_by_label("Shared with the workspace").check()
    page.screenshot(path=screenshot_dir / "reports-designer.png", full_page=True)
    page.get_by_test_id("report-save").click()
    page.get_by_test_id("report-name").wait_for()
    page.locator("[data-testid=report-chart] canvas").wait_for()
    assert page.locator("[data-testid=group]").count() == 3
    page.screenshot(path=screenshot_dir / "reports-run.png", full_page=True)

    # Drill down into Ann's February: her one deal.
    page.locator("[data-testid=drill]", has_text="Ann Lee").nth(1).click()
    page.get_by_test_id("drill-note").wait_for()
    # Money written for the reader: the workspace's currency, the locale's grouping.
    assert page.locator("[data-testid=row]").all_inner_texts() == ["Ann February\t$250.50"]
    assert errors == []

    other = new_page()
    log_in(other, bob.user.email)
    other.goto("/reports/")
    other.get_by_role("link", name="Won by manager and month").click()
    other.get_by_test_id("report-name").wait_for()
    groups = other.locator("[data-testid=group]")
    assert groups.count() == 1 and "Bob Ray" in groups.inner_text()
    assert "Ann" not in other.get_by_test_id("report-rows").inner_text()


def test_cross_filters_custom_types_and_a_background_export(page, screenshot_dir, settings):
    """An admin finds the companies without won deals with a cross filter, builds "Deals with
    or without tasks", and exports a big report: the export page offers the file."""
    from contacts.models import Company
    from crm.activity.models import Task
    from deals.models import Deal

    settings.REPORT_EXPORT_SYNC_MAX_ROWS = 2
    tenant, admin = make_workspace("Cross")
    make_deals(tenant, [
        (admin.user, "100.00", "won", at(2026, 1), "Acme win"),
        (admin.user, "70.00", "open", None, "Beta open"),
        (admin.user, "30.00", "open", None, "Loose"),
    ])  # fmt: skip
    with tenant_scope(tenant):
        acme = Company.objects.create(name="Acme", owner=admin.user)
        beta = Company.objects.create(name="Beta", owner=admin.user)
        Deal.objects.filter(title="Acme win").update(company=acme)
        Deal.objects.filter(title="Beta open").update(company=beta)
        Task.objects.create(title="Call Acme", assignee=admin.user, object_type="deal",
                            object_id=Deal.objects.get(title="Acme win").pk)  # fmt: skip
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, admin.user.email)
    page.goto("/reports/new/?type=companies")
    page.locator("input[name=columns][value=name]").check()
    page.locator("select[name=c0_with]").select_option("0")
    page.locator("select[name=c0_rel]").select_option("deals")
    page.locator("select[name=c0_field]").select_option("status")
    page.locator("select[name=c0_op]").select_option("eq")
    page.locator("input[name=c0_value]").fill("won")
    preview = page.get_by_test_id("preview")
    preview.get_by_text("Beta").wait_for()
    assert "Acme" not in preview.inner_text()
    page.screenshot(path=screenshot_dir / "reports-cross-filter.png", full_page=True)

    page.goto("/reports/")
    page.get_by_test_id("report-types").click()
    page.get_by_label("Name", exact=True).fill("Deals with or without tasks")
    page.locator("select[name=r0_with]").select_option("0")
    page.locator("select[name=r0_relation]").select_option("tasks")
    page.get_by_test_id("custom-type-save").click()
    page.get_by_test_id("custom-type-row").wait_for()
    page.screenshot(path=screenshot_dir / "reports-custom-types.png", full_page=True)

    page.goto("/reports/new/")
    page.locator("select[name=type]").select_option(label="Deals with or without tasks")
    page.wait_for_url("**type=custom_*")
    page.locator("input[name=columns][value=title]").check()
    page.locator("input[name='columns'][value='tasks.title']").check()
    page.get_by_test_id("preview").get_by_text("Call Acme").wait_for()
    page.get_by_label("Name", exact=True).fill("Tasks per deal")
    page.get_by_test_id("report-save").click()
    page.get_by_test_id("report-name").wait_for()
    with page.expect_navigation():
        page.goto(page.url.rstrip("/") + "/export/?file_format=csv")
    page.get_by_test_id("export-download").wait_for()
    page.screenshot(path=screenshot_dir / "reports-export.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Call Acme" in text and "Loose" in text
    assert errors == []
