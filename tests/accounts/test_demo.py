"""The demo as a showroom: what seed_demo promises the person who logs in.

The demo is seeded once for the module (in a transaction rolled back at its end); each test
runs in a savepoint inside it.
"""

import datetime as dt
import itertools
import re
import zoneinfo
from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from contacts.models import Company, Contact
from crm.accounts.models import Membership, User
from crm.accounts.selectors import memberships_of
from crm.activity import selectors as activity_selectors
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Comment, Notification, Task
from crm.activity.records import find
from crm.tenancy.context import tenant_scope
from crm.tenancy.middleware import SESSION_KEY
from crm.tenancy.models import Tenant
from deals.models import Deal, StageHistory
from deals.selectors import deals_for, rotting_q
from invoices.models import Invoice

pytestmark = pytest.mark.django_db

MARKETS = [
    # slug, currency, country, the script its clients are named in
    ("demo-ru", "RUB", "RU", "Cyrillic"),
    ("demo-mn", "MNT", "MN", "Cyrillic"),
    ("demo-in", "INR", "IN", "Latin"),
]
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@pytest.fixture(scope="module")
def showroom(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        tenant = Tenant.objects.get(slug="demo")
        with tenant_scope(tenant):
            dispatch_pending()  # what the worker does after seeding: timelines, mentions
        yield tenant
        transaction.set_rollback(True)


def test_seed_demo_builds_the_demo_once(showroom):
    users, tenants = User.objects.count(), Tenant.objects.count()
    out = StringIO()
    call_command("seed_demo", stdout=out)  # a second start: nothing new
    assert "demo@example.com / demo-crm-2026" in out.getvalue()
    assert (User.objects.count(), Tenant.objects.count()) == (users, tenants)
    slugs = set(Tenant.objects.filter(slug__startswith="demo").values_list("slug", flat=True))
    assert slugs == {"demo", "demo-ru", "demo-mn", "demo-in"}
    with tenant_scope(showroom):
        roles = dict(Membership.objects.values_list("user__email", "role__key"))
    assert roles == {
        "demo@example.com": "admin",
        "head@example.com": "head",
        "priya@example.com": "manager",
        "ivan@example.com": "manager",
        "sarah@example.com": "manager",
        "olga@example.com": "accountant",
    }


def _members(tenant):
    return list(Membership.objects.select_related("role", "user", "tenant").order_by("id"))


def test_most_open_deals_have_a_next_step_for_their_owner(showroom):
    with tenant_scope(showroom):
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(showroom.time_zone))
        open_deals = list(Deal.objects.filter(status=Deal.OPEN))
        tasks = Task.objects.filter(object_type="deal", done_at=None)
        by_deal = {}
        for task in tasks:
            by_deal.setdefault(task.object_id, []).append(task)
        without = [d for d in open_deals if d.pk not in by_deal]
        assert 2 <= len(without) <= 5 < len(open_deals) - len(without)
        for deal in open_deals:
            for task in by_deal.get(deal.pk, []):
                assert task.assignee_id == deal.owner_id
                day = task.due_date or timezone.localtime(task.due_at).date()
                assert today - dt.timedelta(days=5) <= day <= today + dt.timedelta(days=14)
        # the board's "No next step" filter shows exactly those
        admin = Membership.objects.select_related("role", "user", "tenant").get(
            user__email="demo@example.com"
        )
        assert {d.pk for d in deals_for(admin).filter(status="open", next_activity_at=None)} == {
            d.pk for d in without
        }


def test_everyone_who_works_with_tasks_has_tasks_today_and_overdue(showroom):
    now = timezone.now()
    with tenant_scope(showroom):
        zone = zoneinfo.ZoneInfo(showroom.time_zone)
        members = _members(showroom)
        workers = [m for m in members if m.can("task", "view")]
        assert {m.user.email for m in members} - {m.user.email for m in workers} == {
            "olga@example.com"  # the accountant's role has no task grant
        }
        assert "demo@example.com" in {m.user.email for m in workers}
        for member in workers:
            day = activity_selectors.my_day(member, now=now, tz=zone)
            assert day.today and day.overdue and day.upcoming and day.done, member.user.email
            kinds = {t.object_type for t in day.overdue + day.today + day.upcoming}
            assert kinds <= {"contact", "deal"}
            if member.user.email == "priya@example.com":
                assert kinds == {"contact", "deal"}  # her clients and her deals' next steps


def test_comments_mention_the_owners_of_deals_and_clients_they_are_on(showroom):
    with tenant_scope(showroom):
        comments = list(Comment.objects.exclude(mentions=[]))
        on = {(c.object_type, c.object_id) for c in comments}
        assert len([o for o in on if o[0] == "deal"]) >= 3
        assert len([o for o in on if o[0] == "contact"]) >= 3
        priya = Membership.objects.select_related("role", "user", "tenant").get(
            user__email="priya@example.com"
        )
        about_priya = [c for c in comments if priya.user_id in c.mentions]
        assert len(about_priya) >= 2
        for comment in about_priya:  # she can open what she is called to
            assert find(priya, comment.object_type, comment.object_id) is not None
        assert Notification.objects.filter(recipient=priya.user, kind="mention").count() >= 2
        admin_user = User.objects.get(email="demo@example.com")
        assert Notification.objects.filter(recipient=admin_user, kind="mention").exists()


