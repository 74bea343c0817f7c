"""Tell the planner that a deal's pipeline, stage, owner and company each imply its
workspace. Without it, "tenant_id = X AND owner_id = Y" is estimated as if the two were
independent (a few rows where there are hundreds), and the planner picks nested loops that
rescan a table per row (bench/bench_deals_api.py shows the plans)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("deals", "0002_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE STATISTICS IF NOT EXISTS deal_tenant_dependencies (dependencies) "
            "ON tenant_id, pipeline_id, stage_id, owner_id, company_id FROM deals_deal",
            "DROP STATISTICS IF EXISTS deal_tenant_dependencies",
        )
    ]
