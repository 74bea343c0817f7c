"""The demo workspace's dashboard has something to show: Priya has this month's plan, the
rollups are filled after seeding, and once the worker has dispatched the seeding's events
(the consumer recomputing the same rows) they still equal a rebuild."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from crm.accounts.models import Membership
from crm.activity.dispatch import dispatch_pending
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from reports import dashboards, rollups
from reports.plan_models import SalesPlan
from tests.reports.test_rollups import rows

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        tenant = Tenant.objects.get(slug="demo")
        seeded = rows(tenant)
        with tenant_scope(tenant):
            dispatch_pending()
        yield tenant, seeded
        transaction.set_rollback(True)


def test_the_demo_dashboard_shows_priyas_plan_and_a_year_of_sales(demo):
    tenant, seeded = demo
    with tenant_scope(tenant):
        priya = Membership.objects.select_related("role", "user").get(
            user__email="priya@example.com"
        )
        assert SalesPlan.objects.filter(
            user=priya.user, period="month", start=timezone.localdate().replace(day=1)
        ).exists()
        data = dashboards.sales_dashboard(
            priya, dashboards.parse_filters({"period": "year"}, tenant), tenant
        )
    assert data["kpis"]["won_deals"]["value"] > 0
    assert sum(s["reached"] for s in data["funnel"]["stages"]) > 0
    assert [p["user"] for p in data["plans"] if p["period"] == "month"] == [priya.user_id]
    assert data["lost_reasons"] and data["sources"]
    # The seeding's rollups, the consumer's after the worker ran, and a rebuild agree.
    after = rows(tenant)
    assert after["DealDay"] == seeded["DealDay"]
    with tenant_scope(tenant):
        rollups.rebuild()
    assert rows(tenant) == after
