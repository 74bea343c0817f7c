"""Sales plans through the API and the page: validation with the field named, who may set
what (admins everyone, heads their department, managers nothing and only their own read),
one plan per target and period, and another workspace's plans out of reach."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from crm.activity.dispatch import dispatch_pending
from crm.activity.models import AuditEntry
from crm.tenancy.context import tenant_scope
from reports.plan_models import SalesPlan
from tests.conftest import api_client, login

pytestmark = pytest.mark.django_db
URL = "/api/v1/sales-plans/"


def plans(tenant):
    with tenant_scope(tenant):
        return list(SalesPlan.objects.order_by("id").values_list("user_id", "department_id",
                                                                 "period", "start", "amount",
                                                                 "deals"))  # fmt: skip


def test_an_admin_sets_plans_and_setting_twice_updates(team):
    api = api_client(team.admin)
    body = {"period": "quarter", "start": "2026-05-17", "user": team.priya.user_id,
            "amount": "9000.00"}  # fmt: skip
    created = api.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["start"] == "2026-04-01"  # the quarter's first day
    again = api.post(URL, {**body, "amount": "12000", "deals": 4}, format="json")
    assert again.status_code == 201 and again.json()["id"] == created.json()["id"]
    dept = api.post(URL, {"period": "month", "start": "2026-05-01", "department": team.east.pk,
                          "deals": 10}, format="json")  # fmt: skip
    assert dept.status_code == 201
    assert plans(team.tenant) == [
        (team.priya.user_id, None, "quarter", dt.date(2026, 4, 1), 12000, 4),
        (None, team.east.pk, "month", dt.date(2026, 5, 1), None, 10),
    ]
    patched = api.patch(f"{URL}{dept.json()['id']}/", {"amount": "5"}, format="json")
    assert patched.status_code == 200 and patched.json()["amount"] == "5.00"
    clash = api.patch(f"{URL}{dept.json()['id']}/", {"department": None,
                      "user": team.priya.user_id, "period": "quarter", "start": "2026-04-01"},
                      format="json")  # fmt: skip
    assert clash.status_code == 400 and "already has a plan" in clash.content.decode()
    assert api.delete(f"{URL}{dept.json()['id']}/").status_code == 204
    assert len(plans(team.tenant)) == 1
    with tenant_scope(team.tenant):
        dispatch_pending()
        assert AuditEntry.objects.filter(action="sales_plan.saved").count() == 4
        assert AuditEntry.objects.filter(action="sales_plan.deleted").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "month", "start": "2026-05-01", "amount": "1"}, "user"),
        ({"period": "month", "start": "2026-05-01", "user": "{priya}", "department": "{east}",
          "amount": "1"}, "user"),
        ({"period": "month", "start": "2026-05-01", "user": "{priya}"}, "amount"),
        ({"period": "month", "start": "2026-05-01", "user": "{priya}", "amount": "-1"}, "amount"),
        ({"period": "month", "start": "2026-05-01", "user": "{priya}", "deals": -2}, "deals"),
        ({"period": "week", "start": "2026-05-01", "user": "{priya}", "amount": "1"}, "period"),
        ({"period": "month", "start": "soon", "user": "{priya}", "amount": "1"}, "start"),
        ({"period": "month", "start": "2026-05-01", "user": 987654, "amount": "1"}, "user"),
    ],
)  # fmt: skip
def test_a_bad_plan_is_a_400_naming_the_field(team, body, field):
    ids = {"priya": team.priya.user_id, "east": team.east.pk}
    body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    response = api_client(team.admin).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert plans(team.tenant) == []


def test_a_head_plans_their_department_only_and_a_manager_reads_their_own(team):
    head = api_client(team.head)
    mine = {"period": "month", "start": "2026-05-01", "amount": "100"}
    assert head.post(URL, {**mine, "user": team.priya.user_id}, format="json").status_code == 201
    assert head.post(URL, {**mine, "department": team.east.pk}, format="json").status_code == 201
    outside = head.post(URL, {**mine, "user": team.bob.user_id}, format="json")
    assert outside.status_code == 400 and "user" in outside.content.decode()
    admin = api_client(team.admin)
    bobs = admin.post(URL, {**mine, "user": team.bob.user_id}, format="json").json()
    # The head cannot see, change or remove Bob's plan: the same 404 as a missing one.
    assert head.get(f"{URL}{bobs['id']}/").status_code == 404
    assert head.patch(f"{URL}{bobs['id']}/", {"amount": "1"}, format="json").status_code == 404
    assert head.delete(f"{URL}{bobs['id']}/").status_code == 404
    assert {p["user"] for p in head.get(URL).json()["results"]} == {team.priya.user_id, None}
    priya = api_client(team.priya)
    assert [p["user"] for p in priya.get(URL).json()["results"]] == [team.priya.user_id]
    assert priya.get(f"{URL}{bobs['id']}/").status_code == 404
    before = plans(team.tenant)
    assert priya.post(URL, {**mine, "user": team.priya.user_id}, format="json").status_code == 403
    assert priya.patch(f"{URL}{bobs['id']}/", {"amount": "1"}, format="json").status_code in (
        403,
        404,
    )
    assert plans(team.tenant) == before


def test_another_workspaces_plans_are_out_of_reach(team, other_workspace):
    other, other_admin = other_workspace
    plan = api_client(team.admin).post(
        URL, {"period": "month", "start": "2026-05-01", "user": team.priya.user_id,
              "amount": "5"}, format="json",
    ).json()  # fmt: skip
    api = api_client(other_admin)
    assert api.get(URL).json()["results"] == []
    assert api.get(f"{URL}{plan['id']}/").status_code == 404
    assert api.delete(f"{URL}{plan['id']}/").status_code == 404
    # Naming another workspace's member or department is refused.
    foreign = api.post(URL, {"period": "month", "start": "2026-05-01",
                             "user": team.priya.user_id, "amount": "1"}, format="json")  # fmt: skip
    assert foreign.status_code == 400
    foreign = api.post(URL, {"period": "month", "start": "2026-05-01",
                             "department": team.east.pk, "amount": "1"}, format="json")  # fmt: skip
    assert foreign.status_code == 400
    page = login(Client(), other_admin).get(reverse("sales_plans"))
    assert page.status_code == 200 and "Priya" not in page.content.decode()
    assert plans(other) == []


def test_the_plans_page_sets_validates_and_removes(team, client):
    login(client, team.admin)
    url = reverse("sales_plans")
    bad = client.post(url, {"period": "month", "start": "2026-05", "user": team.priya.user_id})
    assert bad.status_code == 400 and "Set an amount" in bad.content.decode()
    ok = client.post(url, {"period": "month", "start": "2026-05", "user": team.priya.user_id,
                           "amount": "1500", "deals": "3"})  # fmt: skip
    assert ok.status_code == 302
    [row] = plans(team.tenant)
    assert row == (team.priya.user_id, None, "month", dt.date(2026, 5, 1), 1500, 3)
    page = client.get(url).content.decode()
    assert "Priya" in page and 'data-testid="plan-form"' in page
    with tenant_scope(team.tenant):
        plan = SalesPlan.objects.get()
    assert client.post(url, {"action": "delete", "plan": plan.pk}).status_code == 302
    assert plans(team.tenant) == []


def test_a_manager_on_the_plans_page_reads_own_and_changes_nothing(team, client):
    with tenant_scope(team.tenant, team.admin.user):
        from reports import plans as services

        for member in (team.priya, team.bob):
            services.plan_save(actor=team.admin, period="month", start=dt.date(2026, 5, 1),
                               user=member.user, amount="10")  # fmt: skip
        bobs = SalesPlan.objects.get(user=team.bob.user)
    login(client, team.priya)
    url = reverse("sales_plans")
    page = client.get(url).content.decode()
    assert "Priya" in page and "Bob" not in page and 'data-testid="plan-form"' not in page
    before = plans(team.tenant)
    assert client.post(url, {"action": "delete", "plan": bobs.pk}).status_code == 404
    changed = client.post(url, {"period": "month", "start": "2026-05", "user": team.bob.user_id,
                                "amount": "1"})  # fmt: skip
    assert changed.status_code == 400
    assert plans(team.tenant) == before
