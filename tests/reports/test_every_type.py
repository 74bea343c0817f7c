"""Every report type runs with every one of its fields as a column, a filter and a grouping:
no field of any type (custom ones and linked types' included) makes a report fail."""

from __future__ import annotations

import pytest

from contacts import services as contact_services
from crm import objects
from crm.tenancy.context import tenant_scope
from reports import spec, types
from reports.compiler import Compiler
from tests.conftest import add_member

from .helpers import at, make_deals

SAMPLE = {objects.NUMBER: "1", objects.MONEY: "1", objects.DATE: "2026-01-01",
          objects.DATETIME: "2026-01-01", objects.BOOL: True, objects.USER: "me"}  # fmt: skip


@pytest.fixture
def seeded(workspace):
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        for object_type in ("deal", "contact", "company"):
            for key, kind in (("n", "number"), ("d", "date"), ("s", "select"), ("c", "checkbox"),
                              ("m", "multiselect"), ("t", "text")):  # fmt: skip
                contact_services.custom_field_save(
                    actor=admin, object_type=object_type, key=f"{kind}_{key}", label=kind,
                    field_type=kind, options=["A", "B"] if "select" in kind else [],
                )  # fmt: skip
    make_deals(tenant, [(admin.user, "10", "won", at(2026, 1), "D1")])
    return tenant, admin, add_member(tenant, "manager")


@pytest.mark.parametrize("type_key", sorted(types.all_types()))
def test_every_field_of_every_type_runs(seeded, type_key):
    tenant, admin, manager = seeded
    rt = types.get(type_key)
    with tenant_scope(tenant):
        fields = rt.fields()
        for viewer in (admin, manager):
            for f in fields.values():
                filters = []
                if f.filterable:
                    value = SAMPLE.get(f.type, "x")
                    if f.choices:
                        value = f.choices[0][0]
                    filters = [{"field": f.key, "op": "is_empty", "value": False},
                               {"field": f.key, "op": "eq", "value": value}]  # fmt: skip
                agg = "sum" if f.summable else "count_distinct"
                definition = {
                    "columns": [f.key], "filters": filters,
                    "filter_logic": "1 OR 2" if filters else "",
                    "group_by": [f.key] if f.groupable else [],
                    "summaries": [{"field": f.key, "agg": agg}],
                    "sort": {"field": f.key, "desc": True},
                }  # fmt: skip
                cleaned = spec.clean(definition, fields)
                result = Compiler(rt, cleaned, viewer, "Asia/Kolkata").run()
                assert result.total_rows >= 0, f.key
                if f.groupable and result.groups:
                    drill = result.groups[0]["key"]
                    Compiler(rt, cleaned, viewer, "Asia/Kolkata").run(drill=drill)
                    Compiler(rt, cleaned, viewer, "UTC").run(drill={f.key: {"bad": 1}})


@pytest.mark.parametrize("primary", sorted(types.all_types()))
def test_every_related_field_of_a_custom_type_runs(seeded, primary):
    """A custom type over each type with (up to three of) its relations: every related field
    as a column, a filter, a sort and a summary, for an admin and a manager."""
    from reports import custom_types

    tenant, admin, manager = seeded
    with tenant_scope(tenant, admin.user):
        relations = list(types.get(primary).relations())[:3]
        if not relations:
            pytest.skip("no relations")
        row = custom_types.custom_type_save(
            actor=admin, name=f"{primary} and more", primary=primary,
            related=[{"relation": r, "with": n % 2 == 0} for n, r in enumerate(relations)],
        )  # fmt: skip
        rt = types.get(row.key)
        fields = rt.fields()
        related = [f for f in fields.values() if f.related is not None]
        assert related
        for viewer in (admin, manager):
            for f in related:
                value = SAMPLE.get(f.type, "x")
                definition = {
                    "columns": [f.key],
                    "filters": [{"field": f.key, "op": "is_empty", "value": False},
                                {"field": f.key, "op": "eq", "value": value}],
                    "filter_logic": "1 OR 2",
                    "summaries": [{"field": f.key, "agg": "sum" if f.summable else "count"}],
                    "sort": {"field": f.key, "desc": True},
                }  # fmt: skip
                cleaned = spec.clean(definition, fields, rt.relations())
                assert Compiler(rt, cleaned, viewer, "Asia/Kolkata").run().total_rows >= 0
