"""Duplicate warnings and the duplicates page, and the wall between members of one
workspace: a member whose role shows "own" records (the built-in "manager") learns at most
that a similar record they cannot see exists, never which one; an admin sees every
candidate, and another workspace's records are never candidates."""

import json

import pytest
from django.urls import reverse

from contacts import duplicates, services
from contacts.models import Company, Contact
from crm.tenancy.context import tenant_scope
from tests.conftest import api_client, login
from tests.contacts.conftest import new_company, new_contact

pytestmark = pytest.mark.django_db


def reload(record):
    with tenant_scope(record.tenant_id):
        return type(record).objects.get(pk=record.pk)


# --- duplicate warnings ------------------------------------------------------------------


def test_creating_a_company_like_a_colleagues_shows_no_details(team, colleagues_client):
    _, mia, _ = team
    with pytest.raises(services.DuplicatesFound) as err, tenant_scope(mia.tenant_id):
        services.record_create(actor=mia, model=Company, data={"name": "Secret Industries"})
    assert err.value.candidates == [] and err.value.hidden is True
    assert "cannot see" in err.value.messages[0]


def test_the_api_409_lists_visible_candidates_and_only_flags_hidden_ones(team, colleagues_client):
    _, mia, _ = team
    secret, vera = colleagues_client
    client = api_client(mia)
    response = client.post(
        "/api/v1/companies/", {"name": "Secret Industries", "website": "secret.example"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate"
    assert error["details"]["candidates"] == [] and error["details"]["hidden_matches"] is True
    body = json.dumps(response.json())
    for secret_bit in ("hq@secret.example", "Carl", "carl@example.com", f'"id": {secret.pk}'):
        assert secret_bit not in body

    mine = new_contact(mia, first_name="Mine", emails="mine@x.example")
    response = client.post(
        "/api/v1/contacts/",
        {"first_name": "X", "emails": ["mine@x.example", "vera@secret.example"]},
        format="json",
    )
    error = response.json()["error"]
    assert [c["id"] for c in error["details"]["candidates"]] == [mine.pk]
    assert error["details"]["hidden_matches"] is True
    assert "Hidden" not in json.dumps(response.json()) and "+14155550199" not in json.dumps(
        response.json()
    )
    created = client.post(
        "/api/v1/companies/",
        {"name": "Secret Industries", "allow_duplicate": True},
        format="json",
    )
    assert created.status_code == 201
    assert reload(vera).company_id == secret.pk


def test_an_admin_gets_every_candidate(team, colleagues_client):
    admin, _, _ = team
    secret, _vera = colleagues_client
    response = api_client(admin).post(
        "/api/v1/companies/", {"name": "Secret Industries"}, format="json"
    )
    error = response.json()["error"]
    assert [c["id"] for c in error["details"]["candidates"]] == [secret.pk]
    assert error["details"]["hidden_matches"] is False


def _warning(html: str) -> str:
    start = html.index('data-testid="duplicate-warning"')
    return html[start : html.index("</div>", start)]


def test_the_new_record_page_hides_a_colleagues_duplicate(client, team, colleagues_client):
    _, mia, _ = team
    secret, vera = colleagues_client
    login(client, mia)
    page = client.post(reverse("company_new"), {"name": "Secret Industries"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="duplicate-hidden"' in _warning(html)
    assert "cannot see" in _warning(html) and "<a " not in _warning(html)
    for secret_bit in ("hq@secret.example", "secret.example", f"/companies/{secret.pk}/"):
        assert secret_bit not in html
    page = client.post(reverse("contact_new"), {"first_name": "Z", "phones": "+14155550199"})
    html = page.content.decode()
    assert 'data-testid="duplicate-hidden"' in _warning(html)
    for secret_bit in ("Vera", "vera@secret.example", f"/contacts/{vera.pk}/"):
        assert secret_bit not in html
    created = client.post(
        reverse("company_new"), {"name": "Secret Industries", "allow_duplicate": "1"}
    )
    assert created.status_code == 302


def test_duplicates_of_another_workspace_are_never_candidates(team, other_workspace):
    _, mia, _ = team
    _, stranger = other_workspace
    new_company(stranger, name="Globex Holding")
    with tenant_scope(mia.tenant_id):
        record = services.record_create(actor=mia, model=Company, data={"name": "Globex Holding"})
    assert record.pk


# --- the duplicates page -----------------------------------------------------------------


def _bulk(owner, rows):
    with tenant_scope(owner.tenant_id):
        Contact.objects.bulk_create(
            Contact(owner=owner.user, first_name=name, emails=[email]) for name, email in rows
        )


def test_groups_are_limited_after_visibility_not_before(client, team):
    admin, mia, carl = team
    # 101 groups of Carl's sort before Mia's one group.
    _bulk(carl, [(f"C{i}", f"a{i:03}@x.example") for i in range(101) for _ in range(2)])
    _bulk(mia, [("M1", "zz@x.example"), ("M2", "zz@x.example")])
    with tenant_scope(mia.tenant_id):
        found = duplicates.visible_groups("contact", mia)
        assert [g["value"] for g in found] == ["zz@x.example"]
        assert len(duplicates.visible_groups("contact", admin)) == 100
    api = api_client(mia).get("/api/v1/contacts/duplicates/").json()["groups"]
    assert [g["value"] for g in api] == ["zz@x.example"]
    login(client, mia)
    html = client.get(reverse("contact_duplicates")).content.decode()
    assert "zz@x.example" in html and "a000@x.example" not in html


def test_a_group_mixing_mine_and_a_colleagues_shows_mine_only(team):
    _, mia, carl = team
    _bulk(carl, [("C", "same@x.example")])
    _bulk(mia, [("M1", "same@x.example"), ("M2", "same@x.example")])
    _bulk(carl, [("C2", "alone@x.example")])
    _bulk(mia, [("M3", "alone@x.example")])
    with tenant_scope(mia.tenant_id):
        found = duplicates.visible_groups("contact", mia)
        mine = set(Contact.objects.filter(owner=mia.user).values_list("pk", flat=True))
    assert [g["value"] for g in found] == ["same@x.example"]
    assert set(found[0]["ids"]) <= mine and len(found[0]["ids"]) == 2
