from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from crm.accounts.models import Membership, User
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def test_createtenant_then_issuetoken_gives_a_working_api_key():
    out = run(
        "createtenant",
        "bakery",
        "--name",
        "Bakery",
        "--owner-email",
        "baker@example.com",
        "--owner-password",
        "a-Strong-pass-42",
    )
    assert "bakery" in out
    tenant = Tenant.objects.get(slug="bakery")
    user = User.objects.get(email="baker@example.com")
    assert user.check_password("a-Strong-pass-42")
    with tenant_scope(tenant):
        assert Membership.objects.get(user=user).role.key == "admin"

    key = run("issuetoken", "bakery", "baker@example.com")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/me/").json()["tenant"]["slug"] == "bakery"


def test_createtenant_refuses_a_taken_slug():
    run(
        "createtenant",
        "taken",
        "--name",
        "A",
        "--owner-email",
        "a@example.com",
        "--owner-password",
        "a-Strong-pass-42",
    )
    with pytest.raises(CommandError, match="already exists"):
        run(
            "createtenant",
            "taken",
            "--name",
            "B",
            "--owner-email",
            "b@example.com",
            "--owner-password",
            "a-Strong-pass-42",
        )
    assert not User.objects.filter(email="b@example.com").exists()  # nothing half-made


def test_issuetoken_needs_a_member():
    run(
        "createtenant",
        "one",
        "--name",
        "One",
        "--owner-email",
        "one@example.com",
        "--owner-password",
        "a-Strong-pass-42",
    )
    User.objects.create_user(email="stranger@example.com", password="x-Strong-pass-1")
    with pytest.raises(CommandError, match="not an active member"):
        run("issuetoken", "one", "stranger@example.com")
    with pytest.raises(CommandError, match="No such"):
        run("issuetoken", "nope", "one@example.com")
