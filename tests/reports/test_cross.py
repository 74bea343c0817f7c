"""Cross filters: "companies without deals", "deals with invoices overdue", "contacts with /
without open deals", compiled to EXISTS / NOT EXISTS over the related type's records as the
viewer sees them, counted by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.models import Company, Contact
from crm.activity.models import Task
from crm.tenancy.context import tenant_scope
from deals.models import Deal, DealContact
from invoices.models import Invoice
from pipelines.models import Stage
from reports import spec, types
from reports.compiler import Compiler
from tests.conftest import add_member, api_client, make_user


def run(membership, type_key, definition, **kw):
    rt = types.get(type_key)
    with tenant_scope(membership.tenant):
        cleaned = spec.clean(definition, rt.fields(), rt.relations())
        return Compiler(rt, cleaned, membership, "UTC").run(**kw)


def _deal(owner, title, status="open", company=None, amount="100"):
    stage = Stage.objects.filter(pipeline__name="Sales").order_by("position").first()
    return Deal.objects.create(
        title=title, amount=Decimal(amount), status=status, owner=owner, company=company,
        pipeline=stage.pipeline, stage=stage,
    )  # fmt: skip


@pytest.fixture
def book(workspace):
    """Acme has Ann's open deal (an overdue invoice, a task) and Bob's won one; Beta has Bob's
    lost deal; Gamma has none. Contacts: Kim on Ann's open deal, Lou on Bob's lost one, Max
    on none."""
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    with tenant_scope(tenant):
        acme = Company.objects.create(name="Acme", owner=admin.user)
        beta = Company.objects.create(name="Beta", owner=admin.user)
        Company.objects.create(name="Gamma", owner=admin.user)
        a1 = _deal(ann.user, "A1", company=acme)
        b1 = _deal(bob.user, "B1", "won", company=acme)
        b2 = _deal(bob.user, "B2", "lost", company=beta)
        _deal(ann.user, "A2")  # no company, no invoice
        kim = Contact.objects.create(first_name="Kim", owner=admin.user, company=acme)
        lou = Contact.objects.create(first_name="Lou", owner=admin.user, company=beta)
        Contact.objects.create(first_name="Max", owner=admin.user)
        DealContact.objects.create(deal=a1, contact=kim)
        DealContact.objects.create(deal=b2, contact=lou)
        past = timezone.localdate() - datetime.timedelta(days=10)
        future = timezone.localdate() + datetime.timedelta(days=10)
        Invoice.objects.create(deal=a1, currency="USD", status="issued", due_date=past,
                               total=Decimal("50"))  # fmt: skip
        Invoice.objects.create(deal=b1, currency="USD", status="issued", due_date=future,
                               total=Decimal("70"))  # fmt: skip
        Invoice.objects.create(deal=b2, currency="USD", status="issued", due_date=past,
                               payment_status="paid", total=Decimal("90"))  # fmt: skip
        Task.objects.create(title="Call Acme", assignee=ann.user, object_type="deal",
                            object_id=a1.pk)  # fmt: skip
    return tenant, admin, ann, bob


def names(result, key="name"):
    return sorted(r[key] for r in result.rows)


def test_companies_without_deals(book):
    _tenant, admin, _ann, _bob = book
    result = run(admin, "companies", {
        "columns": ["name"], "filters": [{"cross": "deals", "with": False}],
    })  # fmt: skip
    assert names(result) == ["Gamma"]
    result = run(admin, "companies", {"columns": ["name"], "filters": [{"cross": "deals"}]})
    assert names(result) == ["Acme", "Beta"]


def test_deals_with_invoices_overdue(book):
    _tenant, admin, _ann, _bob = book
    overdue = {"cross": "invoices", "with": True,
               "filters": [{"field": "overdue", "op": "eq", "value": True}]}  # fmt: skip
    assert names(run(admin, "deals", {"columns": ["title"], "filters": [overdue]}), "title") == [
        "A1"
    ]
    # Filter logic numbers cross filters like any other: won deals OR with an overdue invoice.
    result = run(admin, "deals", {
        "columns": ["title"],
        "filters": [{"field": "status", "op": "eq", "value": "won"}, overdue],
        "filter_logic": "1 OR 2",
    })  # fmt: skip
    assert names(result, "title") == ["A1", "B1"]


def test_contacts_with_and_without_open_deals(book):
    _tenant, admin, _ann, _bob = book
    open_deals = [{"field": "status", "op": "eq", "value": "open"}]
    with_open = run(admin, "contacts", {
        "columns": ["first_name"], "filters": [{"cross": "deals", "filters": open_deals}],
    })  # fmt: skip
    assert names(with_open, "first_name") == ["Kim"]
    without_open = run(admin, "contacts", {
        "columns": ["first_name"],
        "filters": [{"cross": "deals", "with": False, "filters": open_deals}],
    })  # fmt: skip
    assert names(without_open, "first_name") == ["Lou", "Max"]


def test_deals_with_tasks(book):
    _tenant, admin, _ann, _bob = book
    result = run(admin, "deals", {"columns": ["title"], "filters": [{"cross": "tasks"}]})
    assert names(result, "title") == ["A1"]


def test_a_cross_filter_reads_the_related_records_as_the_viewer_sees_them(book):
    """Ann (own visibility) sees her deals only: to her, Bob's deals do not exist, so her
    "deals with invoices" has only her own, and her count of "with a won deal" is none."""
    _tenant, _admin, ann, _bob = book
    result = run(ann, "deals", {"columns": ["title"], "filters": [{"cross": "invoices"}]})
    assert names(result, "title") == ["A1"]
    summary = run(ann, "deals", {
        "filters": [{"cross": "invoices", "with": False}], "summaries": [{"agg": "count"}],
    })  # fmt: skip
    assert summary.groups[0]["count"] == 1  # A2: her other deal, which has no invoice


def test_a_summary_with_a_cross_filter_is_one_query(book, django_assert_max_num_queries):
    _tenant, admin, _ann, _bob = book
    rt = types.get("companies")
    with tenant_scope(admin.tenant):
        cleaned = spec.clean({
            "filters": [{"cross": "deals", "filters": [
                {"field": "status", "op": "eq", "value": "won"}]}],
            "group_by": ["name"], "summaries": [{"agg": "count"}],
        }, rt.fields(), rt.relations())  # fmt: skip
        with django_assert_max_num_queries(1):
            result = Compiler(rt, cleaned, admin, "UTC").run()
    assert [g["key"] for g in result.groups] == [{"name": "Acme"}]


@pytest.mark.parametrize(
    ("cross", "expected"),
    [
        ({"cross": "widgets"}, 'unknown related type "widgets"'),
        ({"cross": "deals", "with": "maybe"}, '"with" is true or false'),
        ({"cross": "deals", "filters": [{"field": "nope", "op": "eq", "value": 1}]},
         'Unknown field "nope"'),
        ({"cross": "deals", "filters": [{"cross": "invoices"}]}, "cannot hold another"),
    ],
)  # fmt: skip
def test_a_bad_cross_filter_is_a_400_naming_it(book, cross, expected):
    _tenant, admin, _ann, _bob = book
    response = api_client(admin).post("/api/v1/reports/", {
        "name": "x", "report_type": "companies", "columns": ["name"], "filters": [cross],
    }, format="json")  # fmt: skip
    assert response.status_code == 400
    messages = " ".join(response.json()["error"]["fields"]["filters"])
    assert expected in messages and "Filter 1" in messages


def test_the_api_saves_and_runs_a_cross_filter(book, other_workspace):
    _tenant, admin, _ann, _bob = book
    client = api_client(admin)
    created = client.post("/api/v1/reports/", {
        "name": "Without deals", "report_type": "companies", "columns": ["name"],
        "filters": [{"cross": "deals", "with": False}],
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["filters"] == [{"cross": "deals", "with": False, "filters": []}]
    body = client.get(f"/api/v1/reports/{created.json()['id']}/run/").json()
    assert [r["name"] for r in body["rows"]] == ["Gamma"]
    # Another workspace's member reaches neither the report nor, through a cross filter of
    # its own, these records.
    other = api_client(other_workspace[1])
    assert other.get(f"/api/v1/reports/{created.json()['id']}/run/").status_code == 404
    preview = other.post("/api/v1/reports/preview/", {
        "report_type": "companies", "columns": ["name"],
        "filters": [{"cross": "deals", "with": False}],
    }, format="json").json()  # fmt: skip
    assert preview["rows"] == []


def test_report_types_list_their_relations(book):
    body = api_client(book[1]).get("/api/v1/report-types/").json()
    companies = next(t for t in body["results"] if t["key"] == "companies")
    assert {"deals", "contacts", "invoices", "tasks"} <= {r["key"] for r in companies["relations"]}


def test_the_designer_builds_a_cross_filter(client, book):
    from django.urls import reverse

    from reports.models import Report
    from tests.conftest import login

    tenant, admin, _ann, _bob = book
    login(client, admin)
    page = client.get(reverse("report_new"), {"type": "companies"}).content.decode()
    assert 'data-testid="cross-filters"' in page and 'name="c0_rel"' in page
    form = {"report_type": "companies", "columns": ["name"], "c0_with": "0", "c0_rel": "deals",
            "c0_field": "status", "c0_op": "eq", "c0_value": "won"}  # fmt: skip
    preview = client.post(reverse("report_preview"), form).content.decode()
    assert "Beta" in preview and "Gamma" in preview and "Acme" not in preview
    response = client.post(reverse("report_new"), {**form, "name": "No wins"})
    assert response.status_code == 302
    with tenant_scope(tenant):
        report = Report.objects.get(name="No wins")
    assert report.spec["filters"] == [{"cross": "deals", "with": False, "filters": [
        {"field": "status", "op": "eq", "value": "won"}]}]  # fmt: skip
    edit = client.get(reverse("report_edit", args=[report.pk])).content.decode()
    assert '<option value="0" selected>' in edit and '<option value="deals" selected>' in edit
