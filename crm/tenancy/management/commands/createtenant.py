from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.accounts import services
from crm.accounts.models import User


class Command(BaseCommand):
    help = "Create a workspace and its owner (an Admin). The owner is created if new."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)
        parser.add_argument("--currency", default="USD")
        parser.add_argument("--time-zone", default="UTC")
        parser.add_argument("--language", default="en")

    def handle(self, *args, slug, name, owner_email, owner_password, **opts):
        try:
            with transaction.atomic():
                owner = User.objects.filter(email__iexact=owner_email).first()
                if owner is None:
                    owner = User.objects.create_user(email=owner_email, password=owner_password)
                tenant = services.tenant_create(
                    owner=owner,
                    name=name,
                    slug=slug,
                    currency=opts["currency"],
                    time_zone=opts["time_zone"],
                    language=opts["language"],
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Created workspace {tenant.slug} (id {tenant.pk}), owner {owner.email}")
