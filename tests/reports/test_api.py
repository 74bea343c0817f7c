"""The API contract of report types and reports, checked as an outside client would."""

from __future__ import annotations

import pytest

from contacts import services as contact_services
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, api_client, make_user

from .helpers import at, make_deals

CONTRACT = {
    "name": "Won by manager",
    "report_type": "deals",
    "columns": ["title", "amount"],
    "filters": [{"field": "status", "op": "eq", "value": "won"}],
    "group_by": ["owner"],
    "summaries": [{"field": "amount", "agg": "sum"}],
}


@pytest.fixture
def team(workspace):
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    make_deals(tenant, [
        (ann.user, "100.00", "won", at(2026, 1), "A1"),
        (ann.user, "250.50", "won", at(2026, 2), "A2"),
        (bob.user, "400.00", "won", at(2026, 2), "B1"),
        (bob.user, "50.00", "open", None, "B2"),
    ])  # fmt: skip
    return tenant, admin, ann, bob


def test_report_types_list_their_fields(workspace):
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        contact_services.custom_field_save(
            actor=admin, object_type="deal", key="segment", label="Segment", field_type="select",
            options=["SMB", "Enterprise"],
        )  # fmt: skip
    body = api_client(admin).get("/api/v1/report-types/").json()
    deals = next(t for t in body["results"] if t["key"] == "deals")
    fields = {f["key"]: f for f in deals["fields"]}
    for key in ("title", "amount", "status", "owner", "won_at", "company.name", "cf_segment"):
        assert {"key", "label", "type", "groupable", "summable"} <= set(fields[key])
    assert fields["amount"]["summable"] and fields["owner"]["groupable"]
    assert fields["cf_segment"]["groupable"] and fields["company.name"]["label"]
    assert {"contacts", "companies", "tasks", "invoices"} <= {t["key"] for t in body["results"]}


def test_report_types_show_no_other_workspaces_custom_fields(workspace, other_workspace):
    tenant_b, admin_b = other_workspace
    with tenant_scope(tenant_b, admin_b.user):
        contact_services.custom_field_save(
            actor=admin_b, object_type="deal", key="globex_secret", label="Globex secret",
            field_type="text",
        )  # fmt: skip
    body = api_client(workspace[1]).get("/api/v1/report-types/").content.decode()
    assert "globex_secret" not in body and "Globex secret" not in body


def test_save_and_run_the_contract_report(team):
    _tenant, admin, ann, _bob = team
    client = api_client(admin)
    response = client.post("/api/v1/reports/", CONTRACT, format="json")
    assert response.status_code == 201, response.content
    report = response.json()
    assert report["report_type"] == "deals" and report["group_by"] == ["owner"]
    body = client.get(f"/api/v1/reports/{report['id']}/run/").json()
    groups = {g["labels"]["owner"]: g for g in body["groups"]}
    assert groups["Ann Lee"]["key"] == {"owner": ann.user_id}  # people by id, as the API has them
    assert groups["Ann Lee"]["values"] == {"amount__sum": "350.50"}
    assert groups["Ann Lee"]["count"] == 2
    assert groups["Bob Ray"]["values"] == {"amount__sum": "400.00"}
    assert body["total_rows"] == 3
    assert sorted(r["title"] for r in body["rows"]) == ["A1", "A2", "B1"]
    assert {"id", "title", "amount"} == set(body["rows"][0])


