"""Create the demo workspace on first start (does nothing if it exists)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from crm.accounts import demo, services
from crm.accounts.models import Membership, Role, User
from crm.activity.dispatch import dispatch_pending
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-crm-2026"  # noqa: S105  (printed on start; demo data only)
PEOPLE = [
    # email, first, last, role key, department
    ("head@example.com", "Bat-Erdene", "Ganbaatar", "head", "Enterprise sales"),
    ("priya@example.com", "Priya", "Sharma", "manager", "Enterprise sales"),
    ("ivan@example.com", "Ivan", "Sokolov", "manager", "Enterprise sales"),
    ("sarah@example.com", "Sarah", "Miller", "manager", "Small business sales"),
    ("olga@example.com", "Olga", "Ivanova", "accountant", None),
]


class Command(BaseCommand):
    help = "Create the demo workspace with sample people, roles and departments."

    def handle(self, *args, **opts):
        address = settings.SITE_URL
        if Tenant.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write(f"Demo: log in at {address} as demo@example.com / {DEMO_PASSWORD}")
            return
        with transaction.atomic():
            owner = User.objects.create_user(
                email="demo@example.com",
                password=DEMO_PASSWORD,
                first_name="Anna",
                last_name="Petrova",
            )
            tenant = services.tenant_create(
                owner=owner, name="Northwind Trading", slug=DEMO_SLUG, currency="USD"
            )
            with tenant_scope(tenant, owner):
                admin = Membership.objects.select_related("role", "user").get(user=owner)
                roles = {r.key: r for r in Role.objects.exclude(key="")}
                departments = {}
                for email, first, last, role_key, department in PEOPLE:
                    user = User.objects.create_user(
                        email=email, password=DEMO_PASSWORD, first_name=first, last_name=last
                    )
                    if department and department not in departments:
                        departments[department] = services.department_save(
                            actor=admin, name=department
                        )
                    member = Membership.objects.create(user=user, role=roles["manager"])
                    services.member_update(
                        actor=admin,
                        membership=member,
                        role=roles[role_key],
                        department=departments.get(department),
                    )
                services.department_save(
                    actor=admin,
                    department=departments["Enterprise sales"],
                    name="Enterprise sales",
                    head=User.objects.get(email="head@example.com"),
                )
                services.invitation_create(
                    actor=admin, email="new.colleague@example.com", role=roles["manager"]
                )
                team = list(Membership.objects.select_related("role", "user", "tenant"))
                sellers = [m for m in team if m.role.key in ("manager", "head")]
                demo.seed(admin, sellers)
            # A second workspace, so the switcher has somewhere to go.
            services.tenant_create(owner=owner, name="Northwind Retail", slug="demo-retail")
        for t in Tenant.objects.filter(slug__in=[DEMO_SLUG, "demo-retail"]):
            with tenant_scope(t):
                dispatch_pending()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo workspace ready: log in at {address} as demo@example.com / {DEMO_PASSWORD}"
            )
        )
