"""Bulk actions on the lists and the API: an owner that is not a member changes nothing."""

import pytest
from django.urls import reverse

from contacts.models import Contact
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, api_client, login, make_user
from tests.contacts.conftest import new_contact

pytestmark = pytest.mark.django_db


def owners(tenant):
    with tenant_scope(tenant):
        return set(Contact.objects.values_list("owner_id", flat=True))


@pytest.mark.parametrize("owner", ["", "987654321", "x", "²"])
def test_assigning_an_unknown_owner_on_the_page_changes_nothing(client, workspace, owner):
    tenant, admin = workspace
    a, b = new_contact(admin, first_name="Ann"), new_contact(admin, first_name="Bob")
    login(client, admin)
    response = client.post(
        reverse("contact_bulk"),
        {"action": "assign_owner", "ids": [a.pk, b.pk], "owner": owner},
        follow=True,
    )
    assert "Choose the new owner" in response.content.decode()
    assert owners(tenant) == {admin.user_id}


def test_assigning_an_unknown_owner_over_the_api_changes_nothing(workspace, other_workspace):
    tenant, admin = workspace
    a = new_contact(admin, first_name="Ann")
    stranger = other_workspace[1].user  # a real user, of another workspace
    gone = add_member(tenant, "manager")
    with tenant_scope(tenant):
        gone.is_active = False
        gone.save(update_fields=["is_active"])
    client = api_client(admin)
    for body in (
        {"ids": [a.pk], "action": "assign_owner"},
        {"ids": [a.pk], "action": "assign_owner", "owner": None},
        {"ids": [a.pk], "action": "assign_owner", "owner": 987654321},
        {"ids": [a.pk], "action": "assign_owner", "owner": stranger.pk},
        {"ids": [a.pk], "action": "assign_owner", "owner": gone.user_id},
        {"ids": [a.pk], "action": "assign_owner", "owner": make_user().pk},
    ):
        response = client.post("/api/v1/contacts/bulk/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert "owner" in response.json()["error"]["fields"]
    assert owners(tenant) == {admin.user_id}


def test_assigning_a_member_still_works(client, workspace):
    tenant, admin = workspace
    colleague = add_member(tenant, "manager")
    a = new_contact(admin, first_name="Ann")
    response = api_client(admin).post(
        "/api/v1/contacts/bulk/",
        {"ids": [a.pk], "action": "assign_owner", "owner": colleague.user_id},
        format="json",
    )
    assert response.json() == {"count": 1}
    assert owners(tenant) == {colleague.user_id}
