from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TenancyConfig(AppConfig):
    name = "crm.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self):
        from . import rls

        # After every migrate: every tenant table gets its row-level security policy, so a
        # new model cannot forget it (tests/tenancy/test_rls.py checks the database).
        post_migrate.connect(rls.apply_policies, dispatch_uid="crm.tenancy.rls")
