"""Subscription pages and `/api/v1/report-subscriptions/`: subscribe from a report's page,
"My subscriptions", edit and delete; another workspace's report and a colleague's
subscription are out of reach; the list costs the same number of queries however long."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from reports import services
from reports.models import ReportSubscription
from tests.conftest import add_member, api_client, login

from .test_subscriptions import DEFINITION, make_team, subscribe


@pytest.fixture
def team(workspace):
    tenant, admin = workspace
    ann, bob, report = make_team(tenant, admin)
    return tenant, admin, ann, bob, report


def _subs(tenant, **filters):
    with tenant_scope(tenant):
        return list(ReportSubscription.objects.filter(**filters).order_by("pk"))


def test_subscribe_from_the_reports_page(client, team):
    tenant, _admin, ann, _bob, report = team
    login(client, ann)
    page = client.get(reverse("report_run", args=[report.pk]))
    assert page.status_code == 200
    assert 'data-testid="subscribe-form"' in page.content.decode()
    response = client.post(reverse("report_subscribe", args=[report.pk]), {
        "frequency": "weekly", "weekday": "0", "day_of_month": "1", "time_of_day": "08:15",
        "condition_measure": "count", "condition_op": "gt", "condition_value": "0",
        "is_active": ["0", "1"],
    })  # fmt: skip
    assert response.status_code == 302
    (sub,) = _subs(tenant, recipient=ann.user)
    assert (sub.frequency, sub.weekday, sub.time_of_day.strftime("%H:%M")) == ("weekly", 0, "08:15")
    assert sub.condition == {"measure": "count", "op": "gt", "value": "0"} and sub.is_active
    body = client.get(reverse("report_run", args=[report.pk])).content.decode()
    assert "Weekly, Monday at 08:15" in body
    assert (
        client.get(reverse("report_subscriptions"))
        .content.decode()
        .count('data-testid="subscription-row"')
        == 1
    )


def test_a_bad_form_says_what_is_wrong(client, team):
    tenant, _admin, ann, _bob, report = team
    login(client, ann)
    response = client.post(reverse("report_subscribe", args=[report.pk]),
                           {"frequency": "weekly", "weekday": "9", "time_of_day": "x"},
                           follow=True)  # fmt: skip
    body = response.content.decode()
    assert "Choose a weekday" in body and "HH:MM" in body
    assert _subs(tenant) == []


def test_edit_and_delete(client, team):
    tenant, _admin, ann, _bob, report = team
    sub = subscribe(tenant, ann, report)
    login(client, ann)
    url = reverse("report_subscription_edit", args=[sub.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"frequency": "monthly", "day_of_month": "31",
                                 "time_of_day": "18:00", "is_active": "0"})  # fmt: skip
    assert response.status_code == 302
    (sub,) = _subs(tenant)
    assert (sub.frequency, sub.day_of_month, sub.is_active) == ("monthly", 31, False)
    client.post(reverse("report_subscription_delete", args=[sub.pk]))
    assert _subs(tenant) == []


def test_a_colleagues_subscription_is_out_of_reach(client, team):
    tenant, _admin, ann, bob, report = team
    bobs = subscribe(tenant, bob, report)
    login(client, ann)
    assert client.get(reverse("report_subscription_edit", args=[bobs.pk])).status_code == 404
    assert client.post(reverse("report_subscription_delete", args=[bobs.pk])).status_code == 404
    page = client.get(reverse("report_run", args=[report.pk])).content.decode()
    assert 'data-testid="subscription-row"' not in page
    assert (
        'data-testid="subscription-row"'
        not in client.get(reverse("report_subscriptions") + "?all=1").content.decode()
    )
    assert _subs(tenant) == [bobs]


def test_another_workspaces_report_cannot_be_subscribed(client, team, other_workspace):
    tenant, _admin, ann, _bob, _report = team
    tenant_b, admin_b = other_workspace
    with tenant_scope(tenant_b, admin_b.user):
        theirs = services.report_create(actor=admin_b, name="Globex", report_type="deals",
                                        definition=DEFINITION, is_shared=True)  # fmt: skip
    login(client, ann)
    response = client.post(reverse("report_subscribe", args=[theirs.pk]),
                           {"frequency": "daily", "time_of_day": "09:00"})  # fmt: skip
    assert response.status_code == 404
    api = api_client(ann)
    answer = api.post("/api/v1/report-subscriptions/",
                      {"report": theirs.pk, "frequency": "daily", "time_of_day": "09:00"},
                      format="json")  # fmt: skip
    assert answer.status_code == 400 and "report" in answer.json()["error"]["fields"]
    assert _subs(tenant) == [] and _subs(tenant_b) == []


def test_the_api_crud(team):
    tenant, admin, ann, _bob, report = team
    api = api_client(admin)
    created = api.post("/api/v1/report-subscriptions/", {
        "report": report.pk, "recipient": ann.user_id, "frequency": "weekly", "weekday": 4,
        "time_of_day": "17:30", "condition": {"measure": "amount__sum", "op": "gte",
                                              "value": 100},
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["recipient"] == ann.user_id and body["time_zone"] == tenant.time_zone
    assert body["condition"] == {"measure": "amount__sum", "op": "gte", "value": "100"}
    url = f"/api/v1/report-subscriptions/{body['id']}/"
    patched = api.patch(url, {"frequency": "daily"}, format="json")
    assert patched.status_code == 200 and patched.json()["frequency"] == "daily"
    bad = api.patch(url, {"condition": {"measure": "nope", "op": "gt", "value": 1}},
                    format="json")  # fmt: skip
    assert bad.status_code == 400 and "nope" in str(bad.json())
    # Ann sees the subscription made for her; the list filters by report.
    ann_list = api_client(ann).get("/api/v1/report-subscriptions/", {"report": report.pk})
    assert [r["id"] for r in ann_list.json()["results"]] == [body["id"]]
    assert api.delete(url).status_code == 204
    assert _subs(tenant) == []


def test_own_visibility_on_the_api(team):
    tenant, _admin, ann, bob, report = team
    bobs = subscribe(tenant, bob, report)
    api = api_client(ann)
    assert api.get("/api/v1/report-subscriptions/").json()["results"] == []
    url = f"/api/v1/report-subscriptions/{bobs.pk}/"
    missing = api.get("/api/v1/report-subscriptions/987654321/")
    for method in ("get", "patch", "put", "delete"):
        response = getattr(api, method)(url, {"frequency": "daily", "time_of_day": "01:00",
                                              "report": report.pk}, format="json")  # fmt: skip
        assert response.status_code == 404
        assert response.json() == missing.json()
    others = api.post("/api/v1/report-subscriptions/", {
        "report": report.pk, "recipient": bob.user_id, "frequency": "daily",
        "time_of_day": "09:00",
    }, format="json")  # fmt: skip
    assert others.status_code == 400 and "only yourself" in str(others.json())
    (unchanged,) = _subs(tenant)
    assert (unchanged.pk, unchanged.time_of_day, unchanged.recipient_id) == (
        bobs.pk, bobs.time_of_day, bob.user_id,
    )  # fmt: skip


@pytest.mark.parametrize("url_name", ["report_subscriptions", "report_run"])
def test_the_lists_cost_the_same_whatever_their_length(client, team, url_name,
                                                       django_assert_max_num_queries):  # fmt: skip
    tenant, admin, ann, _bob, report = team
    login(client, admin)
    # "My subscriptions" with everyone's (a head's and an admin's view), or a report's page.
    url = (
        reverse(url_name, args=[report.pk])
        if url_name == "report_run"
        else (reverse(url_name) + "?all=1")
    )
    subscribe(tenant, admin, report)
    with django_assert_max_num_queries(60) as few:
        assert client.get(url).status_code == 200
    for _i in range(6):
        subscribe(tenant, admin, report)
        subscribe(tenant, admin, report, recipient=ann.user_id)
    more = add_member(tenant, "head")
    subscribe(tenant, admin, report, recipient=more.user_id)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count('data-testid="subscription-row"') == 14


def test_the_api_list_costs_the_same_whatever_its_length(team, django_assert_max_num_queries):
    tenant, admin, ann, _bob, report = team
    api = api_client(admin)
    subscribe(tenant, admin, report)
    with django_assert_max_num_queries(20) as few:
        assert len(api.get("/api/v1/report-subscriptions/").json()["results"]) == 1
    for _i in range(5):
        subscribe(tenant, admin, report, recipient=ann.user_id)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/report-subscriptions/").json()["results"]) == 6


def test_a_member_of_another_workspace_cannot_be_a_recipient(team, other_workspace):
    tenant, admin, _ann, _bob, report = team
    _tenant_b, admin_b = other_workspace
    answer = api_client(admin).post("/api/v1/report-subscriptions/", {
        "report": report.pk, "recipient": admin_b.user_id, "frequency": "daily",
        "time_of_day": "09:00",
    }, format="json")  # fmt: skip
    assert answer.status_code == 400
    assert "No such member" in str(answer.json()["error"]["fields"]["recipient"])
    assert _subs(tenant) == []
