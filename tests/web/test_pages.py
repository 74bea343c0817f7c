import os
import subprocess
import sys

import pytest
from django.urls import reverse

from crm.accounts import services
from crm.accounts.models import Invitation, Membership, Role
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, login, make_user, make_workspace

pytestmark = pytest.mark.django_db

SETTINGS_PAGES = [
    "profile",
    "workspace",
    "members",
    "roles",
    "role_new",
    "departments",
    "api_keys",
    "audit",
]


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_settings_pages_render_with_a_bounded_number_of_queries(
    name, client, workspace, django_assert_max_num_queries
):
    tenant, owner = workspace
    for i in range(25):
        m = add_member(tenant, "manager")
        with tenant_scope(tenant):
            services.department_save(actor=owner, name=f"D{i}")
            services.member_update(actor=owner, membership=m, role=Role.objects.get(key="head"))
    login(client, owner)
    with django_assert_max_num_queries(14):
        response = client.get(reverse(name))
    assert response.status_code == 200
    assert b"Acme" in response.content


@pytest.mark.parametrize("name", ["workspace", "roles", "role_new", "departments", "audit"])
def test_admin_pages_are_403_for_a_manager(name, client, workspace):
    manager = add_member(workspace[0], "manager")
    response = login(client, manager).get(reverse(name))
    assert response.status_code == 403
    assert b"do not have access" in response.content


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for path in ["/", "/settings/members/", "/deals/"]:
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestOtherTenantsRecordsArePagesNotFound:
    """Each page that takes an id, with an id from another workspace: 404, nothing changes."""

    @pytest.fixture
    def setup(self, client, workspace, other_workspace):
        (tenant_b, owner_b) = other_workspace
        member_b = add_member(tenant_b, "manager")
        with tenant_scope(tenant_b):
            dept = services.department_save(actor=owner_b, name="Secret")
            key, _ = services.api_key_create(actor=owner_b, name="secret")
            invitation = services.invitation_create(
                actor=owner_b, email="x@example.com", role=Role.objects.get(key="manager")
            )
            role = Role.objects.get(key="manager")
        login(client, workspace[1])
        return (
            client,
            tenant_b,
            {"member": member_b, "dept": dept, "key": key, "invitation": invitation, "role": role},
        )

    def test_get_and_post(self, setup):
        client, tenant_b, r = setup
        admin_b_role = None
        with tenant_scope(tenant_b):
            admin_b_role = Role.objects.get(key="admin").pk
        attempts = [
            ("get", reverse("role_edit", args=[r["role"].pk]), {}),
            ("post", reverse("role_edit", args=[r["role"].pk]), {"action": "delete"}),
            ("get", reverse("department_edit", args=[r["dept"].pk]), {}),
            ("post", reverse("department_edit", args=[r["dept"].pk]), {"action": "delete"}),
            ("post", reverse("member_edit", args=[r["member"].pk]), {"role": admin_b_role}),
            ("post", reverse("member_edit", args=[r["member"].pk]), {"action": "deactivate"}),
            ("post", reverse("api_key_revoke", args=[r["key"].pk]), {}),
            ("post", reverse("invitation_revoke", args=[r["invitation"].pk]), {}),
        ]
        for method, url, data in attempts:
            assert getattr(client, method)(url, data).status_code == 404, url
        with tenant_scope(tenant_b):
            assert Membership.objects.get(pk=r["member"].pk).role.key == "manager"
            assert Membership.objects.get(pk=r["member"].pk).is_active
            assert Invitation.objects.get(pk=r["invitation"].pk).status == "pending"
            assert Role.objects.filter(pk=r["role"].pk).exists()


def test_workspace_switch_only_to_own_workspaces(client, workspace, other_workspace):
    _, owner = workspace
    user = owner.user
    second, _ = make_workspace("Second", owner=user)
    login(client, owner)
    client.post(reverse("workspace_switch"), {"tenant": second.pk})
    assert b"Second" in client.get(reverse("profile")).content
    client.post(reverse("workspace_switch"), {"tenant": other_workspace[0].pk})
    page = client.get(reverse("profile")).content
    assert b"Globex" not in page and b"Second" in page


