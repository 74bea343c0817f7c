"""Workspaces made before the inbox: their built-in roles get what a new workspace's get on
"conversation" (permissions.builtin_grants), so the Inbox appears for them too. Roles an
admin made are left for the admin to grant. Frozen here, as a migration must be."""

from django.db import migrations

from crm.tenancy.context import tenant_scope

ACTIONS = ["view", "create", "edit", "delete", "export"]
GRANTS = {
    "admin": {"actions": ACTIONS, "visibility": "all"},
    "head": {"actions": ACTIONS, "visibility": "department"},
    "manager": {"actions": ["view", "create", "edit"], "visibility": "own"},
}


def grant(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    Role = apps.get_model("accounts", "Role")
    for tenant_id in Tenant.objects.values_list("id", flat=True):
        # Row-level security shows each workspace's roles only inside its scope.
        with tenant_scope(tenant_id):
            for role in Role.objects.filter(tenant_id=tenant_id, key__in=list(GRANTS)):
                if "conversation" not in role.grants:
                    role.grants["conversation"] = GRANTS[role.key]
                    role.save(update_fields=["grants"])


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("accounts", "0003_language_choices"),
        ("tenancy", "0003_language_choices"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
