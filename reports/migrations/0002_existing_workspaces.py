"""Workspaces created before reports existed: their built-in roles get the grants on "report"
a new workspace's get (crm.accounts.permissions.builtin_grants). The grants are copied here,
as they were, so later changes to the presets do not change what this migration did."""

from django.db import migrations

USE = ["view", "create", "edit", "delete", "export"]
GRANTS = {
    "admin": {"actions": USE, "visibility": "all"},
    "head": {"actions": USE, "visibility": "all"},
    "manager": {"actions": USE, "visibility": "own"},
    "accountant": {"actions": USE, "visibility": "own"},
}


def forwards(apps, schema_editor):
    from crm.tenancy.context import tenant_scope

    Tenant = apps.get_model("tenancy", "Tenant")
    Role = apps.get_model("accounts", "Role")
    for tenant in Tenant.objects.order_by("pk"):
        # Row-level security: each workspace's rows are written inside its own scope.
        with tenant_scope(tenant.pk):
            for role in Role.objects.filter(tenant_id=tenant.pk, key__in=list(GRANTS)):
                if "report" not in role.grants:
                    role.grants = {**role.grants, "report": GRANTS[role.key]}
                    role.save(update_fields=["grants"])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("accounts", "0003_language_choices"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
