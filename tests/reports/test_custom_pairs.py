"""Custom report types with one row per (primary, related) pair: companies with or without
deals, a row per company and deal, the deal's fields real columns (grouped, summed); a
company without deals is one row with empty deal fields ("with or without"), or none
("with"); a manager sees only the deals she may see; at most two queries; the API and the
admin's page; tasks (no join from the primary) are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.models import Company
from crm.tenancy.context import tenant_scope
from deals.models import Deal
from pipelines.models import Stage
from reports import custom_types, spec, types
from reports.compiler import Compiler
from reports.models import CustomReportType
from tests.conftest import add_member, api_client, login, make_user


def _deal(owner, title, amount, company):
    stage = Stage.objects.filter(pipeline__name="Sales").order_by("position").first()
    return Deal.objects.create(title=title, amount=Decimal(amount), owner=owner, company=company,
                               pipeline=stage.pipeline, stage=stage)  # fmt: skip


@pytest.fixture
def book(workspace):
    """Ann's Acme has her A1 (100) and Bob's B1 (7); the admin's Empty Co has no deal."""
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    with tenant_scope(tenant, admin.user):
        acme = Company.objects.create(name="Acme", owner=ann.user)
        Company.objects.create(name="Empty Co", owner=admin.user)
        _deal(ann.user, "A1", "100", acme)
        _deal(bob.user, "B1", "7", acme)
        pairs = custom_types.custom_type_save(
            actor=admin, name="Companies and deals", primary="companies",
            related=[{"relation": "deals", "with": False}], rows="pairs",
        )  # fmt: skip
    return tenant, admin, ann, bob, pairs


def _n(value):
    return None if value is None else Decimal(str(value))


def run(membership, key, definition, **kw):
    with tenant_scope(membership.tenant):
        rt = types.get(key)
        cleaned = spec.clean(definition, rt.fields(), rt.relations())
        return Compiler(rt, cleaned, membership, "UTC").run(**kw)


def test_one_row_per_pair_and_one_for_a_company_without_deals(book):
    _tenant, admin, _ann, _bob, pairs = book
    assert pairs.related == [{"relation": "deals", "with": False, "pairs": True}]
    result = run(admin, pairs.key, {"columns": ["name", "deals.title", "deals.amount"]})
    got = sorted((r["name"], r["deals.title"], r["deals.amount"]) for r in result.rows)
    assert got == [("Acme", "A1", "100.00"), ("Acme", "B1", "7.00"), ("Empty Co", None, None)]
    assert result.total_rows == 3


def test_the_related_fields_group_and_sum_in_at_most_two_queries(
    book, django_assert_max_num_queries
):
    _tenant, admin, _ann, _bob, pairs = book
    definition = {"columns": ["name", "deals.title"], "group_by": ["deals.owner"],
                  "summaries": [{"field": "deals.amount", "agg": "sum"}]}  # fmt: skip
    with tenant_scope(admin.tenant):
        rt = types.get(pairs.key)
        assert rt.fields()["deals.owner"].groupable
        cleaned = spec.clean(definition, rt.fields(), rt.relations())
        with django_assert_max_num_queries(2):
            result = Compiler(rt, cleaned, admin, "UTC").run()
    groups = {g["labels"]["deals.owner"]: (g["count"], _n(g["values"]["deals.amount__sum"]))
              for g in result.groups}  # fmt: skip
    assert groups == {"Ann Lee": (1, Decimal(100)), "Bob Ray": (1, Decimal(7)), None: (1, None)}
    assert _n(result.totals["deals.amount__sum"]) == Decimal(107)


def test_with_drops_the_company_without_deals(book):
    tenant, admin, *_rest = book
    with tenant_scope(tenant, admin.user):
        inner = custom_types.custom_type_save(
            actor=admin, name="Companies with deals", primary="companies",
            related=[{"relation": "deals", "with": True, "pairs": True}],
        )  # fmt: skip
    result = run(admin, inner.key, {"columns": ["name", "deals.title"]})
    got = sorted((r["name"], r["deals.title"]) for r in result.rows)
    assert got == [("Acme", "A1"), ("Acme", "B1")]


def test_a_manager_pairs_only_the_deals_she_sees(book):
    _tenant, _admin, ann, _bob, pairs = book
    result = run(ann, pairs.key, {"columns": ["name", "deals.title"],
                                  "summaries": [{"field": "deals.amount", "agg": "sum"}],
                                  "group_by": ["name"]})  # fmt: skip
    titles = {r["deals.title"] for r in result.rows}
    assert "B1" not in titles and "A1" in titles
    # Bob's deal gives no row of its own: Acme is one row (A1), not two.
    assert sum(1 for r in result.rows if r["name"] == "Acme") == 1
    assert _n(result.totals["deals.amount__sum"]) == Decimal(100)


def test_tasks_cannot_give_pairs_and_only_one_relation_can(book):
    tenant, admin, *_rest = book
    with tenant_scope(tenant, admin.user), pytest.raises(ValidationError) as caught:
        custom_types.custom_type_save(actor=admin, name="X", primary="deals",
                                      related=[{"relation": "tasks"}], rows="pairs")  # fmt: skip
    assert "tasks" in str(caught.value.message_dict["rows"])
    with tenant_scope(tenant, admin.user), pytest.raises(ValidationError) as caught:
        custom_types.custom_type_save(
            actor=admin, name="X", primary="companies", related=[
                {"relation": "deals", "pairs": True}, {"relation": "contacts", "pairs": True}],
        )  # fmt: skip
    assert "rows" in caught.value.message_dict


def test_the_api_and_the_admin_page(book, client):
    tenant, admin, _ann, bob, pairs = book
    api = api_client(admin)
    made = api.post("/api/v1/custom-report-types/", {
        "name": "Deals and invoices", "primary": "deals", "rows": "pairs",
        "related": [{"relation": "invoices", "with": False}]}, format="json")  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["rows"] == "pairs"
    bad = api.post("/api/v1/custom-report-types/", {
        "name": "Deals and tasks", "primary": "deals", "rows": "pairs",
        "related": [{"relation": "tasks"}]}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "tasks" in bad.content.decode()
    listed = {t["key"]: t for t in api.get("/api/v1/report-types/").json()["results"]}
    assert listed[pairs.key]["rows"] == "pairs" and listed["deals"]["rows"] == "primary"
    keys = {f["key"]: f for f in listed[pairs.key]["fields"]}
    assert keys["deals.owner"]["groupable"] and keys["deals.amount"]["summable"]
    report = api.post("/api/v1/reports/", {"name": "By deal owner", "report_type": pairs.key,
                      "group_by": ["deals.owner"], "summaries": [
                          {"field": "deals.amount", "agg": "sum"}]}, format="json")  # fmt: skip
    assert report.status_code == 201, report.content
    # The admin's page: one row per pair, chosen by the radio of the related row.
    login(client, admin)
    page = client.get(reverse("report_type_edit", args=[pairs.pk])).content.decode()
    assert 'name="pairs" value="0" checked' in page
    response = client.post(reverse("report_type_edit", args=[pairs.pk]), {
        "name": "Companies and deals", "primary": "companies", "r0_relation": "deals",
        "r0_with": "0", "pairs": ""})  # fmt: skip
    assert response.status_code == 302
    with tenant_scope(tenant):
        assert CustomReportType.objects.get(pk=pairs.pk).rows == "primary"
    # Bob, a manager, builds no types.
    assert api_client(bob).post("/api/v1/custom-report-types/", {
        "name": "Mine", "primary": "companies", "rows": "pairs",
        "related": [{"relation": "deals"}]}, format="json").status_code == 403  # fmt: skip
