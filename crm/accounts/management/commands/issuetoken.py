from django.core.management.base import BaseCommand, CommandError

from crm.accounts import services
from crm.accounts.models import Membership, User
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Print a new API key for EMAIL in the workspace SLUG."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("email")
        parser.add_argument("--name", default="Command line")

    def handle(self, *args, slug, email, name, **opts):
        tenant = Tenant.objects.filter(slug=slug).first()
        user = User.objects.filter(email__iexact=email).first()
        if tenant is None or user is None:
            raise CommandError("No such workspace or user.")
        with tenant_scope(tenant, user):
            membership = (
                Membership.objects.select_related("role", "user")
                .filter(user=user, is_active=True)
                .first()
            )
            if membership is None:
                raise CommandError(f"{email} is not an active member of {slug}.")
            _, raw = services.api_key_create(actor=membership, name=name)
        self.stdout.write(raw)
