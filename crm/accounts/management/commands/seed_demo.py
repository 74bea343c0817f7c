"""Create the demo workspaces on first start (does nothing if the demo exists).

"Northwind Trading" (slug `demo`) is the showroom: a sales team with clients, deals, tasks and
comments. Beside it, one workspace per market (Russia, Mongolia, India) in its currency,
language and phone numbers, each with two local salespeople. demo@example.com is the admin
of all of them. The apps' demo seeders (crm.accounts.demo) make the data and pick it by the
workspace's country.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from crm.accounts import demo, services
from crm.accounts.models import Membership, Role, User
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


@dataclass(frozen=True)
class Market:
    slug: str
    name: str
    currency: str
    language: str
    country: str
    time_zone: str
    sellers: list[tuple[str, str, str]]  # email, first name, last name


# Each name sorts after "Northwind Trading", so the workspace switcher lists the showroom first.
MARKETS = [
    Market("demo-ru", "Северный ветер", "RUB", "ru", "RU", "Europe/Moscow", [
        ("alexei@demo-ru.example", "Алексей", "Смирнов"),
        ("maria@demo-ru.example", "Мария", "Кузнецова"),
    ]),
    Market("demo-mn", "Хойд Салхи ХХК", "MNT", "mn", "MN", "Asia/Ulaanbaatar", [
        ("bolormaa@demo-mn.example", "Болормаа", "Дорж"),
        ("temuulen@demo-mn.example", "Тэмүүлэн", "Ганбат"),
    ]),
    Market("demo-in", "Uttar Vayu Traders", "INR", "en", "IN", "Asia/Kolkata", [
        ("rohan@demo-in.example", "Rohan", "Verma"),
        ("meera@demo-in.example", "Meera", "Krishnan"),
    ]),
]  # fmt: skip


def _language(code: str) -> str:
    """The market's language when the CRM speaks it (settings.LANGUAGES), else the default."""
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class Command(BaseCommand):
    help = "Create the demo workspaces with sample people, clients, deals and tasks."

    def handle(self, *args, **opts):
        address = settings.SITE_URL
        if Tenant.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write(f"Demo: log in at {address} as demo@example.com / {DEMO_PASSWORD}")
            return
        # One hash for every demo login: they share a published password, and hashing it
        # a dozen times would take most of the seeding time.
        self.password = make_password(DEMO_PASSWORD)
        with transaction.atomic():
            owner = self._user("demo@example.com", "Anna", "Petrova")
            for market in MARKETS:
                self._market(owner, market)
            # Made last, so demo@example.com's newest membership is the showroom's.
            self._showroom(owner)
        # The events (cards' timelines, mentions) are dispatched by the worker, which gets
        # them on commit: dispatching a thousand of them here would triple the seeding time.
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo workspace ready: log in at {address} as demo@example.com / {DEMO_PASSWORD}"
            )
        )

    def _user(self, email: str, first: str, last: str, language: str = "") -> User:
        return User.objects.create(
            email=email, password=self.password, first_name=first, last_name=last, language=language
        )

    def _admin(self, owner: User) -> Membership:
        return Membership.objects.select_related("role", "user", "tenant").get(user=owner)

    def _showroom(self, owner: User) -> None:
        tenant = services.tenant_create(
            owner=owner, name="Northwind Trading", slug=DEMO_SLUG, currency="USD", country="US"
        )
        with tenant_scope(tenant, owner):
            admin = self._admin(owner)
            roles = {r.key: r for r in Role.objects.exclude(key="")}
            departments = {}
            for email, first, last, role_key, department in PEOPLE:
                user = self._user(email, first, last)
                if department and department not in departments:
                    departments[department] = services.department_save(actor=admin, name=department)
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
            demo.seed(admin, [m for m in team if m.role.key in ("manager", "head")])
        services.workspace_used(user=owner, tenant_id=tenant.pk)  # the admin lands here

    def _market(self, owner: User, market: Market) -> None:
        language = _language(market.language)
        tenant = services.tenant_create(
            owner=owner,
            name=market.name,
            slug=market.slug,
            currency=market.currency,
            time_zone=market.time_zone,
            language=language,
            country=market.country,
        )
        with tenant_scope(tenant, owner):
            admin = self._admin(owner)
            manager = Role.objects.get(key="manager")
            sellers = []
            for email, first, last in market.sellers:
                user = self._user(email, first, last, language)
                member = Membership.objects.create(user=user, role=manager)
                sellers.append(
                    Membership.objects.select_related("role", "user", "tenant").get(pk=member.pk)
                )
            demo.seed(admin, sellers)