def test_a_few_deals_are_rotting(showroom):
    with tenant_scope(showroom):
        rotting = Deal.objects.filter(rotting_q()).select_related("stage")
        assert 2 <= rotting.count() <= 8
        assert all(d.is_rotting for d in rotting)


def test_won_and_lost_deals_fall_in_each_of_the_last_twelve_months(showroom):
    now = timezone.now()
    months = set()
    month = now.date().replace(day=1)
    for _ in range(12):
        months.add((month.year, month.month))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    with tenant_scope(showroom):
        closed = list(Deal.objects.exclude(status=Deal.OPEN))
        seen = {(d.closed_at.year, d.closed_at.month) for d in closed}
        assert seen == months
        assert {d.status for d in closed} == {Deal.WON, Deal.LOST}
        for deal in closed:
            assert deal.created_at < deal.closed_at <= now and deal.amount > 0
        lost = [d for d in closed if d.status == Deal.LOST]
        assert len([d for d in lost if d.lost_reason_id]) >= len(lost) // 2
        assert len(closed) >= 24


def test_every_deals_stage_history_agrees_with_the_deal(showroom):
    now = timezone.now()
    with tenant_scope(showroom):
        history = {}
        for row in StageHistory.objects.order_by("entered_at", "id"):
            history.setdefault(row.deal_id, []).append(row)
        for deal in Deal.objects.all():
            rows = history[deal.pk]
            assert rows[0].entered_at == deal.created_at
            assert rows[-1].entered_at == deal.stage_entered_at <= now
            assert rows[-1].stage_id == deal.stage_id and rows[-1].left_at is None
            for before, after in itertools.pairwise(rows):
                assert before.left_at == after.entered_at
            if deal.status != Deal.OPEN:
                assert deal.closed_at == deal.stage_entered_at


def test_each_market_has_its_currency_and_clients_with_its_phones(showroom):
    for slug, currency, country, script in MARKETS:
        tenant = Tenant.objects.get(slug=slug)
        assert (tenant.currency, tenant.country) == (currency, country)
        with tenant_scope(tenant):
            members = _members(tenant)
            assert [m.user.email for m in members if m.role.key == "admin"] == ["demo@example.com"]
            sellers = [m.user for m in members if m.role.key == "manager"]
            assert len(sellers) == 2
            assert all(u.email.endswith(f"@{slug}.example") for u in sellers)
            assert all(u.check_password("demo-crm-2026") for u in sellers)
            clients = [*Company.objects.all(), *Contact.objects.all()]
            assert len(clients) >= 15 and all(c.phones for c in clients)
            for client in clients:
                for phone in client.phones:
                    number = phonenumbers.parse(phone)
                    assert phonenumbers.is_valid_number(number), phone
                    assert phonenumbers.region_code_for_number(number) == country, phone
            names = [str(c) for c in clients]
            in_cyrillic = [n for n in names if CYRILLIC.search(n)]
            assert len(in_cyrillic) == (len(names) if script == "Cyrillic" else 0)
            deals = list(Deal.objects.all())
            assert len(deals) >= 20 and {d.currency for d in deals} == {currency}
            assert Task.objects.filter(assignee__in=sellers).exists()


def test_demo_lands_in_northwind_trading(showroom, client):
    user = User.objects.get(email="demo@example.com")
    assert memberships_of(user)[0].tenant.slug == "demo"
    assert sorted(m.tenant.slug for m in memberships_of(user)) == sorted(
        ["demo", *(slug for slug, *_ in MARKETS)]
    )
    # Its membership there is the newest, for a choice by the workspace used last.
    newest = max(memberships_of(user), key=lambda m: (m.joined_at, m.pk))
    assert newest.tenant.slug == "demo"
    client.force_login(user)
    assert client.get("/tasks/").status_code == 200
    assert client.session[SESSION_KEY] == showroom.pk


def test_the_accountant_finds_invoices_in_every_state(showroom):
    with tenant_scope(showroom):
        invoices = list(Invoice.objects.select_related("deal"))
        states = {(i.status, i.payment_status, i.is_overdue) for i in invoices}
        assert (Invoice.ISSUED, "paid", False) in states
        assert (Invoice.ISSUED, "partial", False) in states
        assert (Invoice.ISSUED, "unpaid", True) in states
        assert (Invoice.DRAFT, "unpaid", False) in states
        assert all(i.deal.status == Deal.WON and i.total > 0 for i in invoices)
        issued = sorted((i.issue_date, i.number) for i in invoices if i.number)
        assert len(issued) == 3 and len({n for _day, n in issued}) == 3
        assert [n for _day, n in issued] == sorted(n for _day, n in issued)  # by date
