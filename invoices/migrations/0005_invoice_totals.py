"""Invoice totals kept per value of the list's few-valued filters (models.InvoiceTotal).

A statement-level trigger on the invoices' table adds each statement's change to the
totals in the same transaction: the new rows counted in, the old rows counted out, grouped
by the totals' key, only the keys whose sums moved (writing the number, the address sent to
or the day viewed writes nothing), in the key's order, so two statements lock the rows they
share in the same order. Whatever writes invoices (services, bulk updates, raw SQL, a seed
by INSERT ... SELECT) keeps the totals right. The existing invoices are summed in, workspace
by workspace (row-level security).
"""

import django.db.models.deletion
import django.db.models.manager
from decimal import Decimal
from django.db import migrations, models

KEY = "tenant_id, currency, status, payment_status, series_id, issue_date, due_date"

# {rows}: the statement's change as (key..., n, total, paid) rows.
UPSERT = f"""
    INSERT INTO invoices_invoicetotal ({KEY}, invoice_count, total_sum, paid_sum)
    SELECT {KEY}, sum(n), sum(total), sum(paid) FROM ({{rows}}) AS delta
    GROUP BY {KEY}
    HAVING sum(n) <> 0 OR sum(total) <> 0 OR sum(paid) <> 0
    ORDER BY {KEY}
    ON CONFLICT ({KEY}) DO UPDATE SET
        invoice_count = invoices_invoicetotal.invoice_count + excluded.invoice_count,
        total_sum = invoices_invoicetotal.total_sum + excluded.total_sum,
        paid_sum = invoices_invoicetotal.paid_sum + excluded.paid_sum
"""
COUNTED_IN = f"SELECT {KEY}, 1 AS n, total, paid_amount AS paid FROM new_rows"
COUNTED_OUT = f"SELECT {KEY}, -1, -total, -paid_amount FROM old_rows"

FORWARD = [
    f"""
    CREATE FUNCTION invoices_totals_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {UPSERT.format(rows=COUNTED_IN)};
        ELSIF TG_OP = 'DELETE' THEN
            {UPSERT.format(rows=COUNTED_OUT)};
        ELSE
            {UPSERT.format(rows=COUNTED_IN + " UNION ALL " + COUNTED_OUT)};
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER invoices_totals_insert AFTER INSERT ON invoices_invoice "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION invoices_totals_follow()",
    "CREATE TRIGGER invoices_totals_update AFTER UPDATE ON invoices_invoice "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION invoices_totals_follow()",
    "CREATE TRIGGER invoices_totals_delete AFTER DELETE ON invoices_invoice "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION invoices_totals_follow()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS invoices_totals_insert ON invoices_invoice",
    "DROP TRIGGER IF EXISTS invoices_totals_update ON invoices_invoice",
    "DROP TRIGGER IF EXISTS invoices_totals_delete ON invoices_invoice",
    "DROP FUNCTION IF EXISTS invoices_totals_follow()",
]


def sum_existing(apps, schema_editor):
    from crm.tenancy.context import tenant_scope

    Tenant = apps.get_model("tenancy", "Tenant")
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        # Row-level security: each workspace's invoices are read and summed in its scope.
        with tenant_scope(tenant_id), schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO invoices_invoicetotal ({KEY}, invoice_count, total_sum, paid_sum) "
                f"SELECT {KEY}, count(*), sum(total), sum(paid_amount) FROM invoices_invoice "
                f"WHERE tenant_id = %s GROUP BY {KEY}",
                [tenant_id],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0004_client_page_statements_providers"),
        ("tenancy", "0003_language_choices"),
    ]

    operations = [
        migrations.CreateModel(
            name="InvoiceTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("currency", models.CharField(max_length=3)),
                ("status", models.CharField(max_length=10)),
                ("payment_status", models.CharField(max_length=10)),
                ("series_id", models.BigIntegerField(null=True)),
                ("issue_date", models.DateField(null=True)),
                ("due_date", models.DateField(null=True)),
                ("invoice_count", models.BigIntegerField(default=0)),
                (
                    "total_sum",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=20),
                ),
                (
                    "paid_sum",
                    models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=20),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenancy.tenant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "tenant",
                            "currency",
                            "status",
                            "payment_status",
                            "series_id",
                            "issue_date",
                            "due_date",
                        ),
                        name="invoicetotal_key",
                        nulls_distinct=False,
                    )
                ],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("all_tenants", django.db.models.manager.Manager()),
            ],
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(sum_existing, migrations.RunPython.noop),
    ]
