from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Both are trusted extensions: the database owner (not a superuser) may create them."""

    dependencies = []
    operations = [TrigramExtension(), BtreeGinExtension()]
