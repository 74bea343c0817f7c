"""Subscriptions to custom dashboards: every widget run as the recipient, mailed once per period
to the real SMTP server on loopback with each chart as an inline PNG and the tables and KPIs in
the body; subscribed from the dashboard's page or `{"dashboard": id}` on the API; a condition is
refused; another workspace's dashboard, or a colleague's private one, cannot be subscribed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from reports import boards, services, subscriptions
from reports.board_models import DashboardWidget
from reports.models import ReportSubscription
from reports.tasks import sweep_subscriptions
from tests.conftest import api_client, login

from .test_boards import (
    BY_MANAGER,
    team,  # noqa: F401  (the fixture below builds on it)
)
from .test_subscriptions import DAILY, html_of, make_due, parts

API = "/api/v1/report-subscriptions/"


@pytest.fixture
def board_team(team):  # noqa: F811
    """test_boards' team: Ann and Bob (managers, "own"), and a shared board with a chart, a
    table and a KPI widget of shared reports."""
    return team


def _subs(tenant, **filters):
    with tenant_scope(tenant):
        return list(ReportSubscription.objects.filter(**filters).order_by("pk"))


def _subscribe(tenant, actor, board, **data) -> ReportSubscription:
    with tenant_scope(tenant, actor.user):
        return subscriptions.subscription_create(actor=actor, dashboard=board,
                                                 data={**DAILY, **data})  # fmt: skip


def test_a_shared_dashboard_is_mailed_once_with_only_the_recipients_numbers(board_team, smtp):
    tenant, admin, ann, _bob, _report, _kpi, board = board_team
    sub = _subscribe(tenant, admin, board, recipient=ann.user_id)  # a head subscribes Ann
    assert sub.target_kind == "dashboard" and sub.report_id is None
    make_due(tenant, sub)

    assert sweep_subscriptions() == 1
    assert sweep_subscriptions() == 0  # the second sweep of the period finds nothing
    assert [m["To"] for m in smtp.messages] == [ann.user.email]
    message = smtp.messages[0]
    assert "Team board" in message["Subject"]
    with tenant_scope(tenant):
        chart = DashboardWidget.objects.get(dashboard=board, kind="chart")
    # One chart widget: one inline PNG, named by its widget and shown in the body.
    pngs = parts(message)["image/png"]
    assert [p["Content-ID"] for p in pngs] == [f"<widget-{chart.pk}@crm>"]
    assert pngs[0].get_payload(decode=True).startswith(b"\x89PNG\r\n\x1a\n")
    html = html_of(message)
    assert f'src="cid:widget-{chart.pk}@crm"' in html
    # Ann's won deals only, counted by hand: 100.00, 250.50, 300.00 this month, 200.00 the
    # month before; the KPI is this month's 300.00. Bob's 400.00 is not hers to see.
    assert "Ann Lee" in html and "250.50" in html and "300.00" in html
    assert "Bob" not in html and "400.00" not in html
    assert f"/dashboards/custom/{board.pk}/" in html
    with tenant_scope(tenant):
        sub.refresh_from_db()
    assert sub.last_status == "sent" and sub.pending_for is None


def test_a_recipient_who_lost_the_dashboard_is_not_mailed(board_team, smtp):
    tenant, admin, ann, _bob, _report, _kpi, board = board_team
    sub = _subscribe(tenant, admin, board, recipient=ann.user_id)
    with tenant_scope(tenant, admin.user):
        boards.board_save(actor=admin, board=board, name=board.name, is_shared=False)
    make_due(tenant, sub)
    sweep_subscriptions()
    assert smtp.messages == []
    with tenant_scope(tenant):
        sub.refresh_from_db()
    assert sub.last_status == "no_access"


def test_a_condition_is_refused_for_a_dashboard(board_team):
    tenant, admin, _ann, _bob, _report, _kpi, board = board_team
    with pytest.raises(ValidationError) as caught:
        _subscribe(tenant, admin, board, condition={"measure": "count", "op": "gt", "value": 0})
    assert "condition" in caught.value.message_dict
    answer = api_client(admin).post(API, {
        "dashboard": board.pk, "frequency": "daily", "time_of_day": "09:00",
        "condition": {"measure": "count", "op": "gt", "value": 0},
    }, format="json")  # fmt: skip
    assert answer.status_code == 400
    assert "condition" in answer.json()["error"]["fields"]
    assert _subs(tenant) == []


def test_subscribe_from_the_dashboard_page_and_see_it_in_my_subscriptions(client, board_team):
    tenant, _admin, ann, _bob, _report, _kpi, board = board_team
    login(client, ann)
    page = client.get(reverse("board", args=[board.pk])).content.decode()
    assert 'data-testid="subscribe-form"' in page
    assert 'name="condition_measure"' not in page  # no condition for a dashboard
    response = client.post(reverse("board_subscribe", args=[board.pk]), {
        "frequency": "weekly", "weekday": "0", "day_of_month": "1", "time_of_day": "08:15",
    })  # fmt: skip
    assert response.status_code == 302
    [sub] = _subs(tenant)
    assert (sub.target_kind, sub.dashboard_id, sub.recipient_id) == ("dashboard", board.pk,
                                                                     ann.user_id)  # fmt: skip
    assert (sub.frequency, sub.weekday, sub.time_of_day.isoformat()) == ("weekly", 0, "08:15:00")
    listed = client.get(reverse("report_subscriptions")).content.decode()
    assert f'href="/dashboards/custom/{board.pk}/"' in listed and "Team board" in listed
    on_board = client.get(reverse("board", args=[board.pk])).content.decode()
    assert 'data-testid="subscription-row"' in on_board
    edit = client.post(reverse("report_subscription_edit", args=[sub.pk]), {
        "frequency": "daily", "time_of_day": "07:00", "is_active": "1",
    })  # fmt: skip
    assert edit.status_code == 302
    gone = client.post(reverse("report_subscription_delete", args=[sub.pk]), {"next": "board"})
    assert gone["Location"] == reverse("board", args=[board.pk])
    assert _subs(tenant) == []


def test_the_api_takes_a_dashboard_or_a_report_never_both(board_team):
    tenant, admin, ann, _bob, report, _kpi, board = board_team
    api = api_client(admin)
    schedule = {"frequency": "daily", "time_of_day": "09:00"}
    for body in ({**schedule}, {**schedule, "report": report.pk, "dashboard": board.pk}):
        answer = api.post(API, body, format="json")
        assert answer.status_code == 400
        assert {"report", "dashboard"} <= set(answer.json()["error"]["fields"])
    created = api.post(API, {**schedule, "dashboard": board.pk, "recipient": ann.user_id},
                       format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["target_kind"], body["dashboard"], body["report"]) == ("dashboard", board.pk,
                                                                        None)  # fmt: skip
    listed = api_client(ann).get(API, {"dashboard": board.pk}).json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]
    assert api.patch(f"{API}{body['id']}/", {"frequency": "monthly", "day_of_month": 31},
                     format="json").status_code == 200  # fmt: skip
    assert len(_subs(tenant)) == 1


def test_another_workspaces_dashboard_is_refused(client, board_team, other_workspace):
    tenant, _admin, ann, _bob, _report, _kpi, _board = board_team
    tenant_b, admin_b = other_workspace
    with tenant_scope(tenant_b, admin_b.user):
        theirs = boards.board_save(actor=admin_b, name="Globex board", is_shared=True)
    login(client, ann)
    response = client.post(reverse("board_subscribe", args=[theirs.pk]), DAILY)
    assert response.status_code == 404
    answer = api_client(ann).post(API, {**DAILY, "dashboard": theirs.pk}, format="json")
    assert answer.status_code == 400 and "dashboard" in answer.json()["error"]["fields"]
    assert _subs(tenant) == [] and _subs(tenant_b) == []


def test_a_manager_touches_nothing_of_a_colleagues_dashboard_subscription(client, board_team):
    tenant, _admin, ann, bob, _report, _kpi, _board = board_team
    with tenant_scope(tenant, ann.user):
        private = boards.board_save(actor=ann, name="Ann's own")
        mine = services.report_create(actor=ann, name="Ann's report", report_type="deals",
                                      definition={**BY_MANAGER}, is_shared=False)  # fmt: skip
        boards.widget_add(actor=ann, board=private, report_id=mine.pk, kind="chart")
    sub = _subscribe(tenant, ann, private)
    bob_api = api_client(bob)
    # Bob cannot subscribe to Ann's private dashboard, nor read, change or delete hers.
    refused = bob_api.post(API, {**DAILY, "dashboard": private.pk}, format="json")
    assert refused.status_code == 400
    assert bob_api.get(f"{API}{sub.pk}/").status_code == 404
    assert bob_api.patch(f"{API}{sub.pk}/", {"frequency": "weekly", "weekday": 1},
                         format="json").status_code == 404  # fmt: skip
    assert bob_api.delete(f"{API}{sub.pk}/").status_code == 404
    assert bob_api.get(API).json()["results"] == []
    login(client, bob)
    assert client.post(reverse("board_subscribe", args=[private.pk]), DAILY).status_code == 404
    assert client.get(reverse("report_subscription_edit", args=[sub.pk])).status_code == 404
    assert client.post(reverse("report_subscription_delete", args=[sub.pk])).status_code == 404
    listed = client.get(reverse("report_subscriptions") + "?all=1").content.decode()
    assert "Ann's own" not in listed
    [kept] = _subs(tenant)
    assert (kept.pk, kept.frequency, kept.recipient_id) == (sub.pk, "daily", ann.user_id)