def test_a_field_the_type_does_not_have_is_a_400_naming_it(team):
    client = api_client(team[1])
    response = client.post(
        "/api/v1/reports/", {**CONTRACT, "columns": ["title", "colour"]}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "colour" in " ".join(error["fields"]["columns"])
    bad_logic = {**CONTRACT, "filter_logic": "1 AND (2"}
    response = client.post("/api/v1/reports/", bad_logic, format="json")
    assert response.status_code == 400 and "filter_logic" in response.json()["error"]["fields"]
    response = client.post("/api/v1/reports/", {**CONTRACT, "report_type": "ships"}, format="json")
    assert response.status_code == 400 and "ships" in str(response.json())


def test_a_field_gone_since_saving_is_a_message_not_a_500(team):
    tenant, admin, _ann, _bob = team
    with tenant_scope(tenant, admin.user):
        field = contact_services.custom_field_save(
            actor=admin, object_type="deal", key="tier", label="Tier", field_type="text"
        )
    client = api_client(admin)
    report = client.post(
        "/api/v1/reports/", {**CONTRACT, "columns": ["title", "cf_tier"]}, format="json"
    ).json()
    with tenant_scope(tenant):
        field.delete()
    response = client.get(f"/api/v1/reports/{report['id']}/run/")
    assert response.status_code == 400 and "cf_tier" in response.json()["error"]["message"]


def test_list_update_delete_private_and_shared(team):
    _tenant, _admin, ann, bob = team
    ann_client, bob_client = api_client(ann), api_client(bob)
    folder = ann_client.post("/api/v1/report-folders/", {"name": "Mine"}, format="json").json()
    private = ann_client.post(
        "/api/v1/reports/", {**CONTRACT, "name": "Private", "folder": folder["id"]}, format="json"
    ).json()
    shared = ann_client.post(
        "/api/v1/reports/", {**CONTRACT, "name": "Shared", "is_shared": True}, format="json"
    ).json()
    assert private["folder"] == folder["id"]
    names = {r["name"] for r in bob_client.get("/api/v1/reports/").json()["results"]}
    assert names == {"Shared"}
    assert bob_client.get(f"/api/v1/reports/{private['id']}/").status_code == 404
    assert bob_client.get(f"/api/v1/reports/{private['id']}/run/").status_code == 404
    assert bob_client.get(f"/api/v1/report-folders/{folder['id']}/").status_code == 404
    # Bob runs Ann's shared report and sees his own numbers only.
    body = bob_client.get(f"/api/v1/reports/{shared['id']}/run/").json()
    assert [(g["labels"]["owner"], g["values"]["amount__sum"]) for g in body["groups"]] == [
        ("Bob Ray", "400.00")
    ]
    assert bob_client.patch(f"/api/v1/reports/{shared['id']}/", {"name": "Mine now"},
                            format="json").status_code == 404  # fmt: skip
    assert bob_client.delete(f"/api/v1/reports/{shared['id']}/").status_code == 404
    response = ann_client.patch(
        f"/api/v1/reports/{shared['id']}/", {"group_by": ["won_at:month"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["group_by"] == ["won_at:month"]
    assert response.json()["summaries"] == [{"field": "amount", "agg": "sum"}]
    found = ann_client.get("/api/v1/reports/", {"q": "priv"}).json()["results"]
    assert [r["name"] for r in found] == ["Private"]
    assert ann_client.delete(f"/api/v1/reports/{private['id']}/").status_code == 204


def test_another_workspaces_report_is_a_404(team, other_workspace):
    _tenant_b, admin_b = other_workspace
    theirs = (
        api_client(admin_b)
        .post("/api/v1/reports/", {**CONTRACT, "is_shared": True}, format="json")
        .json()
    )
    client = api_client(team[1])
    missing = client.get("/api/v1/reports/987654321/run/").json()
    response = client.get(f"/api/v1/reports/{theirs['id']}/run/")
    assert response.status_code == 404 and response.json() == missing
    assert client.get(f"/api/v1/reports/{theirs['id']}/").status_code == 404
    assert client.get(f"/api/v1/reports/{theirs['id']}/export/").status_code == 404


def test_preview_drill_and_export(team):
    _tenant, admin, _ann, _bob = team
    client = api_client(admin)
    body = client.post("/api/v1/reports/preview/", CONTRACT, format="json").json()
    ann_group = next(g for g in body["groups"] if g["labels"]["owner"] == "Ann Lee")
    report = client.post("/api/v1/reports/", CONTRACT, format="json").json()
    import json

    drilled = client.get(
        f"/api/v1/reports/{report['id']}/run/", {"drill": json.dumps(ann_group["key"])}
    ).json()
    assert sorted(r["title"] for r in drilled["rows"]) == ["A1", "A2"]
    response = client.get(f"/api/v1/reports/{report['id']}/export/")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "Title,Amount" and len(text.splitlines()) == 4
    response = client.get(f"/api/v1/reports/{report['id']}/export/", {"file_format": "xlsx"})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')


def test_run_costs_a_constant_number_of_queries(team, django_assert_max_num_queries):
    _tenant, admin, _ann, _bob = team
    client = api_client(admin)
    report = client.post("/api/v1/reports/", CONTRACT, format="json").json()
    client.get(f"/api/v1/reports/{report['id']}/run/")
    with django_assert_max_num_queries(12):
        client.get(f"/api/v1/reports/{report['id']}/run/")


@pytest.mark.django_db
def test_a_shared_report_shows_a_manager_nothing_of_a_colleagues_records(workspace):
    """The admin's shared report over every deal, with the company's fields: the viewer
    (own visibility) runs it and exports it, and the colleague's records never appear."""
    from tests.isolation.scenario import CANARY, build

    tenant, admin = workspace
    s = build(tenant, admin)
    with tenant_scope(tenant, admin.user):
        from reports import services as report_services

        report = report_services.report_create(
            actor=admin, name="Everything", report_type="deals", is_shared=True,
            definition={"columns": ["title", "company.name", "owner", "amount"],
                        "group_by": ["owner", "company.name"],
                        "summaries": [{"field": "amount", "agg": "sum"}]},
        )  # fmt: skip
    client = api_client(s.viewer)
    for url in (f"/api/v1/reports/{report.pk}/run/", f"/api/v1/reports/{report.pk}/export/"):
        response = client.get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert CANARY not in body.decode().lower()
    admin_view = api_client(admin).get(f"/api/v1/reports/{report.pk}/run/").content.decode()
    assert CANARY in admin_view.lower()  # the admin does see it: the walls are the viewer's
