"""Workspaces created before dashboards and sales plans existed: their built-in roles get the
grants a new workspace's get (crm.accounts.permissions.builtin_grants with
reports.object_types), copied here as they were."""

from django.db import migrations

ACTIONS = ["view", "create", "edit", "delete", "export"]
GRANTS = {
    "dashboard": {
        "admin": {"actions": ACTIONS, "visibility": "all"},
        "head": {"actions": ["view"], "visibility": "department"},
        "manager": {"actions": ["view"], "visibility": "own"},
    },
    "sales_plan": {
        "admin": {"actions": ACTIONS, "visibility": "all"},
        "head": {"actions": ACTIONS, "visibility": "department"},
        "manager": {"actions": ["view"], "visibility": "own"},
    },
}


def forwards(apps, schema_editor):
    from crm.tenancy.context import tenant_scope

    Tenant = apps.get_model("tenancy", "Tenant")
    Role = apps.get_model("accounts", "Role")
    for tenant in Tenant.objects.order_by("pk"):
        with tenant_scope(tenant.pk):  # row-level security: each workspace in its scope
            for role in Role.objects.filter(tenant_id=tenant.pk, key__in=["admin", "head", "manager"]):
                grants = dict(role.grants)
                for object_type, by_role in GRANTS.items():
                    grants.setdefault(object_type, by_role[role.key])
                if grants != role.grants:
                    role.grants = grants
                    role.save(update_fields=["grants"])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_dashboards_plans_rollups"),
        ("accounts", "0003_language_choices"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
