"""The object-type registry (crm/objects.py): what the apps register, and how the generic
features read it. A custom field added by an admin appears everywhere with no other change."""

import pytest
from django.urls import reverse

from contacts import services as contact_services
from contacts.models import Contact
from crm import objects
from crm.accounts import permissions
from crm.accounts.models import Role
from crm.tenancy.context import tenant_scope
from tests.conftest import api_client, login

pytestmark = pytest.mark.django_db


def test_the_apps_register_their_types_with_a_catalogue():
    assert {"conversation", "deal", "contact", "company", "task"} <= set(objects.OBJECT_TYPES)
    deal = objects.get("deal")
    assert deal.field("amount").summable and deal.field("stage").groupable
    assert deal.card_url(7) == "/deals/7/"
    # Sections follow the registry's order; tasks, comments hang on deals and clients only.
    assert [t.section for t in objects.all_types() if t.section][:5] == [
        "inbox",
        "deals",
        "contacts",
        "companies",
        "tasks",
    ]
    assert set(objects.with_activity()) == {"deal", "contact", "company"}


def test_built_in_roles_take_their_grants_from_the_registry(workspace):
    tenant, _owner = workspace
    with tenant_scope(tenant):
        roles = {r.key: r.grants for r in Role.objects.exclude(key="")}
    # Every type with a grant of its own; parts of another's records follow that one's grant.
    own = {k for k, t in objects.OBJECT_TYPES.items() if not t.part_of}
    assert set(roles["admin"]) == own
    assert roles["accountant"]["deal"] == {"actions": ["view"], "visibility": "all"}
    assert "task" not in roles["accountant"]  # the accountant's role has no tasks
    assert roles["manager"]["contact"]["visibility"] == "own"
    assert set(permissions.object_types()) == own
    assert "line_item" not in own and objects.grant_key("line_item") == "deal"


def test_a_role_cannot_grant_an_unregistered_type():
    with pytest.raises(ValueError, match="Unknown object type"):
        permissions.clean_grants({"spaceship": {"actions": ["view"], "visibility": "all"}})
    # Nor a part of another type's records: a payment is seen where its invoice is.
    with pytest.raises(ValueError, match="Unknown object type"):
        permissions.clean_grants({"payment": {"actions": ["view"], "visibility": "all"}})


def test_parts_of_a_record_follow_its_types_grant():
    role = Role(grants={"deal": {"actions": ["view"], "visibility": "own"}})
    assert role.can("line_item") and role.can("stage_change")
    assert not role.can("line_item", "edit") and role.visibility("stage_change") == "own"
    assert not role.can("message") and not role.can("payment")


def test_a_new_custom_field_appears_in_filters_export_api_and_catalogue(client, workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        contact_services.custom_field_save(
            actor=owner,
            object_type="contact",
            key="region",
            label="Region",
            field_type="select",
            options=["North", "South"],
        )
        north = contact_services.record_create(
            actor=owner, model=Contact, data={"first_name": "Nora", "custom": {"region": "North"}}
        )
        contact_services.record_create(
            actor=owner, model=Contact, data={"first_name": "Sam", "custom": {"region": "South"}}
        )
        field = objects.get("contact").field("cf_region")
    # the catalogue
    assert field is not None and field.custom and field.type == objects.CHOICE
    assert field.choices == (("North", "North"), ("South", "South")) and field.groupable
    # the list's filter
    page = login(client, owner).get(reverse("contacts"), {"cf_region": "North"})
    assert "Nora" in page.content.decode() and "Sam" not in page.content.decode()
    # the export
    export = client.get(reverse("contact_export"), {"format": "csv"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert "region" in lines[0] and any("North" in line for line in lines[1:])
    # the API, read and filtered
    api = api_client(owner)
    assert api.get(f"/api/v1/contacts/{north.pk}/").json()["custom"] == {"region": "North"}
    listed = api.get("/api/v1/contacts/", {"cf_region": "North"}).json()["results"]
    assert [row["id"] for row in listed] == [north.pk]
