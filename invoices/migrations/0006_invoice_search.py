"""The list's search column (number and client's name, lower-cased) and its trigram index."""

import django.contrib.postgres.indexes
import django.db.models.fields.json
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invoices', '0005_invoice_totals'),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='search',
            field=models.GeneratedField(db_persist=True, expression=django.db.models.functions.text.Lower(django.db.models.functions.text.Concat('number', models.Value('\n'), django.db.models.fields.json.KeyTextTransform('name', 'client'), output_field=models.TextField())), output_field=models.TextField()),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=django.contrib.postgres.indexes.GinIndex(fields=['tenant', 'search'], name='invoice_search', opclasses=['int8_ops', 'gin_trgm_ops']),
        ),
    ]
