"""Rebuild the dashboards' rollup tables from the deals, tasks and calls: of one workspace
(--tenant) or of every one, each in its own scope and transaction."""

from django.core.management.base import BaseCommand

from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from reports import rollups


class Command(BaseCommand):
    help = "Rebuild the rollup tables the dashboards read, set-based, per workspace."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", type=int, help="only this workspace id")

    def handle(self, *args, tenant=None, **opts):
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(pk=tenant)
        for found in tenants:
            with tenant_scope(found):
                rollups.rebuild(found.pk)
            self.stdout.write(f"{found.pk} {found.name}: rebuilt")
