"""Workspaces created before funnels existed get the default "Sales" funnel and lost reasons
(new ones get them from crm.accounts.services.tenant_create)."""

from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext

STAGES = [
    ("Lead", "open", 10, "#748ffc"),
    ("Qualified", "open", 25, "#4dabf7"),
    ("Proposal", "open", 50, "#3bc9db"),
    ("Negotiation", "open", 75, "#38d9a9"),
    ("Won", "won", 100, "#69db7c"),
    ("Lost", "lost", 0, "#ff8787"),
]
REASONS = ["Price too high", "Chose a competitor", "No budget", "No response"]


def forwards(apps, schema_editor):
    from crm.tenancy.context import tenant_scope

    Tenant = apps.get_model("tenancy", "Tenant")
    Pipeline = apps.get_model("pipelines", "Pipeline")
    Stage = apps.get_model("pipelines", "Stage")
    LostReason = apps.get_model("pipelines", "LostReason")
    for tenant in Tenant.objects.order_by("pk"):
        # Row-level security: each workspace's rows are written inside its own scope.
        with tenant_scope(tenant.pk), translation.override(tenant.language or "en"):
            if Pipeline.objects.filter(tenant_id=tenant.pk).exists():
                continue
            pipeline = Pipeline.objects.create(
                tenant_id=tenant.pk, name=gettext("Sales"), position=0
            )
            Stage.objects.bulk_create(
                Stage(
                    tenant_id=tenant.pk,
                    pipeline=pipeline,
                    name=gettext(name),
                    kind=kind,
                    probability=probability,
                    color=color,
                    position=i,
                )
                for i, (name, kind, probability, color) in enumerate(STAGES)
            )
            LostReason.objects.bulk_create(
                LostReason(tenant_id=tenant.pk, name=gettext(name), position=i)
                for i, name in enumerate(REASONS)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("pipelines", "0001_initial"),
        ("tenancy", "0002_tenant_country"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
