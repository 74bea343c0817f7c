"""The sales dashboard in Chromium: a head of department opens it and sees the charts drawn
by ECharts (served from our static files, no inline script: the CSP holds), filters it by
manager; a manager with own visibility sees only their own numbers. Screenshots on a desktop
and a phone."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.accounts import services as account_services
from crm.tenancy.context import tenant_scope
from deals import services
from deals.models import Deal
from pipelines.models import LostReason, Stage
from reports import plans, rollups
from tests.conftest import add_member, make_user, make_workspace
from tests.e2e.conftest import PHONE, log_in
from tests.e2e.test_board import watch

pytestmark = pytest.mark.e2e


@pytest.fixture
def sales_floor(transactional_db):
    """A head (Hari) and two managers (Priya, Bob) with a year of won and lost deals."""
    tenant, admin = make_workspace("Northwind Trading", owner=make_user(
        email="anna@northwind.example", first_name="Anna", last_name="Petrova"))  # fmt: skip
    with tenant_scope(tenant, admin.user):
        east = account_services.department_save(actor=admin, name="East")
    head = add_member(tenant, "head", department=east, user=make_user(
        email="hari@northwind.example", first_name="Hari", last_name="Rao"))  # fmt: skip
    priya = add_member(tenant, "manager", department=east, user=make_user(
        email="priya@northwind.example", first_name="Priya", last_name="Sharma"))  # fmt: skip
    bob = add_member(tenant, "manager", department=east, user=make_user(
        email="bob@northwind.example", first_name="Bob", last_name="Stone"))  # fmt: skip
    rng = random.Random(7)
    now = timezone.now()
    with tenant_scope(tenant, admin.user):
        stages = list(Stage.objects.filter(kind=Stage.OPEN).order_by("position"))
        reasons = list(LostReason.objects.all())
        for i in range(60):
            owner = (priya, bob)[i % 2]
            deal = services.deal_create(actor=admin, data={
                "title": f"Deal {i}", "amount": rng.randrange(10, 90) * 100, "owner": owner.user,
                "source": rng.choice(["website", "referral", "exhibition"]),
            })  # fmt: skip
            for stage in stages[1 : rng.randrange(1, len(stages) + 1)]:
                services.deal_move(actor=admin, deal=deal, stage=stage)
            if i % 3 == 0:
                deal = services.deal_won(actor=admin, deal=deal)
            elif i % 3 == 1:
                deal = services.deal_lost(actor=admin, deal=deal, reason=rng.choice(reasons))
            created = now - dt.timedelta(days=rng.randrange(0, 330))
            closed = created + dt.timedelta(days=rng.randrange(1, 25))
            Deal.objects.filter(pk=deal.pk).update(
                created_at=created,
                closed_at=min(closed, now) if deal.status != Deal.OPEN else None,
            )
        for member, amount in ((priya, "9000"), (bob, "7000")):
            plans.plan_save(actor=admin, period="month", start=timezone.localdate(),
                            user=member.user, amount=amount, deals=3)  # fmt: skip
        rollups.rebuild()
    return head, priya


def test_a_head_reads_the_dashboard_and_a_manager_sees_their_own(
    sales_floor, new_page, screenshot_dir
):
    _head, priya = sales_floor
    errors: list[str] = []
    page = watch(new_page(), errors)
    log_in(page, "hari@northwind.example")
    page.get_by_role("link", name="Dashboards").click()
    expect(page.get_by_role("heading", name="Sales dashboard")).to_be_visible()
    page.select_option("#f-period", "year")
    page.get_by_role("button", name="Apply").click()
    for chart in ("dynamics", "funnel", "sources", "lost"):
        expect(page.locator(f"#chart-{chart} svg")).to_have_count(1)
    expect(page.get_by_test_id("plan-row")).to_have_count(2)
    page.screenshot(path=screenshot_dir / "dashboard-head.png", full_page=True)
    page.select_option("#f-manager", str(priya.user_id))
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("plan-row")).to_have_count(1)
    expect(page.get_by_test_id("plan-row")).to_contain_text("Priya")

    mine = watch(new_page(viewport=PHONE), errors)
    log_in(mine, "priya@northwind.example")
    mine.goto("/dashboards/?period=year")
    expect(mine.locator("#chart-dynamics svg")).to_have_count(1)
    expect(mine.get_by_test_id("plan-row")).to_have_count(1)
    assert "Bob" not in mine.content()
    assert mine.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways
    mine.screenshot(path=screenshot_dir / "dashboard-manager-phone.png", full_page=True)
    assert errors == []
