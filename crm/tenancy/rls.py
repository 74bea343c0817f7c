"""Row-level security: the second wall between tenants.

Every table of a TenantModel gets ROW LEVEL SECURITY enabled and forced (so the table owner
is bound too) and one policy keyed on the session setting `app.tenant_id`, which the database
backend keeps equal to the current scope. With no tenant set the setting is empty, the
comparison is NULL, and a query sees no rows.
"""

import hashlib

from django.db import connections

from .models import CURRENT_TENANT, tenant_models

POLICY = "tenant_isolation"


def policy_sql(table: str, read_extra: str | None = None) -> list[str]:
    using = f"tenant_id = {CURRENT_TENANT}"
    if read_extra:
        using = f"({using}) OR ({read_extra})"
    statements = [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'CREATE POLICY {POLICY} ON "{table}" USING ({using}) '
        f"WITH CHECK (tenant_id = {CURRENT_TENANT})",
    ]
    # The policy carries a fingerprint of its definition, so a changed definition is
    # noticed and re-applied by the next migrate.
    statements.append(f"COMMENT ON POLICY {POLICY} ON \"{table}\" IS '{fingerprint(statements)}'")
    return statements


def fingerprint(statements: list[str]) -> str:
    return "crm:" + hashlib.sha256("\n".join(statements).encode()).hexdigest()[:16]


def protected_tables(using: str = "default") -> dict[str, str]:
    """Tables that have RLS enabled and forced and our policy: {table: fingerprint}."""
    with connections[using].cursor() as cur:
        cur.execute(
            """
            SELECT c.relname, coalesce(obj_description(p.oid, 'pg_policy'), '')
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
            JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = %s
            WHERE c.relrowsecurity AND c.relforcerowsecurity
            """,
            [POLICY],
        )
        return dict(cur.fetchall())


def apply_policies(using: str = "default", **kwargs) -> None:

    connection = connections[using]
    done = protected_tables(using)
    with connection.cursor() as cur:
        existing = set(connection.introspection.table_names(cur))
        for model in tenant_models():
            table = model._meta.db_table
            if table not in existing:
                continue
            statements = policy_sql(table, model.rls_read_extra)
            if done.get(table) == fingerprint(statements[:-1]):
                continue
            for statement in statements:
                cur.execute(statement)