def test_signup_page_validates_and_creates(client, db):
    bad = client.post(reverse("signup"), {"email": "nope", "password": "1"})
    assert bad.status_code == 200
    assert b"Enter a valid email address" in bad.content
    good = client.post(
        reverse("signup"),
        {
            "first_name": "Ada",
            "email": "ada@example.com",
            "password": "a-Strong-pass-42",
            "workspace_name": "Ada Ltd",
        },
    )
    assert good.status_code == 302
    assert client.get(reverse("members")).status_code == 200


def test_the_member_row_changes_role_through_htmx(client, workspace):
    tenant, owner = workspace
    member = add_member(tenant, "manager")
    with tenant_scope(tenant):
        head = Role.objects.get(key="head")
    response = login(client, owner).post(
        reverse("member_edit", args=[member.pk]),
        {"role": head.pk, "department": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="member-{member.pk}"'.encode() in response.content
    with tenant_scope(tenant):
        assert Membership.objects.get(pk=member.pk).role == head


def test_role_editor_saves_the_matrix(client, workspace):
    tenant, owner = workspace
    data = {
        "name": "Caller",
        "deal__view": "on",
        "deal__edit": "on",
        "deal__visibility": "department",
    }
    for t in (
        "contact",
        "company",
        "task",
        "conversation",
        "invoice",
        "automation",
        "report",
        "dashboard",
        "sales_plan",
    ):
        data[f"{t}__visibility"] = "own"
    response = login(client, owner).post(reverse("role_new"), data)
    assert response.status_code == 302
    with tenant_scope(tenant):
        role = Role.objects.get(name="Caller")
    assert role.grants["deal"] == {"actions": ["view", "edit"], "visibility": "department"}
    assert role.grants["contact"]["actions"] == []


def test_a_role_without_contacts_hides_the_section(client, workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    login(client, manager)
    assert b'href="/contacts/"' in client.get(reverse("tasks")).content
    with tenant_scope(tenant):
        role = Role.objects.get(key="manager")
        grants = {k: v for k, v in role.grants.items() if k != "contact"}
        services.role_save(actor=owner, role=role, name=role.name, grants=grants)
    assert b'href="/contacts/"' not in client.get(reverse("tasks")).content
    assert client.get(reverse("contacts")).status_code == 403


def test_every_section_is_in_the_navigation(client, workspace):
    """The navigation is the registry's object types with a list page: no placeholders."""
    page = login(client, workspace[1]).get(reverse("tasks")).content.decode()
    for built in ("/inbox/", "/deals/", "/contacts/", "/companies/", "/tasks/", "/reports/",
                  "/dashboards/"):  # fmt: skip
        assert f'href="{built}"' in page


def test_the_first_page_after_login_is_my_day(client, workspace):
    response = login(client, workspace[1]).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("tasks")


def test_friendly_404_page(client, workspace):
    response = login(client, workspace[1]).get("/no/such/page/")
    assert response.status_code == 404 and b"could not find" in response.content


def test_security_headers(client, db):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"


def test_repeated_failed_logins_are_throttled(client, db, settings):
    make_user(email="target@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "target@example.com", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "target@example.com", "password": "a-Strong-pass-42"}
    )
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.content


def test_login_with_the_right_password(client, db):
    make_workspace("Mine", owner=make_user(email="right@example.com"))
    response = client.post(
        reverse("login"), {"username": "right@example.com", "password": "a-Strong-pass-42"}
    )
    assert response.status_code == 302


def test_check_deploy_is_clean_under_production_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "CRM_ENV": "production",
        "SECRET_KEY": "x" * 30 + "-production-secret-key-0123456789-abcdefgh",
        "ALLOWED_HOSTS": "crm.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_new_session_opens_the_workspace_used_last(client, workspace):
    """Switch to a second workspace, log out and in again: the second one opens."""
    tenant, owner = workspace
    second, _ = make_workspace("Second shop", owner=owner.user)
    client.force_login(owner.user)
    first_page = client.get(reverse("tasks"))
    assert first_page.context["current_tenant"].pk in (tenant.pk, second.pk)
    client.post(reverse("workspace_switch"), {"tenant": second.pk})
    client.logout()
    client.force_login(owner.user)
    assert client.get(reverse("tasks")).context["current_tenant"].pk == second.pk
    client.post(reverse("workspace_switch"), {"tenant": tenant.pk})
    client.logout()
    client.force_login(owner.user)
    assert client.get(reverse("tasks")).context["current_tenant"].pk == tenant.pk
