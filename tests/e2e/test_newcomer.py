"""A newcomer's first minutes: the demo as `make run` seeds it, the printed demo logins, the
first page with real work on it, and the interface in each of its languages."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from crm.activity.dispatch import dispatch_pending
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from tests.e2e.conftest import log_in

DEMO_PASSWORD = "demo-crm-2026"
NAV_ENGLISH = ["Deals", "Contacts", "Companies", "Tasks", "Settings"]
SETTINGS_ENGLISH = [
    "Profile", "Members", "Workspace", "Roles", "Custom fields", "Funnels", "Products",
    "Lost reasons", "Departments", "Audit trail", "Notifications", "API keys",
]  # fmt: skip
SETTINGS_PAGES = [
    "/settings/", "/settings/members/", "/settings/workspace/", "/settings/roles/",
    "/settings/custom-fields/", "/settings/funnels/", "/settings/products/",
    "/settings/lost-reasons/", "/settings/departments/", "/settings/audit/",
    "/settings/notifications/", "/settings/api-keys/",
]  # fmt: skip


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", verbosity=0)
    for tenant in Tenant.objects.all():
        with tenant_scope(tenant):
            dispatch_pending()  # what the worker does right after `make run` seeds


def _lands_on_my_day_with_work(page, email):
    log_in(page, email, DEMO_PASSWORD)
    expect(page).to_have_url("/tasks/")
    expect(page.locator("nav.sidebar .brand")).to_have_text("Northwind Trading")
    expect(page.get_by_role("heading", name="My day")).to_be_visible()
    assert page.get_by_test_id("task-row").count() >= 3  # overdue, today, ahead


def _words(page, selector) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


@pytest.mark.e2e
def test_a_newcomer_lands_on_real_work_and_every_page_speaks_each_language(demo, new_page):
    """One seeded demo for the whole path (seeding is the expensive part)."""
    _lands_on_my_day_with_work(new_page(), "priya@example.com")
    page = new_page()
    _lands_on_my_day_with_work(page, "demo@example.com")
    for language in ("ru", "mn", "ta", "te"):
        _speaks(page, language)


def _speaks(page, language):
    page.goto("/settings/")
    page.locator("select[name=language]").select_option(language)
    page.locator("form.panel button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    for url in ["/tasks/", "/deals/", "/deals/list/", "/contacts/", "/companies/"]:
        response = page.goto(url)
        assert response.status == 200, url
        nav = " | ".join(_words(page, "nav.sidebar a"))
        assert not [w for w in NAV_ENGLISH if f" {w} " in f" {nav} "], (url, nav)
    for url in SETTINGS_PAGES:
        response = page.goto(url)
        assert response.status == 200, url
        menu = _words(page, "nav.subnav a")
        assert not set(menu) & set(SETTINGS_ENGLISH), (url, menu)
        heading = page.locator("h1").first.inner_text()
        assert heading not in SETTINGS_ENGLISH and heading.isascii() is False, (url, heading)
