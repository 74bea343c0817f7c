"""A sales team with deals counted by hand: a department "East" headed by Hari, with Priya
(a manager, own visibility) in it; Bob, a manager outside it. This month: Priya won 1,000
and lost 200 and has 100 open; Bob won 2,000 and 700 EUR and lost 300. Last month Priya won
500. The rollups are rebuilt from that."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.accounts import services as account_services
from crm.tenancy.context import tenant_scope
from deals import services
from deals.models import Deal
from pipelines.models import LostReason
from reports import rollups
from tests.conftest import add_member, make_user
from tests.pipelines.helpers import new_deal


@dataclass
class Team:
    tenant: object
    admin: object
    head: object
    priya: object
    bob: object
    east: object
    reason: object


def _close(actor, deal, won=True, reason=None):
    with tenant_scope(actor.tenant_id, actor.user):
        deal = Deal.objects.get(pk=deal.pk)
        if won:
            services.deal_won(actor=actor, deal=deal)
        else:
            services.deal_lost(actor=actor, deal=deal, reason=reason)


@pytest.fixture
def team(workspace) -> Team:
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        east = account_services.department_save(actor=admin, name="East")
    head = add_member(tenant, "head", user=make_user(first_name="Hari"), department=east)
    with tenant_scope(tenant, admin.user):
        account_services.department_save(actor=admin, department=east, name="East", head=head.user)
    priya = add_member(tenant, "manager", user=make_user(first_name="Priya"), department=east)
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob"))
    with tenant_scope(tenant):
        reason = LostReason.objects.order_by("position").first()
    _close(priya, new_deal(priya, title="P won", amount="1000", source="referral"))
    _close(priya, new_deal(priya, title="P lost", amount="200"), won=False, reason=reason)
    new_deal(priya, title="P open", amount="100")
    earlier = new_deal(priya, title="P won before", amount="500")
    _close(priya, earlier)
    _close(bob, new_deal(bob, title="B won", amount="2000", source="website"))
    _close(bob, new_deal(bob, title="B won EUR", amount="700", currency="EUR"))
    _close(bob, new_deal(bob, title="B lost", amount="300"), won=False, reason=reason)
    # Last month, seven days before this month began (the workspace's time zone is UTC).
    before = dt.datetime.combine(
        timezone.localdate().replace(day=1) - dt.timedelta(days=7), dt.time(12), tzinfo=dt.UTC
    )
    with tenant_scope(tenant):
        Deal.objects.filter(pk=earlier.pk).update(created_at=before, closed_at=before)
        rollups.rebuild()
    return Team(tenant, admin, head, priya, bob, east, reason)


def amount(value) -> Decimal:
    return Decimal(str(value))
