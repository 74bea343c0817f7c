"""Invitations and password resets through a real SMTP server on loopback."""

import re

import pytest
from django.core import signing
from django.urls import reverse

from crm.accounts import services, tokens
from crm.accounts.models import Invitation, Membership, Role, User
from crm.tenancy.context import tenant_scope
from tests.conftest import make_user, make_workspace

pytestmark = pytest.mark.django_db


def invite(workspace, email="newbie@example.com", role_key="manager"):
    tenant, owner = workspace
    with tenant_scope(tenant), pytest.MonkeyPatch.context():
        role = Role.objects.get(key=role_key)
        return services.invitation_create(actor=owner, email=email, role=role)


def link_in(body: str) -> str:
    return (
        re.search(r"https?://\S+", body)
        .group(0)
        .split("testserver", 1)[-1]
        .replace("http://localhost:8000", "")
    )


def test_invitation_email_arrives_and_its_link_lets_a_new_person_join(
    workspace, smtp, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(workspace)
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["To"] == "newbie@example.com"
    path = link_in(smtp.bodies()[0])
    assert path.startswith("/invite/")

    page = client.get(path)
    assert page.status_code == 200 and b"Acme" in page.content
    response = client.post(
        path, {"first_name": "New", "last_name": "Bie", "password": "a-Strong-pass-42"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="newbie@example.com")
    with tenant_scope(workspace[0]):
        assert Membership.objects.get(user=user).role.key == "manager"
    # The link works once.
    assert client.get(path).status_code == 404


def test_weak_password_on_acceptance_is_refused_with_the_reason(workspace, client):
    invitation = invite(workspace)
    path = reverse("invitation_accept", args=[tokens.invitation_token(invitation)])
    response = client.post(path, {"first_name": "A", "password": "123"})
    assert response.status_code == 200
    assert b"too short" in response.content
    assert not User.objects.filter(email="newbie@example.com").exists()


def test_an_existing_user_accepts_while_logged_in(workspace, client):
    user = make_user(email="known@example.com")
    make_workspace("Their own", owner=user)
    invitation = invite(workspace, email="known@example.com")
    client.force_login(user)
    path = reverse("invitation_accept", args=[tokens.invitation_token(invitation)])
    assert client.post(path).status_code == 302
    with tenant_scope(workspace[0]):
        assert Membership.objects.filter(user=user, is_active=True).exists()


def test_forged_expired_and_revoked_tokens_are_refused(workspace, client, settings):
    invitation = invite(workspace)
    token = tokens.invitation_token(invitation)
    forged = signing.dumps({"t": invitation.tenant_id, "i": invitation.pk + 1}, salt="other")
    assert client.get(reverse("invitation_accept", args=[forged])).status_code == 404
    assert client.get(reverse("invitation_accept", args=[token + "x"])).status_code == 404
    settings.INVITATION_MAX_AGE = -1
    assert client.get(reverse("invitation_accept", args=[token])).status_code == 404
    settings.INVITATION_MAX_AGE = 3600
    with tenant_scope(workspace[0]):
        services.invitation_revoke(actor=workspace[1], invitation=invitation)
    assert client.get(reverse("invitation_accept", args=[token])).status_code == 404


def test_a_token_cannot_be_pointed_at_another_workspace(workspace, other_workspace, client):
    invitation = invite(workspace)
    # Same invitation id, other tenant id, signed with the real salt but by someone without
    # our secret key: the signature check fails.
    fake = signing.dumps(
        {"t": other_workspace[0].pk, "i": invitation.pk},
        key="not-our-secret",
        salt=tokens.INVITATION_SALT,
    )
    assert client.get(reverse("invitation_accept", args=[fake])).status_code == 404


def test_inviting_a_current_member_is_refused(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant), pytest.raises(Exception, match="already a member"):
        services.invitation_create(
            actor=owner, email=owner.user.email, role=Role.objects.get(key="manager")
        )
    with tenant_scope(tenant):
        assert not Invitation.objects.exists()


def test_password_reset_email_arrives_and_resets(smtp, client):
    user = make_user(email="forgetful@example.com")
    response = client.post(reverse("password_reset"), {"email": "forgetful@example.com"})
    assert response.status_code == 302
    assert len(smtp.messages) == 1
    path = re.search(r"/accounts/reset/\S+", smtp.bodies()[0]).group(0)
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-Strong-pass-7", "new_password2": "another-Strong-pass-7"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-Strong-pass-7")


def test_unknown_email_on_reset_sends_nothing_and_says_the_same(smtp, client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and smtp.messages == []
