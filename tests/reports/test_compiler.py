"""The compiler: numbers counted by hand, run as the viewer, in at most two queries."""

from __future__ import annotations

import pytest

from crm.tenancy.context import tenant_scope
from reports import spec, types
from reports.compiler import Compiler
from tests.conftest import add_member, make_user

from .helpers import at, make_deals


def run(membership, definition, **kw):
    rt = types.get("deals")
    with tenant_scope(membership.tenant):
        cleaned = spec.clean(definition, rt.fields())
        return Compiler(rt, cleaned, membership, "UTC").run(**kw)


@pytest.fixture
def team(workspace):
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    make_deals(tenant, [
        (ann.user, "100.00", "won", at(2026, 1), "A1"),
        (ann.user, "250.50", "won", at(2026, 2), "A2"),
        (ann.user, "999.00", "lost", at(2026, 2), "A3"),
        (bob.user, "400.00", "won", at(2026, 2), "B1"),
        (bob.user, "50.00", "open", None, "B2"),
    ])  # fmt: skip
    return tenant, admin, ann, bob


def test_won_amount_by_owner_counted_by_hand(team):
    _tenant, admin, _ann, bob = team
    result = run(admin, {
        "filters": [{"field": "status", "op": "eq", "value": "won"}],
        "group_by": ["owner"], "summaries": [{"field": "amount", "agg": "sum"}],
    })  # fmt: skip
    by_owner = {g["labels"]["owner"]: g for g in result.groups}
    assert by_owner["Ann Lee"]["values"]["amount__sum"] == "350.50"
    assert by_owner["Ann Lee"]["count"] == 2
    assert by_owner["Bob Ray"]["values"]["amount__sum"] == "400.00"
    assert by_owner["Bob Ray"]["key"]["owner"] == bob.user_id
    assert result.total_rows == 3 and result.totals["amount__sum"] == "750.50"


def test_by_owner_and_won_month(team):
    _tenant, admin, _ann, _bob = team
    result = run(admin, {"group_by": ["owner", "won_at:month"],
                         "summaries": [{"field": "amount", "agg": "sum"}]})  # fmt: skip
    keys = {(g["labels"]["owner"], g["labels"]["won_at:month"]): g["count"] for g in result.groups}
    assert keys[("Ann Lee", "2026-01-01T00:00:00+00:00")] == 1
    assert keys[("Ann Lee", "2026-02-01T00:00:00+00:00")] == 1
    assert keys[("Ann Lee", None)] == 1  # the lost deal was never won
    assert keys[("Bob Ray", "2026-02-01T00:00:00+00:00")] == 1


def test_a_summary_costs_two_queries_whatever_the_groups(team, django_assert_max_num_queries):
    tenant, admin, _ann, _bob = team
    admin.role  # noqa: B018  (loaded, as a request has it)
    definition = {"columns": ["title", "amount", "owner"], "group_by": ["owner", "status"],
                  "column_group": "won_at:month",
                  "summaries": [{"field": "amount", "agg": "sum"},
                                {"field": "amount", "agg": "avg"},
                                {"field": "owner", "agg": "count_distinct"}]}  # fmt: skip
    rt = types.get("deals")
    with tenant_scope(tenant):
        cleaned = spec.clean(definition, rt.fields())
        with django_assert_max_num_queries(2):
            result = Compiler(rt, cleaned, admin, "UTC").run()
    assert len(result.groups) >= 4 and len(result.rows) == 5 and result.total_rows == 5


def test_a_plain_list_costs_one_query_and_pages(team, django_assert_max_num_queries):
    tenant, admin, _ann, _bob = team
    rt = types.get("deals")
    with tenant_scope(tenant):
        cleaned = spec.clean({"columns": ["title"], "sort": {"field": "amount", "desc": True}},
                             rt.fields())  # fmt: skip
        with django_assert_max_num_queries(1):
            result = Compiler(rt, cleaned, admin, "UTC").run(page=2, page_size=2)
    assert result.total_rows == 5 and result.pages == 3
    assert [r["title"] for r in result.rows] == ["A2", "A1"]  # 999, 400 | 250.5, 100 | 50


