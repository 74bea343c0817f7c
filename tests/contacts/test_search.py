import pytest

from contacts import selectors
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member
from tests.contacts.conftest import new_company, new_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def base(ru_workspace):
    tenant, owner = ru_workspace
    acme = new_company(owner, name="Acme Logistics")
    people = {
        "ivan": new_contact(
            owner,
            first_name="Ivan",
            last_name="Petrov",
            company=acme,
            emails="ivan.petrov@acme.example",
            phones="+7 916 123-45-67",
        ),
        "maria": new_contact(
            owner,
            first_name="Мария",
            last_name="Смирнова",
            emails="maria@shop.example",
            phones="+7 903 555-12-34",
        ),
        "bat": new_contact(
            owner, first_name="Bat-Erdene", last_name="Ganbaatar", phones="+976 9911 2233"
        ),
    }
    return tenant, owner, people


def names(tenant, owner, text):
    with tenant_scope(tenant):
        rows = selectors.search(selectors.contacts_for(owner), text, "RU")
        return [c.first_name for c in rows]


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("ivan", "Ivan"),
        ("Petr", "Ivan"),
        ("petrv", "Ivan"),  # partial, typo
        ("acme", "Ivan"),
        ("logistcs", "Ivan"),  # by company, with a typo
        ("ivan.petrov@acme", "Ivan"),
        ("maria@shop.example", "Мария"),
        ("смирнова", "Мария"),
        ("смирново", "Мария"),
        ("8 (916) 123-45-67", "Ivan"),
        ("+79161234567", "Ivan"),
        ("123-45-67", "Ivan"),
        ("99112233", "Bat-Erdene"),
    ],
)
def test_finds_people_however_they_are_typed(base, text, who):
    tenant, owner, _ = base
    assert names(tenant, owner, text)[:1] == [who]


def test_finds_nothing_for_nonsense(base):
    tenant, owner, _ = base
    assert names(tenant, owner, "zzqxw") == []


def test_search_respects_visibility(base):
    tenant, _owner, _ = base
    manager = add_member(tenant, "manager")
    assert names(tenant, manager, "ivan") == []


def test_search_stays_in_the_workspace(base, other_workspace):
    _, owner_b = other_workspace
    assert names(other_workspace[0], owner_b, "ivan") == []


def test_the_search_operators_are_leakproof_for_the_app_role(base):
    """The search/tag/duplicate operators are LEAKPROOF (docker/search-operators.sql), so a
    GIN index can drive the scan under the row policy (bench_contacts shows the plans)."""
    from django.db import connection

    tenant, _, _ = base
    with tenant_scope(tenant), connection.cursor() as cur:
        cur.execute(
            "SELECT proname FROM pg_proc WHERE proleakproof AND proname = ANY(%s)",
            [["textlike", "arraycontains", "arrayoverlap", "word_similarity_commutator_op"]],
        )
        assert len(cur.fetchall()) == 4
