"""Deals made straight in the database with the status, owner, amount and dates a report
reads, so the numbers can be counted by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

from crm.tenancy.context import tenant_scope
from deals.models import Deal
from pipelines.models import Stage


def make_deals(tenant, rows) -> list[Deal]:
    """`rows`: (owner user, amount, status, closed_at or None, title)."""
    with tenant_scope(tenant):
        stage = Stage.objects.filter(pipeline__name="Sales").order_by("position").first()
        out = []
        for owner, amount, status, closed, title in rows:
            out.append(
                Deal.objects.create(
                    title=title, amount=Decimal(amount), status=status, owner=owner,
                    pipeline=stage.pipeline, stage=stage, closed_at=closed,
                )
            )  # fmt: skip
        return out


def at(year, month, day=15) -> datetime.datetime:
    return datetime.datetime(year, month, day, 12, tzinfo=datetime.UTC)
