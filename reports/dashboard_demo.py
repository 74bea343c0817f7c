"""The demo workspace's dashboard: a monthly and a quarterly plan for every salesperson
(Priya among them), set through the service like an admin would, sized on what they won
last year; then the rollups rebuilt from the deals and tasks the earlier seeders made (their
events also reach the rollups' consumer, which recomputes the same rows)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from crm.tenancy.context import require_tenant_id
from deals.models import Deal

from . import plans, rollups
from .plan_models import SalesPlan


def seed(admin, sellers) -> None:
    today = timezone.localdate()
    won = {
        row["owner_id"]: row
        for row in Deal.objects.filter(status=Deal.WON)
        .values("owner_id")
        .annotate(amount=Sum("amount"), count=Count("pk"))
    }
    for seller in sellers:
        last_year = won.get(seller.user_id, {"amount": Decimal(0), "count": 0})
        month_amount = ((last_year["amount"] or Decimal(0)) / 12).quantize(Decimal(100))
        month_deals = max(1, round(last_year["count"] / 12))
        for period, factor in ((SalesPlan.MONTH, 1), (SalesPlan.QUARTER, 3)):
            plans.plan_save(
                actor=admin, period=period, start=today, user=seller.user,
                amount=max(month_amount * factor, Decimal(1000)), deals=month_deals * factor,
            )  # fmt: skip
    rollups.rebuild(require_tenant_id())
