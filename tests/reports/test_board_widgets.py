"""A widget's editor on a custom dashboard: the KPI's number (a summary, the count or a
formula), checked against the report in the pages and the API; the width, changed by the
narrower / wider buttons or the editor and kept with the layout; the walls."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from reports import boards, services
from reports.board_models import DashboardWidget
from tests.conftest import add_member, api_client, login, make_user

from .helpers import at, make_deals

WON = {
    "filters": [{"field": "status", "op": "eq", "value": "won"}],
    "summaries": [{"field": "amount", "agg": "sum"}, {"field": "amount", "agg": "avg"}],
    "formulas": [{"key": "twice", "label": "Twice the sum", "expr": "amount__sum * 2"}],
}


@pytest.fixture
def team(workspace):
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    make_deals(tenant, [
        (ann.user, "100.00", "won", at(2026, 1), "A1"),
        (ann.user, "300.00", "won", at(2026, 2), "A2"),
        (bob.user, "1000.00", "won", at(2026, 2), "B1"),
    ])  # fmt: skip
    with tenant_scope(tenant, admin.user):
        report = services.report_create(actor=admin, name="Won", report_type="deals",
                                        definition=WON, is_shared=True)  # fmt: skip
        board = boards.board_save(actor=admin, name="KPIs", is_shared=True)
        kpi = boards.widget_add(actor=admin, board=board, report_id=report.pk, kind="kpi")
    return tenant, admin, ann, bob, report, board, kpi


def _widget(tenant, pk) -> DashboardWidget:
    with tenant_scope(tenant):
        return DashboardWidget.objects.get(pk=pk)


def test_the_editor_chooses_the_kpis_number_and_resizes(client, team):
    tenant, admin, _ann, _bob, _report, board, kpi = team
    login(client, admin)
    page = client.get(reverse("board", args=[board.pk])).content.decode()
    assert "$1,400.00" in page  # the first summary by default
    assert 'value="twice"' in page and 'value="amount__avg"' in page and 'value="count"' in page
    edit = reverse("board_widget_edit", args=[board.pk, kpi.pk])
    response = client.post(edit, {"value": "twice", "title": "Doubled", "width": "3",
                                  "query": "period=month"})  # fmt: skip
    assert response.status_code == 302 and response.url.endswith("?period=month")
    widget = _widget(tenant, kpi.pk)
    assert (widget.value, widget.title, widget.width) == ("twice", "Doubled", 3)
    page = client.get(reverse("board", args=[board.pk])).content.decode()
    assert "2,800" in page and "Twice the sum" in page
    # The narrower / wider buttons send the next width; out of range changes nothing.
    client.post(edit, {"width": "4"})
    assert _widget(tenant, kpi.pk).width == 4
    client.post(edit, {"width": "5"})
    assert _widget(tenant, kpi.pk).width == 4
    client.post(edit, {"value": "count"})
    page = client.get(reverse("board", args=[board.pk])).content.decode()
    assert _widget(tenant, kpi.pk).value == "count" and 'data-testid="kpi-value">3<' in page


def test_an_unknown_summary_is_refused_with_its_name(client, team):
    tenant, admin, _ann, _bob, report, board, kpi = team
    login(client, admin)
    response = client.post(reverse("board_widget_edit", args=[board.pk, kpi.pk]),
                           {"value": "amount__max"}, follow=True)  # fmt: skip
    assert "no summary &quot;amount__max&quot;" in response.content.decode()
    assert _widget(tenant, kpi.pk).value == ""
    api = api_client(admin)
    bad = api.post("/api/v1/dashboards/", {"name": "X", "widgets": [
        {"report": report.pk, "kind": "kpi", "value": "nope"}]}, format="json")  # fmt: skip
    assert bad.status_code == 400
    assert "nope" in bad.content.decode() and "amount__sum" in bad.content.decode()
    good = api.post("/api/v1/dashboards/", {"name": "Y", "widgets": [
        {"report": report.pk, "kind": "kpi", "value": "amount__avg", "width": 1}]},
        format="json")  # fmt: skip
    assert good.status_code == 201, good.content
    assert good.json()["widgets"][0]["value"] == "amount__avg"
    run = api.get(f"/api/v1/dashboards/{good.json()['id']}/run/").json()
    assert run["widgets"][0]["value"] in ("466.6666666666666667", "466.67") or str(
        run["widgets"][0]["value"]
    ).startswith("466.66")


def test_a_manager_changes_no_widget_of_a_colleagues_dashboard(client, team):
    tenant, _admin, ann, bob, report, board, kpi = team
    with tenant_scope(tenant, ann.user):
        private = boards.board_save(actor=ann, name="Ann's")
        mine = boards.widget_add(actor=ann, board=private, report_id=report.pk, kind="kpi")
    login(client, bob)
    for b, w in ((board, kpi), (private, mine)):
        url = reverse("board_widget_edit", args=[b.pk, w.pk])
        assert client.post(url, {"width": "1", "value": "count"}).status_code == 404
    assert _widget(tenant, kpi.pk).width == 2 and _widget(tenant, mine.pk).value == ""
    # The shared dashboard's page offers Bob no editor.
    page = client.get(reverse("board", args=[board.pk])).content.decode()
    assert "widget-edit" not in page and "widget-wider" not in page


def test_another_workspace_cannot_edit_the_widget(client, team, other_workspace):
    tenant, _admin, _ann, _bob, _report, board, kpi = team
    _tenant_b, admin_b = other_workspace
    login(client, admin_b)
    url = reverse("board_widget_edit", args=[board.pk, kpi.pk])
    assert client.post(url, {"width": "1"}).status_code == 404
    assert _widget(tenant, kpi.pk).width == 2
