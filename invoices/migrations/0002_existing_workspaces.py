"""Workspaces created before invoices existed: their built-in roles get the grants on
"invoice" a new workspace's get (crm.accounts.permissions.builtin_grants), and the workspace
its invoice and credit-note series and its country's tax rates (new workspaces get them from
invoices.services.workspace_setup). The data is copied here, as it was, so later changes
to the presets do not change what this migration did."""

import datetime
from decimal import Decimal

from django.db import migrations

ACTIONS = ["view", "create", "edit", "delete", "export"]
GRANTS = {
    "admin": {"actions": ACTIONS, "visibility": "all"},
    "head": {"actions": ACTIONS, "visibility": "department"},
    "manager": {"actions": ["view", "create", "edit"], "visibility": "own"},
    "accountant": {"actions": ACTIONS, "visibility": "all"},
}
RATES = {
    "RU": [
        ("НДС 22%", 22, False, datetime.date(2026, 1, 1), None),
        ("НДС 20%", 20, False, None, datetime.date(2025, 12, 31)),
        ("НДС 10%", 10, False, None, None),
        ("НДС 0%", 0, False, None, None),
        ("Без НДС", 0, True, None, None),
    ],
    "IN": [("GST 5%", 5, False, None, None), ("GST 18%", 18, False, None, None),
           ("GST 40%", 40, False, None, None)],
    "MN": [("НӨАТ 10%", 10, False, None, None)],
}  # fmt: skip
SERIES = {
    "IN": ("INV", "{series}/{fyy}/{n:05}", "fy_in"),
    "RU": ("СЧ", "{series}-{yyyy}-{n:05}", "year"),
}
DEFAULT = ("INV", "{series}-{yyyy}-{n:05}", "year")
CREDIT = ("CN", "{series}-{yyyy}-{n:05}", "year")


def forwards(apps, schema_editor):
    from crm.tenancy.context import tenant_scope

    Tenant = apps.get_model("tenancy", "Tenant")
    Role = apps.get_model("accounts", "Role")
    Series = apps.get_model("invoices", "Series")
    TaxRate = apps.get_model("invoices", "TaxRate")
    for tenant in Tenant.objects.order_by("pk"):
        # Row-level security: each workspace's rows are written inside its own scope.
        with tenant_scope(tenant.pk):
            for role in Role.objects.filter(tenant_id=tenant.pk, key__in=list(GRANTS)):
                if "invoice" not in role.grants:
                    role.grants = {**role.grants, "invoice": GRANTS[role.key]}
                    role.save(update_fields=["grants"])
            if not Series.objects.filter(tenant_id=tenant.pk).exists():
                for kind, (code, fmt, period) in (
                    ("invoice", SERIES.get(tenant.country, DEFAULT)),
                    ("credit_note", CREDIT),
                ):
                    Series.objects.create(
                        tenant_id=tenant.pk, code=code, kind=kind, format=fmt, period=period,
                        is_default=True,
                    )  # fmt: skip
            if not TaxRate.objects.filter(tenant_id=tenant.pk).exists():
                TaxRate.objects.bulk_create(
                    TaxRate(
                        tenant_id=tenant.pk, name=name, percent=Decimal(percent),
                        country=tenant.country, exempt=exempt, valid_from=start, valid_to=end,
                    )
                    for name, percent, exempt, start, end in RATES.get(tenant.country, ())
                )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0001_initial"),
        ("accounts", "0003_language_choices"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