def test_a_manager_with_own_visibility_sees_their_own_numbers(team):
    _tenant, _admin, ann, _bob = team
    result = run(ann, {"group_by": ["owner"], "columns": ["title"],
                       "summaries": [{"field": "amount", "agg": "sum"}]})  # fmt: skip
    assert [
        (g["labels"]["owner"], g["values"]["amount__sum"], g["count"]) for g in result.groups
    ] == [("Ann Lee", "1349.50", 3)]
    assert sorted(r["title"] for r in result.rows) == ["A1", "A2", "A3"]


def test_filter_logic_and_relative_dates(team):
    _tenant, admin, _ann, _bob = team
    result = run(admin, {
        "columns": ["title"],
        "filters": [{"field": "status", "op": "eq", "value": "won"},
                    {"field": "amount", "op": "gte", "value": 300},
                    {"field": "title", "op": "contains", "value": "a"}],
        "filter_logic": "1 AND (2 OR NOT 3)",
    })  # fmt: skip
    assert sorted(r["title"] for r in result.rows) == ["B1"]
    result = run(
        admin,
        {
            "columns": ["title"],
            "filters": [{"field": "created_at", "op": "last_n_days", "value": 1}],
        },
    )
    assert result.total_rows == 5  # all made today
    result = run(admin, {"columns": ["title"],
                         "filters": [{"field": "won_at", "op": "between",
                                      "value": ["2026-02-01", "2026-02-28"]}]})  # fmt: skip
    assert sorted(r["title"] for r in result.rows) == ["A2", "B1"]


def test_drill_down_gives_a_groups_rows(team):
    _tenant, admin, _ann, _bob = team
    definition = {"columns": ["title"], "group_by": ["owner", "won_at:month"]}
    result = run(admin, definition)
    group = next(
        g
        for g in result.groups
        if g["labels"]["owner"] == "Ann Lee"
        and g["labels"]["won_at:month"]
        and g["labels"]["won_at:month"].startswith("2026-02")
    )
    drilled = run(admin, definition, drill=group["key"])
    assert [r["title"] for r in drilled.rows] == ["A2"]


def test_formula_over_summaries(team):
    _tenant, admin, _ann, _bob = team
    result = run(admin, {"group_by": ["status"],
                         "summaries": [{"field": "amount", "agg": "sum"}],
                         "formulas": [{"key": "avg_deal", "label": "Average deal",
                                       "expr": "amount__sum / count"}]})  # fmt: skip
    won = next(g for g in result.groups if g["labels"]["status"] == "won")
    assert won["values"]["avg_deal"] == "250.1667"


def test_bucket_fields_band_amounts(team):
    _tenant, admin, _ann, _bob = team
    bands = {"key": "band", "label": "Amount band", "field": "amount",
             "bands": [{"label": "Small", "to": 200}, {"label": "Medium", "to": 500},
                       {"label": "Large"}]}  # fmt: skip
    result = run(admin, {"buckets": [bands], "group_by": ["band"], "columns": ["title", "band"],
                         "summaries": [{"field": "amount", "agg": "sum"}],
                         "filters": [{"field": "band", "op": "ne", "value": "Large"}]})  # fmt: skip
    by_band = {g["labels"]["band"]: (g["count"], g["values"]["amount__sum"]) for g in result.groups}
    assert by_band == {"Small": (2, "150.00"), "Medium": (2, "650.50")}  # 100+50 | 250.5+400
    assert {r["title"]: r["band"] for r in result.rows}["B1"] == "Medium"


def test_bucket_bands_must_grow_and_come_from_numbers(team):
    rt = types.get("deals")
    with tenant_scope(team[0]):
        fields = rt.fields()
    for bucket, message in (
        ({"key": "b", "field": "amount",
          "bands": [{"label": "A", "to": 5}, {"label": "B", "to": 1}]}, "grow"),
        ({"key": "b", "field": "title", "bands": [{"label": "A"}]}, "numbers"),
        ({"key": "amount", "field": "amount", "bands": [{"label": "A"}]}, "free key"),
    ):  # fmt: skip
        with pytest.raises(spec.SpecError) as caught:
            spec.clean({"buckets": [bucket]}, fields)
        assert message in " ".join(caught.value.errors["buckets"])
