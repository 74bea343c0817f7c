"""The contact matcher: one answer to "which clients have these addresses", for the duplicate
warning, the importer and the inbox."""

import pytest

from contacts import matching
from contacts.models import Company
from contacts.selectors import visible_sql
from crm.tenancy.context import tenant_scope

from .conftest import new_company, new_contact


@pytest.fixture
def base(ru_workspace, other_workspace):
    _, owner = ru_workspace
    anna = new_contact(owner, first_name="Anna", emails="anna@example.com", phones="+79161234567")
    boris = new_contact(owner, first_name="Boris", emails="boris@example.com, shared@example.com")
    clara = new_contact(owner, first_name="Clara", emails="shared@example.com", _dup=True)
    firm = new_company(owner, name="Firm", emails="office@firm.example", phones="+79160000001")
    # Another workspace's client with the same address is never anyone's match here.
    _, stranger = other_workspace
    new_contact(stranger, first_name="Anna", emails="anna@example.com")
    return owner, {"anna": anna, "boris": boris, "clara": clara, "firm": firm}


def test_raw_addresses_become_the_keys_the_records_store():
    keys = matching.keys_for(
        emails=["  Anna@Example.COM", "not an address"], phones=["8 (916) 123-45-67"], region="RU"
    )
    assert keys == ["anna@example.com", "+79161234567"]


@pytest.mark.parametrize("plan_max", [matching.INDEX_PLAN_MAX, 0], ids=["index", "hash join"])
def test_both_plans_find_the_same_records(base, monkeypatch, plan_max):
    owner, people = base
    monkeypatch.setattr(matching, "INDEX_PLAN_MAX", plan_max)
    keys = matching.keys_for(
        emails=["ANNA@example.com", "shared@example.com", "nobody@example.com"],
        phones=["8 916 123 45 67"],
        region="RU",
    )
    with tenant_scope(owner.tenant_id):
        found = matching.match(keys)
        companies = matching.match(["office@firm.example", "+79160000001"], model=Company)
    assert found == {
        "anna@example.com": [people["anna"].pk],
        "+79161234567": [people["anna"].pk],
        "shared@example.com": [people["boris"].pk, people["clara"].pk],
    }
    assert companies == {
        "office@firm.example": [people["firm"].pk],
        "+79160000001": [people["firm"].pk],
    }


@pytest.mark.parametrize("plan_max", [matching.INDEX_PLAN_MAX, 0], ids=["index", "hash join"])
def test_only_what_the_condition_lets_through(team, monkeypatch, plan_max):
    _, mia, carl = team
    monkeypatch.setattr(matching, "INDEX_PLAN_MAX", plan_max)
    own = new_contact(mia, first_name="Mine", emails="same@example.com")
    new_contact(carl, first_name="Carl's", emails="same@example.com", _dup=True)
    with tenant_scope(mia.tenant_id):
        everyone = matching.match(["same@example.com"])
        for_mia = matching.match(["same@example.com"], visible=visible_sql(mia, "contact"))
        not_itself = matching.match(["same@example.com"], exclude=own.pk, visible=None)
    assert len(everyone["same@example.com"]) == 2
    assert for_mia == {"same@example.com": [own.pk]}
    assert own.pk not in not_itself["same@example.com"]


def test_a_few_keys_cost_one_statement(base, django_assert_num_queries):
    owner, _ = base
    with tenant_scope(owner.tenant_id), django_assert_num_queries(1):
        matching.match(["anna@example.com", "+79161234567"])


def test_no_keys_no_query(base, django_assert_num_queries):
    owner, _ = base
    with tenant_scope(owner.tenant_id), django_assert_num_queries(0):
        assert matching.match([]) == {}
