import pytest

from contacts import services
from contacts.models import Contact
from crm.accounts.models import Role
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, api_client
from tests.contacts.conftest import new_contact
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_create_read_update_delete(workspace):
    _, owner = workspace
    client = api_client(owner)
    acme = client.post(
        "/api/v1/companies/", {"name": "Acme", "website": "acme.example"}, format="json"
    ).json()
    assert acme["domain"] == "acme.example"
    created = client.post(
        "/api/v1/contacts/",
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "company": acme["id"],
            "emails": ["Ann@Acme.example"],
            "phones": "+1 415 555 0100",
            "tags": "vip",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["emails"] == ["ann@acme.example"] and body["phones"] == ["+14155550100"]
    assert body["company_name"] == "Acme" and body["full_name"] == "Ann Lee"
    url = f"/api/v1/contacts/{body['id']}/"
    assert client.patch(url, {"position": "CFO"}, format="json").json()["position"] == "CFO"
    assert client.get(url).json()["position"] == "CFO"
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_bad_input_names_the_fields(workspace):
    _, owner = workspace
    response = api_client(owner).post(
        "/api/v1/contacts/", {"first_name": "X", "emails": ["nope"], "phones": ["1"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"emails", "phones"}


def test_a_possible_duplicate_answers_409_with_the_candidates(workspace):
    _, owner = workspace
    first = new_contact(owner, first_name="Ann", emails="ann@acme.example")
    client = api_client(owner)
    response = client.post(
        "/api/v1/contacts/", {"first_name": "A", "emails": "ann@acme.example"}, format="json"
    )
    assert response.status_code == 409
    assert [c["id"] for c in response.json()["error"]["details"]["candidates"]] == [first.pk]
    response = client.post(
        "/api/v1/contacts/",
        {"first_name": "A", "emails": "ann@acme.example", "allow_duplicate": True},
        format="json",
    )
    assert response.status_code == 201


def test_filters_search_and_ordering(workspace):
    tenant, owner = workspace
    other = add_member(tenant, "manager")
    new_contact(owner, first_name="Zed", tags="vip")
    new_contact(owner, first_name="Amy", tags="vip,retail")
    with tenant_scope(tenant):
        bob = services.record_create(actor=other, model=Contact, data={"first_name": "Bob"})
    client = api_client(owner)

    def names(**params):
        rows = client.get("/api/v1/contacts/", params).json()["results"]
        return [r["first_name"] for r in rows]

    assert names(tag="vip", ordering="first_name") == ["Amy", "Zed"]
    assert names(owner=other.user_id) == ["Bob"]
    assert names(q="amy") == ["Amy"]
    assert names(no_contact_days=30, ordering="-first_name") == ["Zed", "Bob", "Amy"]
    assert bob.pk


def test_custom_field_filter(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        services.custom_field_save(
            actor=owner,
            object_type="contact",
            key="tier",
            label="Tier",
            field_type="select",
            options=["gold", "silver"],
        )
    new_contact(owner, first_name="G", custom={"tier": "gold"})
    new_contact(owner, first_name="S", custom={"tier": "silver"})
    rows = api_client(owner).get("/api/v1/contacts/", {"cf_tier": "gold"}).json()["results"]
    assert [r["first_name"] for r in rows] == ["G"]


def test_managers_with_own_visibility_see_only_their_clients(workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    new_contact(owner, first_name="Owners")
    with tenant_scope(tenant):
        mine = services.record_create(actor=manager, model=Contact, data={"first_name": "Mine"})
    client = api_client(manager)
    assert [r["first_name"] for r in client.get("/api/v1/contacts/").json()["results"]] == ["Mine"]
    others = new_contact(owner, first_name="Hidden", _dup=True)
    assert client.get(f"/api/v1/contacts/{others.pk}/").status_code == 404
    assert client.get("/api/v1/contacts/", {"q": "hidden"}).json()["results"] == []
    assert client.get(f"/api/v1/contacts/{mine.pk}/").status_code == 200


def test_a_role_without_delete_cannot_delete(workspace):
    tenant, _owner = workspace
    manager = add_member(tenant, "manager")
    with tenant_scope(tenant):
        mine = services.record_create(actor=manager, model=Contact, data={"first_name": "Mine"})
    response = api_client(manager).delete(f"/api/v1/contacts/{mine.pk}/")
    assert response.status_code == 403


def test_merge_and_bulk_through_the_api(workspace):
    _, owner = workspace
    a = new_contact(owner, first_name="Ann", emails="a@x.example")
    b = new_contact(owner, first_name="Anne", emails="b@x.example")
    client = api_client(owner)
    merged = client.post(
        f"/api/v1/contacts/{a.pk}/merge/",
        {"others": [b.pk], "picks": {"first_name": b.pk}},
        format="json",
    )
    assert merged.status_code == 200, merged.json()
    assert merged.json()["first_name"] == "Anne"
    assert merged.json()["emails"] == ["a@x.example", "b@x.example"]
    bulk = client.post(
        "/api/v1/contacts/bulk/",
        {"ids": [a.pk], "action": "add_tags", "tags": ["merged"]},
        format="json",
    )
    assert bulk.json() == {"count": 1}
    groups = client.get("/api/v1/contacts/duplicates/").json()["groups"]
    assert groups == []


def test_custom_fields_are_managed_by_admins(workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    body = {"object_type": "contact", "key": "tier", "label": "Tier", "field_type": "text"}
    assert (
        api_client(manager).post("/api/v1/custom-fields/", body, format="json").status_code == 403
    )
    assert api_client(owner).post("/api/v1/custom-fields/", body, format="json").status_code == 201
    assert len(api_client(manager).get("/api/v1/custom-fields/").json()["results"]) == 1


def test_a_list_page_of_100_runs_a_bounded_number_of_queries(
    workspace, django_assert_max_num_queries
):
    tenant, owner = workspace
    acme = CompanyFactory(actor=owner, name="Acme")
    with tenant_scope(tenant):
        Contact.objects.bulk_create(ContactFactory.build_batch(150, company=acme, owner=owner.user))
    client = api_client(owner)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/contacts/", {"page_size": 100})
    assert len(response.json()["results"]) == 100
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/companies/", {"page_size": 100})
    assert response.status_code == 200


def test_the_roles_default_to_what_sales_teams_expect(workspace):
    tenant, _ = workspace
    with tenant_scope(tenant):
        manager = Role.objects.get(key="manager")
    assert manager.can("contact", "create") and not manager.can("contact", "delete")
