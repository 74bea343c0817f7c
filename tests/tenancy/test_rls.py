import pytest
from django.db import connection

from crm.tenancy.context import NoTenantError, tenant_scope
from crm.tenancy.models import tenant_models
from crm.tenancy.rls import POLICY
from tests.conftest import make_user
from tests.testapp.models import Widget


def tables_with_tenant_id() -> set[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE column_name = 'tenant_id' AND table_schema = current_schema()"
        )
        return {r[0] for r in cur.fetchall()}


@pytest.mark.django_db
def test_every_table_with_tenant_id_has_an_enabled_and_forced_policy():
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.relname
                           AND p.schemaname = current_schema() AND p.policyname = %s)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relname = ANY(%s)
            """,
            [POLICY, list(tables_with_tenant_id())],
        )
        rows = cur.fetchall()
    assert len(rows) >= 9
    unprotected = [
        name for name, enabled, forced, policy in rows if not (enabled and forced and policy)
    ]
    assert unprotected == []


@pytest.mark.django_db
def test_every_tenant_model_is_a_table_with_tenant_id():
    tables = tables_with_tenant_id()
    assert {m._meta.db_table for m in tenant_models()} <= tables


@pytest.mark.django_db
def test_runtime_role_is_neither_superuser_nor_bypassrls():
    with connection.cursor() as cur:
        cur.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == (False, False)


@pytest.mark.django_db
def test_raw_sql_with_no_tenant_set_returns_no_rows(workspace, other_workspace):
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM accounts_role")
        assert cur.fetchone()[0] == 0
    with tenant_scope(workspace[0]), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM accounts_role")
        assert cur.fetchone()[0] == 4  # the built-in roles of this workspace only


@pytest.mark.django_db
def test_raw_sql_cannot_read_or_write_another_tenants_rows(workspace, other_workspace):
    tenant_a, owner_a = workspace
    tenant_b, _ = other_workspace
    with tenant_scope(tenant_a), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM accounts_role WHERE tenant_id = %s", [tenant_b.pk])
        assert cur.fetchone()[0] == 0
        cur.execute("UPDATE accounts_role SET name = 'x' WHERE tenant_id = %s", [tenant_b.pk])
        assert cur.rowcount == 0
        with pytest.raises(Exception, match="row-level security"):
            cur.execute(
                "INSERT INTO testapp_widget (tenant_id, name, owner_id) VALUES (%s, 'w', %s)",
                [tenant_b.pk, owner_a.user_id],
            )


@pytest.mark.django_db
def test_default_manager_refuses_to_query_without_a_tenant():
    with pytest.raises(NoTenantError):
        list(Widget.objects.all())


@pytest.mark.django_db
def test_orm_scopes_to_the_current_tenant(workspace, other_workspace):
    (tenant_a, owner_a), (tenant_b, owner_b) = workspace, other_workspace
    with tenant_scope(tenant_a):
        Widget.objects.create(name="a", owner=owner_a.user)
    with tenant_scope(tenant_b):
        Widget.objects.create(name="b", owner=owner_b.user)
        assert list(Widget.objects.values_list("name", flat=True)) == ["b"]
        # Even the unscoped manager sees only this tenant: the database wall holds.
        assert list(Widget.all_tenants.values_list("name", flat=True)) == ["b"]


@pytest.mark.django_db
def test_scope_is_restored_after_a_rolled_back_savepoint(workspace, other_workspace):
    from django.db import transaction

    (tenant_a, owner_a), (tenant_b, _) = workspace, other_workspace
    with tenant_scope(tenant_a):
        Widget.objects.create(name="a", owner=owner_a.user)
    with tenant_scope(tenant_b):
        try:
            with transaction.atomic():
                Widget.all_tenants.count()
                raise RuntimeError
        except RuntimeError:
            pass
    with tenant_scope(tenant_a):
        assert Widget.all_tenants.count() == 1


@pytest.mark.django_db
def test_indexes_and_unique_constraints_lead_with_tenant():
    for model in tenant_models():
        for index in model._meta.indexes:
            assert index.fields[0] == "tenant", (model, index.name)
        for constraint in model._meta.constraints:
            first = constraint.fields[0] if constraint.fields else constraint.expressions[0]
            assert getattr(first, "name", first) == "tenant", (model, constraint.name)
        for field in model._meta.fields:
            assert not field.unique or field.primary_key, (model, field.name)


@pytest.mark.django_db
def test_memberships_of_a_user_are_readable_across_their_workspaces(workspace):
    from crm.accounts.selectors import memberships_of
    from tests.conftest import make_workspace

    user = make_user()
    make_workspace("One", owner=user)
    make_workspace("Two", owner=user)
    assert [m.tenant.name for m in memberships_of(user)] == ["One", "Two"]


@pytest.mark.django_db
def test_a_changed_policy_definition_is_reapplied_by_migrate(monkeypatch):
    from crm.accounts.models import Membership
    from crm.tenancy import rls

    table = Membership._meta.db_table
    before = rls.protected_tables()[table]
    monkeypatch.setattr(Membership, "rls_read_extra", "false")
    rls.apply_policies()
    changed = rls.protected_tables()[table]
    assert changed != before
    monkeypatch.undo()
    rls.apply_policies()
    assert rls.protected_tables()[table] == before


@pytest.mark.django_db
def test_update_rows_sets_each_row_to_its_values_in_this_workspace_only(workspace, other_workspace):
    from crm.tenancy.bulk import update_rows

    (tenant_a, owner_a), (tenant_b, owner_b) = workspace, other_workspace
    with tenant_scope(tenant_b):
        theirs = Widget.objects.create(name="theirs", owner=owner_b.user)
    with tenant_scope(tenant_a):
        ours = [Widget.objects.create(name=f"w{i}", owner=owner_a.user) for i in range(3)]
        for i, widget in enumerate(ours):
            widget.name = f"renamed {i}"
        theirs.name = "taken over"
        assert update_rows([*ours, theirs], ["name"]) == 3
        assert sorted(Widget.objects.values_list("name", flat=True)) == [
            "renamed 0", "renamed 1", "renamed 2"
        ]  # fmt: skip
        assert update_rows([], ["name"]) == 0
    with tenant_scope(tenant_b):
        assert Widget.objects.get().name == "theirs"
