"""The sales dashboard against numbers counted by hand (tests/reports/conftest.py): for an
admin, for a head (their department), for a manager with own visibility (their own numbers
only, whatever they ask for), under filters; its cost; and the walls between workspaces."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.accounts.models import Role
from crm.tenancy.context import tenant_scope
from reports import plans
from reports.plan_models import SalesPlan
from tests.conftest import add_member, api_client, login
from tests.pipelines.helpers import funnel, new_deal

from .conftest import amount

pytestmark = pytest.mark.django_db
URL = "/api/v1/dashboards/sales/"


def get(membership, **params):
    response = api_client(membership).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_an_admin_sees_everyone_counted_by_hand(team):
    data = get(team.admin)
    k = data["kpis"]
    assert amount(k["won_amount"]["value"]) == 3000  # 1,000 + 2,000; the EUR deal not added
    assert amount(k["won_amount"]["previous"]) == 500
    assert k["won_amount"]["change"] == 500.0
    assert k["won_deals"]["value"] == 3 and k["other_currencies"] == 1
    assert amount(k["average_deal"]["value"]) == 1500
    assert k["win_rate"]["value"] == 60.0  # 3 won of 5 closed
    assert k["created_deals"]["value"] == 6
    assert k["win_rate"]["previous"] == 100.0
    assert data["dynamics"][-1]["won_amount"] == "3000.00"
    assert data["dynamics"][-2]["won_amount"] == "500.00"
    lost = {r["reason"]: r["lost"] for r in data["lost_reasons"]}
    assert lost == {team.reason.name: 2}
    sources = {r["source"]: (r["created"], r["won"]) for r in data["sources"]}
    assert sources["referral"] == (1, 1) and sources["website"] == (1, 1)
    _pipeline, _stages = funnel(team.tenant)
    reached = {s["name"]: s["reached"] for s in data["funnel"]["stages"]}
    assert reached["Lead"] == 6 and reached["Won"] == 3 and reached["Qualified"] == 3
    assert "Lost" not in reached


def test_filters_narrow_every_widget(team):
    data = get(team.admin, manager=team.bob.user_id)
    assert amount(data["kpis"]["won_amount"]["value"]) == 2000
    assert data["kpis"]["won_deals"]["value"] == 2
    assert [r["source"] for r in data["sources"] if r["source"] == "referral"] == []
    east = get(team.admin, department=team.east.pk)
    assert amount(east["kpis"]["won_amount"]["value"]) == 1000
    last = get(team.admin, period="last_month")
    assert amount(last["kpis"]["won_amount"]["value"]) == 500
    pipeline, _stages = funnel(team.tenant)
    assert get(team.admin, pipeline=pipeline.pk)["kpis"]["won_deals"]["value"] == 3
    bad = api_client(team.admin).get(URL, {"period": "forever"})
    assert bad.status_code == 400 and "period" in bad.content.decode()


def test_a_manager_with_own_visibility_sees_only_their_own_numbers(team):
    with tenant_scope(team.tenant, team.admin.user):
        plans.plan_save(actor=team.admin, period=SalesPlan.MONTH, start=_today(),
                        user=team.priya.user, amount="1500", deals=2)  # fmt: skip
        plans.plan_save(actor=team.admin, period=SalesPlan.MONTH, start=_today(),
                        user=team.bob.user, amount="9000")  # fmt: skip
    data = get(team.priya)
    k = data["kpis"]
    assert amount(k["won_amount"]["value"]) == 1000 and k["won_deals"]["value"] == 1
    assert k["win_rate"]["value"] == 50.0 and k["created_deals"]["value"] == 3
    assert k["won_amount"]["change"] == 100.0
    assert {r["reason"]: r["lost"] for r in data["lost_reasons"]} == {team.reason.name: 1}
    [plan] = data["plans"]
    assert plan["user"] == team.priya.user_id and amount(plan["fact_amount"]) == 1000
    assert plan["amount_percent"] == 66.7 and plan["fact_deals"] == 1
    # Asking for a colleague's numbers gives nothing, not theirs.
    theirs = get(team.priya, manager=team.bob.user_id)
    assert amount(theirs["kpis"]["won_amount"]["value"]) == 0 and theirs["plans"] == []
    # The head of East sees the department: Priya's numbers (and their own, none).
    head = get(team.head)
    assert amount(head["kpis"]["won_amount"]["value"]) == 1000
    assert [p["user"] for p in head["plans"]] == [team.priya.user_id]
    # The page shows the same.
    page = login(Client(), team.priya).get(reverse("dashboards"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bob" not in html and 'data-testid="plan-row"' in html


def test_the_dashboard_costs_a_fixed_number_of_queries(team, client, django_assert_max_num_queries):
    login(client, team.admin)
    client.get(reverse("dashboards"))  # warm the session and the caches
    with django_assert_max_num_queries(24):
        assert client.get(reverse("dashboards")).status_code == 200
    api = api_client(team.admin)
    with django_assert_max_num_queries(20):
        assert api.get(URL).status_code == 200
    # More people, deals and plans cost nothing more.
    for _ in range(3):
        member = add_member(team.tenant, "manager")
        new_deal(member, title="More", amount="10")
        with tenant_scope(team.tenant, team.admin.user):
            plans.plan_save(actor=team.admin, period="month", start=_today(), user=member.user,
                            amount="5")  # fmt: skip
    with django_assert_max_num_queries(24):
        assert client.get(reverse("dashboards")).status_code == 200
    with django_assert_max_num_queries(20):
        assert api.get(URL).status_code == 200


def test_another_workspace_sees_none_of_it(team, other_workspace):
    _other, other_admin = other_workspace
    data = get(other_admin)
    assert amount(data["kpis"]["won_amount"]["value"]) == 0 and data["sources"] == []
    pipeline, _stages = funnel(team.tenant)
    foreign = get(other_admin, pipeline=pipeline.pk, manager=team.priya.user_id)
    assert foreign["kpis"]["won_deals"]["value"] == 0
    assert foreign["funnel"]["pipeline"] != pipeline.pk  # their own first funnel instead
    assert all(s["reached"] == 0 for s in foreign["funnel"]["stages"])
    page = login(Client(), other_admin).get(reverse("dashboards"))
    assert page.status_code == 200 and "Priya" not in page.content.decode()


def test_a_role_without_the_dashboard_gets_403(team):
    with tenant_scope(team.tenant):
        role = Role.objects.get(key="manager")
        role.grants = {k: v for k, v in role.grants.items() if k != "dashboard"}
        role.save()
    assert api_client(team.priya).get(URL).status_code == 403
    assert login(Client(), team.priya).get(reverse("dashboards")).status_code == 403
    assert b'href="/dashboards/"' not in login(Client(), team.priya).get(reverse("tasks")).content


def _today():
    return timezone.localdate()


def test_the_dashboard_speaks_russian(team, client):
    user = team.priya.user
    user.language = "ru"
    user.save(update_fields=["language"])
    page = login(client, team.priya).get(reverse("dashboards")).content.decode()
    assert "Дашборд продаж" in page and "Конверсия воронки" in page
