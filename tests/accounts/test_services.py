import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm.accounts import selectors, services
from crm.accounts.models import Department, Membership, Role
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import AuditEntry
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, make_user, make_workspace
from tests.testapp.models import Widget

pytestmark = pytest.mark.django_db


def test_signup_creates_the_workspace_its_roles_and_an_admin_owner():
    user, tenant = services.user_signup(
        email="Founder@Example.com",
        password="a-Strong-pass-42",
        first_name="Ada",
        workspace_name="Ada's Bakery",
    )
    assert user.email == "founder@example.com"
    assert tenant.slug == "adas-bakery"
    with tenant_scope(tenant):
        assert sorted(Role.objects.values_list("key", flat=True)) == [
            "accountant",
            "admin",
            "head",
            "manager",
        ]
        owner = Membership.objects.get(user=user)
        assert owner.role.key == "admin" and owner.role.can_manage_workspace


def test_slugs_stay_unique():
    make_workspace("Same Name")
    t2, _ = make_workspace("Same Name")
    assert t2.slug == "same-name-2"


def test_changing_a_role_is_audited_with_old_and_new_values(workspace):
    tenant, owner = workspace
    member = add_member(tenant, "manager")
    with tenant_scope(tenant):
        head = Role.objects.get(key="head")
        services.member_update(actor=owner, membership=member, role=head)
        dispatch_pending()
        entry = AuditEntry.objects.get(action="member.updated")
    assert entry.changes == {"role": ["Sales manager", "Head of department"]}
    assert entry.actor_id == owner.user_id


def test_only_admins_manage_members(workspace):
    tenant, _ = workspace
    manager = add_member(tenant, "manager")
    with tenant_scope(tenant), pytest.raises(PermissionDenied):
        services.department_save(actor=manager, name="Rogue")


def test_the_last_admin_cannot_be_demoted_or_removed(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        manager_role = Role.objects.get(key="manager")
        with pytest.raises(ValidationError):
            services.member_update(actor=owner, membership=owner, role=manager_role)
        with pytest.raises(ValidationError):
            services.member_deactivate(actor=owner, membership=owner)
        with pytest.raises(ValidationError):
            services.role_save(
                actor=owner, role=owner.role, name="Admin", grants={}, can_manage_workspace=False
            )


def test_role_grants_are_validated(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        with pytest.raises(ValidationError, match="Unknown object type"):
            services.role_save(actor=owner, name="Odd", grants={"spaceship": {}})
        with pytest.raises(ValidationError, match="Unknown actions"):
            services.role_save(actor=owner, name="Odd", grants={"deal": {"actions": ["fly"]}})
        role = services.role_save(
            actor=owner, name="Caller", grants={"deal": {"actions": ["edit"], "visibility": "all"}}
        )
    assert role.grants == {"deal": {"actions": ["view", "edit"], "visibility": "all"}}


def test_duplicate_names_give_a_clear_error(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        services.department_save(actor=owner, name="Sales")
        with pytest.raises(ValidationError, match="already exists"):
            services.department_save(actor=owner, name="sales")
        assert Department.objects.count() == 1


def test_the_same_name_is_fine_in_another_workspace(workspace, other_workspace):
    for tenant, owner in (workspace, other_workspace):
        with tenant_scope(tenant):
            services.department_save(actor=owner, name="Sales")
    for tenant, _ in (workspace, other_workspace):
        with tenant_scope(tenant):
            assert list(Department.objects.values_list("name", "tenant_id")) == [
                ("Sales", tenant.id)
            ]


class TestVisibleTo:
    """own / department / all, on a test-only owned model."""

    @pytest.fixture
    def team(self, workspace):
        tenant, owner = workspace
        with tenant_scope(tenant):
            east = services.department_save(actor=owner, name="East")
            west = services.department_save(actor=owner, name="West")
        people = {
            "alice": add_member(tenant, "manager", department=east),
            "bob": add_member(tenant, "manager", department=east),
            "carol": add_member(tenant, "manager", department=west),
        }
        head = add_member(tenant, "head")  # heads East without being placed in it
        with tenant_scope(tenant):
            services.department_save(actor=owner, department=east, name="East", head=head.user)
            for name, m in people.items():
                Widget.objects.create(name=name, owner=m.user)
            Widget.objects.create(name="owner", owner=owner.user)
        return tenant, owner, people, head

    def names(self, tenant, membership):
        with tenant_scope(tenant):
            membership = Membership.objects.select_related("role").get(pk=membership.pk)
            qs = selectors.visible_to(Widget.objects.all(), membership, "deal")
            return sorted(qs.values_list("name", flat=True))

    def test_own(self, team):
        tenant, _, people, _ = team
        assert self.names(tenant, people["alice"]) == ["alice"]

    def test_department_through_membership_and_headship(self, team):
        tenant, owner, people, head = team
        with tenant_scope(tenant):
            role = Role.objects.get(key="manager")
            grants = {**role.grants, "deal": {"actions": ["view"], "visibility": "department"}}
            services.role_save(actor=owner, role=role, name=role.name, grants=grants)
        assert self.names(tenant, people["alice"]) == ["alice", "bob"]
        assert self.names(tenant, people["carol"]) == ["carol"]
        assert self.names(tenant, head) == ["alice", "bob"]

    def test_all_and_none(self, team):
        tenant, owner, people, _ = team
        assert self.names(tenant, owner) == ["alice", "bob", "carol", "owner"]
        with tenant_scope(tenant):
            role = Role.objects.get(key="manager")
            services.role_save(actor=owner, role=role, name=role.name, grants={})
        assert self.names(tenant, people["alice"]) == []


def test_api_key_is_shown_once_and_stored_hashed(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        key, raw = services.api_key_create(actor=owner, name="Website")
    assert raw.startswith(f"crm_{tenant.pk}_") and len(raw) > 40
    assert raw not in (key.key_hash, key.prefix) and key.key_hash == key.hash(raw)
    assert selectors.api_key_resolve(raw) == key
    assert selectors.api_key_resolve(raw + "x") is None
    # A key naming another workspace's id does not resolve there.
    other, _ = make_workspace()
    assert selectors.api_key_resolve(raw.replace(f"crm_{tenant.pk}_", f"crm_{other.pk}_")) is None
    with tenant_scope(tenant):
        services.api_key_revoke(actor=owner, key=key)
    assert selectors.api_key_resolve(raw) is None


def test_a_manager_cannot_revoke_someone_elses_key(workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    with tenant_scope(tenant):
        key, _ = services.api_key_create(actor=owner, name="Owner's")
        with pytest.raises(PermissionDenied):
            services.api_key_revoke(actor=manager, key=key)


def test_profile_update_validates_choices():
    user = make_user()
    services.profile_update(user=user, language="ru", time_zone="Asia/Ulaanbaatar")
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("ru", "Asia/Ulaanbaatar")
    with pytest.raises(ValidationError):
        services.profile_update(user=user, time_zone="Mars/Olympus")
