"""Emails are stored in lower case; logging in, resetting a password and accepting an
invitation read what is typed the same way."""

import re

import pytest
from django.urls import reverse

from crm.accounts import services, tokens
from crm.accounts.models import Membership, Role
from crm.tenancy.context import tenant_scope
from tests.conftest import make_user, make_workspace

pytestmark = pytest.mark.django_db
PASSWORD = "a-Strong-pass-42"


@pytest.mark.parametrize("typed", ["Right@Example.COM", " right@example.com ", "RIGHT@EXAMPLE.COM"])
def test_login_ignores_the_case_of_the_email(client, typed):
    make_workspace("Mine", owner=make_user(email="right@example.com"))
    response = client.post(reverse("login"), {"username": typed, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert client.get(reverse("profile")).status_code == 200


def test_a_wrong_password_still_fails_whatever_the_case(client):
    make_user(email="right@example.com")
    response = client.post(reverse("login"), {"username": "Right@example.com", "password": "no"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_changing_the_case_does_not_buy_more_guesses(client, settings):
    make_user(email="target@example.com")
    variants = ["target@example.com", "TARGET@example.com", "Target@Example.com"]
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": variants[i % 3], "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "TaRgEt@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429


def test_password_reset_ignores_the_case_of_the_email(smtp, client):
    make_user(email="forgetful@example.com")
    response = client.post(reverse("password_reset"), {"email": "Forgetful@EXAMPLE.com"})
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    assert re.search(r"/accounts/reset/\S+", smtp.bodies()[0])


def test_an_invitation_typed_in_capitals_is_accepted_by_the_account(client):
    tenant, admin = make_workspace("Inviting")
    user = make_user(email="known@example.com")
    with tenant_scope(tenant):
        invitation = services.invitation_create(
            actor=admin, email="Known@Example.COM", role=Role.objects.get(key="manager")
        )
    path = reverse("invitation_accept", args=[tokens.invitation_token(invitation)])
    # Not logged in: the page knows the account exists, and logging in with capitals works.
    assert b"log in" in client.get(path).content.lower()
    client.post(reverse("login"), {"username": "KNOWN@example.com", "password": PASSWORD})
    assert client.post(path).status_code == 302
    with tenant_scope(tenant):
        assert Membership.objects.filter(user=user, is_active=True).exists()
