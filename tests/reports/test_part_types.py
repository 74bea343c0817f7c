"""The report types of the parts of records: deal line items, stage history, messages (calls
among them), payments, and plan vs fact. Each lists its fields, runs a summary in at most
two queries, and shows a manager with own visibility exactly the rows of their own deals,
conversations and invoices, counted by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.tenancy.context import tenant_scope
from deals.models import LineItem, StageHistory
from integrations.models import Channel, Conversation, Message
from invoices.models import Allocation, Invoice, Payment
from pipelines.models import Stage
from reports import rollups, spec, types
from reports.compiler import Compiler
from reports.plan_models import SalesPlan
from tests.conftest import add_member, api_client, make_user

from .helpers import at, make_deals

NEW_TYPES = ("line_items", "stage_changes", "messages", "payments", "plan_facts")


def run(membership, type_key, definition, **kw):
    rt = types.get(type_key)
    with tenant_scope(membership.tenant):
        cleaned = spec.clean(definition, rt.fields(), rt.relations())
        return Compiler(rt, cleaned, membership, "UTC").run(**kw)


def _moment(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def book(workspace):
    """Ann and Bob, managers with own visibility. Ann: deal A1 (won 100.00 in January 2026)
    with two line items (2 x 10.00 at 10 % off = 18.00; 1 x 5.00 = 5.00), moved Lead ->
    Won after two days; a conversation of three messages, one a 90-second call; an invoice
    paid 60.00 by hand and 40.00 from a bank statement. Bob: deal B1 (won 400.00 in
    February) with one line item (3 x 100.00 = 300.00), created in Lead; a conversation of
    one message; an invoice paid 400.00, a refund of 50.00 later. Plans: Ann January 200.00
    and 2 deals, Bob February 800.00."""
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    a1, b1 = make_deals(tenant, [
        (ann.user, "100.00", "won", at(2026, 1), "A1"),
        (bob.user, "400.00", "won", at(2026, 2), "B1"),
    ])  # fmt: skip
    with tenant_scope(tenant):
        stages = list(Stage.objects.filter(pipeline__name="Sales").order_by("position"))
        lead, won = stages[0], next(s for s in stages if s.kind == Stage.WON)
        LineItem.objects.create(deal=a1, name="Seat", quantity=2, price="10.00", discount=10)
        LineItem.objects.create(deal=a1, name="Setup", quantity=1, price="5.00")
        LineItem.objects.create(deal=b1, name="Seat", quantity=3, price="100.00")
        StageHistory.objects.create(
            deal=a1,
            stage=lead,
            stage_name=lead.name,
            entered_at=_moment(1),
            left_at=_moment(3),
            moved_by=ann.user,
        )
        StageHistory.objects.create(
            deal=a1, stage=won, stage_name=won.name, entered_at=_moment(3), moved_by=ann.user
        )
        StageHistory.objects.create(deal=b1, stage=lead, stage_name=lead.name,
                                    entered_at=_moment(5), moved_by=bob.user)  # fmt: skip
        channel = Channel.objects.create(kind="telegram", name="Support bot")
        mine = Conversation.objects.create(channel=channel, external_chat_id="1", assignee=ann.user)
        theirs = Conversation.objects.create(
            channel=channel, external_chat_id="2", assignee=bob.user
        )
        for direction, kind, meta in (("in", "message", {}), ("out", "message", {}),
                                      ("in", "call", {"duration": 90})):  # fmt: skip
            Message.objects.create(conversation=mine, channel=channel, direction=direction,
                                   kind=kind, meta=meta, author=None)  # fmt: skip
        Message.objects.create(conversation=theirs, channel=channel, direction="in")
        pay = []
        for deal, number, total in ((a1, "INV-1", "100.00"), (b1, "INV-2", "400.00")):
            invoice = Invoice.objects.create(
                deal=deal, number=number, currency="USD", status="issued", total=total,
                client={"name": f"Client of {deal.title}"},
            )  # fmt: skip
            pay.append(invoice)
        for invoice, amount, refund, external in (
            (pay[0], "60.00", False, ""),
            (pay[0], "40.00", False, "bank:abc"),
            (pay[1], "400.00", False, "stripe:pi_1"),
            (pay[1], "50.00", True, ""),
        ):
            payment = Payment.objects.create(
                amount=amount,
                currency="USD",
                is_refund=refund,
                paid_on=dt.date(2026, 2, 1),
                external_id=external,
            )
            Allocation.objects.create(payment=payment, invoice=invoice, amount=amount)
        SalesPlan.objects.create(period="month", start=dt.date(2026, 1, 1), user=ann.user,
                                 amount="200.00", deals=2)  # fmt: skip
        SalesPlan.objects.create(period="month", start=dt.date(2026, 2, 1), user=bob.user,
                                 amount="800.00")  # fmt: skip
        rollups.rebuild(tenant.pk)
    return tenant, admin, ann, bob


def test_the_new_types_are_listed_with_their_fields(book):
    _tenant, admin, _ann, _bob = book
    body = api_client(admin).get("/api/v1/report-types/").json()
    listed = {t["key"]: t for t in body["results"]}
    expected = {
        "line_items": ("product", "quantity", "price", "discount", "total", "deal.title",
                       "deal.owner", "deal.stage"),
        "stage_changes": ("changed_at", "from_stage", "to_stage", "pipeline", "changed_by",
                          "days_in_previous", "days_in_stage", "deal.title", "deal.owner"),
        "messages": ("sent_at", "channel", "direction", "kind", "author", "duration",
                     "conversation.status", "conversation.assignee"),
        "payments": ("amount", "paid_on", "method", "refund", "client", "invoice",
                     "invoice.number", "invoice.status"),
        "plan_facts": ("target", "manager", "department", "period", "start", "plan_amount",
                       "fact_amount", "amount_percent", "plan_deals", "fact_deals",
                       "deals_percent"),
    }  # fmt: skip
    for type_key, keys in expected.items():
        fields = {f["key"]: f for f in listed[type_key]["fields"]}
        for key in keys:
            assert {"key", "label", "type", "groupable", "summable"} <= set(fields[key]), key
            assert fields[key]["label"], key
    line_items = {f["key"]: f for f in listed["line_items"]["fields"]}
    assert line_items["total"]["summable"] and line_items["quantity"]["summable"]
    assert line_items["product"]["groupable"] and line_items["deal.owner"]["groupable"]
    changes = {f["key"]: f for f in listed["stage_changes"]["fields"]}
    assert changes["changed_at"]["groupable"] and changes["changed_at"]["type"] == "datetime"
    # The relations reach them from the record they are parts of.
    relations = {r["key"] for r in listed["deals"]["relations"]}
    assert {"line_items", "stage_history"} <= relations
    assert "messages" in {r["key"] for r in listed["conversations"]["relations"]}
    assert "payments" in {r["key"] for r in listed["invoices"]["relations"]}


def test_an_accountant_gets_payments_but_no_messages_or_plans(book):
    tenant, _admin, _ann, _bob = book
    accountant = add_member(tenant, "accountant")
    body = api_client(accountant).get("/api/v1/report-types/").json()
    keys = {t["key"] for t in body["results"]}
    assert {"payments", "line_items", "stage_changes"} <= keys
    assert "messages" not in keys and "plan_facts" not in keys


SUMMARIES = {
    "line_items": ("deal.owner", "total"),
    "stage_changes": ("to_stage", "days_in_previous"),
    "messages": ("kind", "duration"),
    "payments": ("method", "amount"),
    "plan_facts": ("manager", "fact_amount"),
}


@pytest.mark.parametrize("type_key", NEW_TYPES)
def test_a_summary_costs_two_queries(book, type_key, django_assert_max_num_queries):
    tenant, admin, ann, _bob = book
    group, summed = SUMMARIES[type_key]
    rt = types.get(type_key)
    for viewer in (admin, ann):
        viewer.role  # noqa: B018  (loaded, as a request has it)
        with tenant_scope(tenant):
            fields = rt.fields()
            cleaned = spec.clean(
                {
                    "columns": [summed],
                    "group_by": [group],
                    "summaries": [{"field": summed, "agg": "sum"}],
                },
                fields,
            )
            with django_assert_max_num_queries(2):
                result = Compiler(rt, cleaned, viewer, "UTC").run()
        assert result.groups and result.total_rows == len(result.rows)


def test_line_items_counted_by_hand(book):
    _tenant, admin, ann, _bob = book
    definition = {
        "columns": ["product", "quantity", "total", "deal.title"],
        "group_by": ["deal.owner"],
        "summaries": [{"field": "total", "agg": "sum"}],
    }
    everyone = run(admin, "line_items", definition)
    assert {g["labels"]["deal.owner"]: g["values"]["total__sum"] for g in everyone.groups} == {
        "Ann Lee": "23.00", "Bob Ray": "300.00"
    }  # fmt: skip
    own = run(ann, "line_items", definition)
    assert [(g["labels"]["deal.owner"], g["values"]["total__sum"], g["count"])
            for g in own.groups] == [("Ann Lee", "23.00", 2)]  # fmt: skip
    assert sorted((r["product"], r["total"], r["deal.title"]) for r in own.rows) == [
        ("Seat", "18.00", "A1"), ("Setup", "5.00", "A1")
    ]  # fmt: skip


def test_stage_history_says_where_from_and_how_long(book):
    _tenant, admin, ann, _bob = book
    definition = {
        "columns": ["deal.title", "from_stage", "to_stage", "days_in_previous", "changed_by"],
        "sort": {"field": "changed_at", "desc": False},
    }
    rows = run(admin, "stage_changes", definition).rows
    assert [(r["deal.title"], r["from_stage"], r["days_in_previous"], r["changed_by"])
            for r in rows] == [
        ("A1", None, None, "Ann Lee"), ("A1", "Lead", "2.00", "Ann Lee"),
        ("B1", None, None, "Bob Ray"),
    ]  # fmt: skip
    by_month = run(admin, "stage_changes", {"group_by": ["changed_at:month"]})
    assert [g["count"] for g in by_month.groups] == [3]
    own = run(ann, "stage_changes", definition)
    assert [r["deal.title"] for r in own.rows] == ["A1", "A1"] and own.total_rows == 2
    # A cross filter from deals: those that reached the won stage through the history.
    won_name = rows[1]["to_stage"]
    reached = run(admin, "deals", {"columns": ["title"], "filters": [
        {"cross": "stage_history", "filters": [{"field": "to_stage", "op": "eq",
                                                "value": won_name}]}]})  # fmt: skip
    assert [r["title"] for r in reached.rows] == ["A1"]


def test_messages_and_calls_counted_by_hand(book):
    _tenant, admin, ann, bob = book
    definition = {"columns": ["direction", "kind", "duration"], "group_by": ["kind"],
                  "summaries": [{"field": "duration", "agg": "sum"}]}  # fmt: skip
    everyone = run(admin, "messages", definition)
    assert {g["key"]["kind"]: g["count"] for g in everyone.groups} == {"message": 3, "call": 1}
    own = run(ann, "messages", definition)
    assert {g["key"]["kind"]: (g["count"], g["values"]["duration__sum"])
            for g in own.groups} == {"message": (2, None), "call": (1, "90")}  # fmt: skip
    theirs = run(bob, "messages", {"columns": ["direction"]})
    assert theirs.total_rows == 1


def test_payments_counted_by_hand(book):
    _tenant, admin, ann, bob = book
    definition = {"columns": ["amount", "method", "client", "invoice"], "group_by": ["method"],
                  "summaries": [{"field": "amount", "agg": "sum"}]}  # fmt: skip
    everyone = run(admin, "payments", definition)
    assert {g["key"]["method"]: g["values"]["amount__sum"] for g in everyone.groups} == {
        "manual": "10.00", "bank": "40.00", "stripe": "400.00"
    }  # fmt: skip
    own = run(ann, "payments", definition)
    assert own.total_rows == 2 and own.totals["amount__sum"] == "100.00"
    assert {(r["client"], r["invoice"]) for r in own.rows} == {("Client of A1", "INV-1")}
    # Bob's refund counts against what he was paid.
    assert run(bob, "payments", definition).totals["amount__sum"] == "350.00"


def test_plan_vs_fact_counted_by_hand(book):
    _tenant, admin, ann, _bob = book
    definition = {"columns": ["manager", "start", "plan_amount", "fact_amount",
                              "amount_percent", "plan_deals", "fact_deals", "deals_percent"],
                  "sort": {"field": "start", "desc": False}}  # fmt: skip
    rows = run(admin, "plan_facts", definition).rows
    assert [(r["manager"], r["fact_amount"], r["amount_percent"], r["fact_deals"],
             r["deals_percent"]) for r in rows] == [
        ("Ann Lee", "100.00", "50.0", 1, "50.0"),
        ("Bob Ray", "400.00", "50.0", 1, None),
    ]  # fmt: skip
    own = run(ann, "plan_facts", definition)
    assert [(r["manager"], r["fact_amount"]) for r in own.rows] == [("Ann Lee", "100.00")]
    summary = run(
        admin,
        "plan_facts",
        {
            "group_by": ["start:month"],
            "summaries": [
                {"field": "plan_amount", "agg": "sum"},
                {"field": "fact_amount", "agg": "sum"},
            ],
        },
    )
    assert [g["values"]["fact_amount__sum"] for g in summary.groups] == ["100.00", "400.00"]


def test_a_department_plan_counts_its_members_facts(book):
    from crm.accounts import services as account_services
    from crm.accounts.models import Membership

    tenant, admin, ann, bob = book
    with tenant_scope(tenant, admin.user):
        sales = account_services.department_save(actor=admin, name="Sales")
        Membership.objects.filter(pk__in=[ann.pk, bob.pk]).update(department=sales)
        SalesPlan.objects.create(period="quarter", start=dt.date(2026, 1, 1), department=sales,
                                 amount="1000.00", deals=4)  # fmt: skip
    rows = run(admin, "plan_facts", {"columns": ["department", "fact_amount", "fact_deals"],
                                     "filters": [{"field": "target", "op": "eq",
                                                  "value": "department"}]}).rows  # fmt: skip
    assert [(r["department"], Decimal(r["fact_amount"]), r["fact_deals"]) for r in rows] == [
        ("Sales", Decimal("500.00"), 2)
    ]
