"""The Reports pages: list, designer with its preview, run with groups, rows, drill-down and
export; the walls between workspaces and between colleagues."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from reports import services
from reports.models import Report
from tests.conftest import add_member, login, make_user

from .helpers import at, make_deals

DEFINITION = {
    "columns": ["title", "amount", "owner"],
    "filters": [{"field": "status", "op": "eq", "value": "won"}],
    "group_by": ["owner", "won_at:month"],
    "summaries": [{"field": "amount", "agg": "sum"}],
    "chart": "bar",
}


@pytest.fixture
def team(workspace):
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    make_deals(tenant, [
        (ann.user, "100.00", "won", at(2026, 1), "A1"),
        (ann.user, "250.50", "won", at(2026, 2), "A2"),
        (bob.user, "400.00", "won", at(2026, 2), "B1 Bobs"),
        (bob.user, "50.00", "open", None, "B2"),
    ])  # fmt: skip
    with tenant_scope(tenant, admin.user):
        shared = services.report_create(
            actor=admin, name="Won by manager", report_type="deals", definition=DEFINITION,
            is_shared=True,
        )  # fmt: skip
    return tenant, admin, ann, bob, shared


def test_the_section_lists_reports_mine_and_shared(client, team):
    _tenant, admin, ann, _bob, _shared = team
    with tenant_scope(team[0], ann.user):
        services.report_create(actor=ann, name="Ann private", report_type="deals",
                               definition={"columns": ["title"]})  # fmt: skip
    page = login(client, ann).get(reverse("reports")).content.decode()
    assert 'href="/reports/"' in page and "Won by manager" in page and "Ann private" in page
    mine = client.get(reverse("reports"), {"tab": "mine"}).content.decode()
    assert "Ann private" in mine and "Won by manager" not in mine
    found = client.get(reverse("reports"), {"q": "won"}).content.decode()
    assert "Won by manager" in found and "Ann private" not in found
    other = login(client, admin).get(reverse("reports")).content.decode()
    assert "Ann private" not in other


def test_the_run_page_shows_groups_rows_chart_and_drill_down(
    client, team, django_assert_max_num_queries
):
    _tenant, admin, ann, _bob, shared = team
    login(client, admin)
    url = reverse("report_run", args=[shared.pk])
    client.get(url)
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert "Ann Lee" in page and "Bob Ray" in page and "350.50" not in page
    assert "250.50" in page and "2026-02" in page and "data-report-chart" in page
    drill = json.dumps({"owner": ann.user_id, "won_at:month": "2026-01-01T00:00:00+00:00"})
    drilled = client.get(url, {"drill": drill}).content.decode()
    assert (
        "<td>A1</td>" in drilled
        and "<td>A2</td>" not in drilled
        and 'data-testid="drill-note"' in drilled
    )


def test_a_manager_running_a_shared_report_sees_only_their_row(client, team):
    _tenant, _admin, _ann, bob, shared = team
    page = login(client, bob).get(reverse("report_run", args=[shared.pk])).content.decode()
    assert "Bob Ray" in page and "Ann Lee" not in page and "<td>A1</td>" not in page
    assert 'data-testid="report-edit"' not in page  # not theirs to change


def test_design_preview_and_save(client, team):
    tenant, admin, *_rest = team
    login(client, admin)
    page = client.get(reverse("report_new"), {"type": "deals"})
    assert page.status_code == 200 and "Filter logic" in page.content.decode()
    form = {
        "report_type": "deals", "name": "By status", "columns": ["title", "amount"],
        "f0_field": "amount", "f0_op": "gte", "f0_value": "100",
        "f1_field": "status", "f1_op": "in", "f1_value": "won, lost",
        "filter_logic": "1 AND 2", "g0_field": "status", "s0_agg": "sum", "s0_field": "amount",
        "x0_label": "Average", "x0_expr": "amount__sum / count", "chart": "pie",
    }  # fmt: skip
    preview = client.post(reverse("report_preview"), form).content.decode()
    assert "$750.50" in preview and "250.167" in preview  # written for the reader
    broken = client.post(reverse("report_preview"), {**form, "filter_logic": "1 AND (2"})
    assert "not closed" in broken.content.decode()
    response = client.post(reverse("report_new") + "?type=deals", form)
    assert response.status_code == 302
    with tenant_scope(tenant):
        report = Report.objects.get(name="By status")
    assert report.spec["filters"][1] == {"field": "status", "op": "in", "value": ["won", "lost"]}
    edit = client.get(reverse("report_edit", args=[report.pk])).content.decode()
    assert 'value="amount__sum / count"' in edit
    bad = client.post(reverse("report_edit", args=[report.pk]), {**form, "g0_field": "colour"})
    assert bad.status_code == 200 and "colour" in bad.content.decode()


def test_export_streams_the_rows_as_csv(client, team):
    _tenant, admin, _ann, _bob, shared = team
    response = login(client, admin).get(reverse("report_export", args=[shared.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "Title,Amount,Owner" and len(text.splitlines()) == 4


def test_another_workspaces_report_is_a_404(client, team, other_workspace):
    _tenant_b, admin_b = other_workspace
    shared = team[4]
    login(client, admin_b)
    for name in ("report_run", "report_edit", "report_export"):
        assert client.get(reverse(name, args=[shared.pk])).status_code == 404
    assert client.post(reverse("report_delete", args=[shared.pk])).status_code == 404
    assert "Won by manager" not in client.get(reverse("reports")).content.decode()


def test_the_designer_groups_by_a_bucket(client, team):
    _tenant, admin, *_rest = team
    login(client, admin)
    form = {"report_type": "deals", "b_label": "Size", "b_field": "amount",
            "b_bands": "Small < 200, Big", "g0_field": "band",
            "s0_agg": "sum", "s0_field": "amount"}  # fmt: skip
    preview = client.post(reverse("report_preview"), form).content.decode()
    assert "Small" in preview and "Big" in preview and "150.00" in preview
    assert "650.50" in preview  # 250.50 + 400: the won deals of 200 and above, open B2 is Small
    response = client.post(reverse("report_new") + "?type=deals", {**form, "name": "Sizes"})
    assert response.status_code == 302
    edit = client.get(response["Location"].replace("/reports/", "/reports/").rstrip("/") + "/edit/")
    assert 'value="Small &lt; 200, Big"' in edit.content.decode()


def test_the_list_and_designer_cost_a_constant_number_of_queries(
    client, team, django_assert_max_num_queries
):
    tenant, admin, *_rest = team
    with tenant_scope(tenant, admin.user):
        folder = services.folder_save(actor=admin, name="Team", is_shared=True)
        for n in range(15):
            services.report_create(actor=admin, name=f"R{n}", report_type="deals", folder=folder,
                                   definition={"columns": ["title"]})  # fmt: skip
    login(client, admin)
    client.get(reverse("reports"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reports")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("report_new"), {"type": "deals"}).status_code == 200


def test_a_report_naming_a_field_gone_since_says_so_on_its_page(client, team):
    tenant, admin, *_rest = team
    with tenant_scope(tenant, admin.user):
        from contacts import services as contact_services

        field = contact_services.custom_field_save(
            actor=admin, object_type="deal", key="tier", label="Tier", field_type="text"
        )
        report = services.report_create(actor=admin, name="Tiers", report_type="deals",
                                        definition={"group_by": ["cf_tier"]})  # fmt: skip
        field.delete()
    page = login(client, admin).get(reverse("report_run", args=[report.pk]))
    assert page.status_code == 200
    assert 'data-testid="report-problems"' in page.content.decode()
    assert "cf_tier" in page.content.decode()


def test_workspaces_made_before_reports_get_their_grants(workspace):
    import importlib

    from django.apps import apps

    from crm.accounts.models import Role

    tenant, _admin = workspace
    with tenant_scope(tenant):
        for role in Role.objects.all():
            role.grants = {k: v for k, v in role.grants.items() if k != "report"}
            role.save(update_fields=["grants"])
    migration = importlib.import_module("reports.migrations.0002_existing_workspaces")
    migration.forwards(apps, None)
    with tenant_scope(tenant):
        grants = {r.key: r.grants.get("report") for r in Role.objects.all()}
    assert grants["manager"] == {"actions": ["view", "create", "edit", "delete", "export"],
                                 "visibility": "own"}  # fmt: skip
    assert grants["admin"]["visibility"] == "all"


def test_the_report_pages_speak_russian(client, team):
    _tenant, admin, _ann, _bob, shared = team
    admin.user.language = "ru"
    admin.user.save(update_fields=["language"])
    login(client, admin)
    designer = client.get(reverse("report_new")).content.decode()
    assert "Новый отчёт" in designer and "Логика фильтров" in designer
    assert "Перекрёстные фильтры" in designer
    run_page = client.get(reverse("report_run", args=[shared.pk])).content.decode()
    assert "Количество" in run_page and "Сумма: " in run_page
