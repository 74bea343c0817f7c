"""Custom report types: a primary type with related ones, "with" or "with or without", its
related fields read as the viewer sees them, the admin's page, and the walls between
workspaces and colleagues."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from crm.activity.models import Task
from crm.tenancy.context import tenant_scope
from deals.models import Deal
from pipelines.models import Stage
from reports import custom_types, spec, types
from reports.compiler import Compiler
from reports.models import CustomReportType
from tests.conftest import add_member, api_client, login, make_user


def _deal(owner, title, amount="100"):
    stage = Stage.objects.filter(pipeline__name="Sales").order_by("position").first()
    return Deal.objects.create(title=title, amount=Decimal(amount), owner=owner,
                               pipeline=stage.pipeline, stage=stage)  # fmt: skip


@pytest.fixture
def book(workspace):
    """Ann's A1 has her "Call" and Bob's "Email" on it; Ann's A2 has none; Bob's B1 has his
    "Visit". A custom type: deals with or without tasks."""
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    with tenant_scope(tenant, admin.user):
        a1, _a2, b1 = (
            _deal(ann.user, "A1", "100"),
            _deal(ann.user, "A2", "30"),
            _deal(bob.user, "B1", "7"),
        )
        for title, who, deal in (("Call", ann, a1), ("Email", bob, a1), ("Visit", bob, b1)):
            Task.objects.create(title=title, assignee=who.user, object_type="deal",
                                object_id=deal.pk)  # fmt: skip
        outer = custom_types.custom_type_save(
            actor=admin, name="Deals with or without tasks", primary="deals",
            related=[{"relation": "tasks", "with": False}],
        )  # fmt: skip
    return tenant, admin, ann, bob, outer


def run(membership, key, definition, **kw):
    with tenant_scope(membership.tenant):
        rt = types.get(key)
        cleaned = spec.clean(definition, rt.fields(), rt.relations())
        return Compiler(rt, cleaned, membership, "UTC").run(**kw)


def by_title(result):
    return {r["title"]: r for r in result.rows}


def test_with_or_without_keeps_every_primary_record_and_joins_the_related_fields(book):
    _tenant, admin, _ann, _bob, outer = book
    rows = by_title(run(admin, outer.key, {"columns": ["title", "tasks.title", "tasks.count"]}))
    assert set(rows) == {"A1", "A2", "B1"}
    assert sorted(rows["A1"]["tasks.title"].split(", ")) == ["Call", "Email"]
    assert rows["A1"]["tasks.count"] == 2 and rows["A2"]["tasks.count"] == 0
    assert rows["A2"]["tasks.title"] is None


def test_with_keeps_only_primary_records_that_have_related_ones(book):
    tenant, admin, *_rest = book
    with tenant_scope(tenant, admin.user):
        inner = custom_types.custom_type_save(
            actor=admin, name="Deals with tasks", primary="deals",
            related=[{"relation": "tasks", "with": True}],
        )  # fmt: skip
    assert set(by_title(run(admin, inner.key, {"columns": ["title"]}))) == {"A1", "B1"}


def test_a_manager_sees_her_own_records_and_related_records_only(book):
    """Ann (own visibility) sees her deals, and on A1 only her own task: Bob's "Email" is not
    hers to see, nor counted; "with" tasks keeps A1 (her task) but drops nothing of Bob's
    into her numbers."""
    _tenant, _admin, ann, _bob, outer = book
    rows = by_title(run(ann, outer.key, {"columns": ["title", "tasks.title", "tasks.count"]}))
    assert set(rows) == {"A1", "A2"}
    assert rows["A1"]["tasks.title"] == "Call" and rows["A1"]["tasks.count"] == 1
    summary = run(ann, outer.key, {"summaries": [{"field": "tasks.count", "agg": "sum"},
                                                 {"field": "amount", "agg": "sum"}]})  # fmt: skip
    assert summary.groups[0]["values"] == {"tasks.count__sum": 1, "amount__sum": "130.00"}


def test_a_summary_over_a_custom_type_is_at_most_two_queries(book, django_assert_max_num_queries):
    _tenant, admin, _ann, _bob, outer = book
    with tenant_scope(admin.tenant):
        rt = types.get(outer.key)
        cleaned = spec.clean({"columns": ["title", "tasks.title"], "group_by": ["owner"],
                              "summaries": [{"field": "tasks.count", "agg": "sum"}],
                              "filters": [{"field": "tasks.title", "op": "is_empty",
                                           "value": False}]},
                             rt.fields(), rt.relations())  # fmt: skip
        with django_assert_max_num_queries(2):
            result = Compiler(rt, cleaned, admin, "UTC").run()
    counts = {g["labels"]["owner"]: g["values"]["tasks.count__sum"] for g in result.groups}
    assert {k: int(v) for k, v in counts.items()} == {"Ann Lee": 2, "Bob Ray": 1}


def test_the_api_lists_it_beside_the_built_in_types_and_saves_reports_on_it(book):
    _tenant, admin, _ann, _bob, outer = book
    client = api_client(admin)
    listed = {t["key"]: t for t in client.get("/api/v1/report-types/").json()["results"]}
    custom = listed[outer.key]
    assert custom["custom"] and not listed["deals"]["custom"]
    assert custom["label"] == "Deals with or without tasks"
    keys = {f["key"] for f in custom["fields"]}
    assert {"title", "amount", "tasks.title", "tasks.count", "tasks.due_at"} <= keys
    created = client.post("/api/v1/reports/", {
        "name": "Tasks per deal", "report_type": outer.key,
        "columns": ["title", "tasks.count"], "sort": {"field": "tasks.count", "desc": True},
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    body = client.get(f"/api/v1/reports/{created.json()['id']}/run/").json()
    assert body["rows"][0]["title"] == "A1"
    bad = client.post(
        "/api/v1/reports/",
        {"name": "x", "report_type": outer.key, "columns": ["tasks.colour"]},
        format="json",
    )
    assert bad.status_code == 400 and "tasks.colour" in str(bad.json())


def test_another_workspace_neither_sees_nor_uses_it(book, other_workspace, client):
    _tenant, _admin, _ann, _bob, outer = book
    _tenant_b, admin_b = other_workspace
    other = api_client(admin_b)
    keys = {t["key"] for t in other.get("/api/v1/report-types/").json()["results"]}
    assert outer.key not in keys
    response = other.post(
        "/api/v1/reports/",
        {"name": "x", "report_type": outer.key, "columns": ["title"]},
        format="json",
    )
    assert response.status_code == 400 and "report_type" in str(response.json())
    login(client, admin_b)
    assert client.get(reverse("report_type_edit", args=[outer.pk])).status_code == 404
    assert client.post(reverse("report_type_delete", args=[outer.pk])).status_code == 404
    assert "Deals with or without tasks" not in client.get(reverse("report_types")).content.decode()
    with tenant_scope(outer.tenant_id):
        assert CustomReportType.objects.filter(pk=outer.pk).exists()


def test_only_admins_build_report_types(book, client):
    tenant, _admin, ann, _bob, outer = book
    with tenant_scope(tenant, ann.user), pytest.raises(PermissionDenied):
        custom_types.custom_type_save(actor=ann, name="Mine", primary="deals", related=[])
    login(client, ann)
    assert client.get(reverse("report_types")).status_code == 403
    assert client.post(reverse("report_type_delete", args=[outer.pk])).status_code == 403
    # A manager uses the admin's type in her reports all the same (as the viewer).
    assert outer.key in {t["key"] for t in api_client(ann).get(
        "/api/v1/report-types/").json()["results"]}  # fmt: skip


def test_a_related_type_that_is_not_related_is_refused_naming_it(book):
    tenant, admin, *_rest = book
    with tenant_scope(tenant, admin.user), pytest.raises(ValidationError) as caught:
        custom_types.custom_type_save(
            actor=admin, name="Bad", primary="deals",
            related=[{"relation": "widgets"}, {"relation": "tasks"}, {"relation": "tasks"}],
        )  # fmt: skip
    messages = " ".join(caught.value.message_dict["related"])
    assert '"widgets"' in messages and "chosen twice" in messages


def test_the_admin_page_builds_changes_and_deletes_a_type(book, client):
    tenant, admin, *_rest = book
    login(client, admin)
    page = client.get(reverse("report_types"), {"primary": "companies"}).content.decode()
    assert "Deals with or without tasks" in page and '<option value="deals">' in page
    assert "Tasks (with or without)" in page  # the relation by its label
    response = client.post(reverse("report_types"), {
        "name": "Companies with deals", "primary": "companies",
        "r0_relation": "deals", "r0_with": "1", "r1_relation": "tasks", "r1_with": "0",
    })  # fmt: skip
    assert response.status_code == 302
    with tenant_scope(tenant):
        row = CustomReportType.objects.get(name="Companies with deals")
    assert row.related == [{"relation": "deals", "with": True},
                           {"relation": "tasks", "with": False}]  # fmt: skip
    edit = client.post(reverse("report_type_edit", args=[row.pk]), {
        "name": "Companies with deals", "primary": "companies", "r0_relation": "deals",
        "r0_with": "0",
    })  # fmt: skip
    assert edit.status_code == 302
    with tenant_scope(tenant):
        row.refresh_from_db()
    assert row.related == [{"relation": "deals", "with": False}]
    designer = client.get(reverse("report_new"), {"type": row.key}).content.decode()
    assert "Deals: Title" in designer
    bad = client.post(reverse("report_types"), {"name": "", "primary": "companies"})
    assert bad.status_code == 200 and 'data-testid="custom-type-errors"' in bad.content.decode()
    assert client.post(reverse("report_type_delete", args=[row.pk])).status_code == 302
    with tenant_scope(tenant):
        assert not CustomReportType.objects.filter(pk=row.pk).exists()


def test_the_api_builds_changes_and_deletes_a_type_for_admins_only(book):
    _tenant, admin, ann, _bob, outer = book
    client = api_client(admin)
    created = client.post("/api/v1/custom-report-types/", {
        "name": "Companies with deals", "primary": "companies",
        "related": [{"relation": "deals", "with": True}],
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    key = created.json()["key"]
    assert key.startswith("custom_") and created.json()["related"] == [
        {"relation": "deals", "with": True}]  # fmt: skip
    bad = client.post("/api/v1/custom-report-types/", {
        "name": "Bad", "primary": "companies", "related": [{"relation": "widgets"}],
    }, format="json")  # fmt: skip
    assert bad.status_code == 400 and '"widgets"' in " ".join(
        bad.json()["error"]["fields"]["related"])  # fmt: skip
    url = f"/api/v1/custom-report-types/{created.json()['id']}/"
    changed = client.patch(url, {"related": [{"relation": "deals", "with": False}]},
                           format="json")  # fmt: skip
    assert changed.status_code == 200 and changed.json()["related"][0]["with"] is False
    manager = api_client(ann)
    assert manager.get("/api/v1/custom-report-types/").status_code == 403
    assert manager.delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    keys = {t["key"] for t in client.get("/api/v1/report-types/").json()["results"]}
    assert key not in keys and outer.key in keys
