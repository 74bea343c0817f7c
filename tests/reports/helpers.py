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


def head_and_two_managers(label: str):
    """A workspace with a head of the Sales department (Hana) and two managers of it (Ann,
    Bob), and their deals: Ann won 100.00 in January and 250.50 in February 2026, Bob won
    400.00 in February and has 50.00 open. (tenant, head, ann, bob)."""
    from crm.accounts import services
    from tests.conftest import add_member, make_user, make_workspace

    tenant, admin = make_workspace(label)
    hana = make_user(first_name="Hana", last_name="Head")
    with tenant_scope(tenant, admin.user):
        sales = services.department_save(actor=admin, name="Sales", head=hana)
    head = add_member(tenant, "head", user=hana, department=sales)
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"),
                     department=sales)  # fmt: skip
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"),
                     department=sales)  # fmt: skip
    make_deals(tenant, [
        (ann.user, "100.00", "won", at(2026, 1), "Ann January"),
        (ann.user, "250.50", "won", at(2026, 2), "Ann February"),
        (bob.user, "400.00", "won", at(2026, 2), "Bob February"),
        (bob.user, "50.00", "open", None, "Bob open"),
    ])  # fmt: skip
    return tenant, head, ann, bob
