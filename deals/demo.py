"""Sample deals for the demo workspace: a second funnel ("Partnerships"), a product
catalogue, ~40 deals spread over the stages with amounts, owners, companies and contacts from
the client demo (contacts.demo runs first), products on some, a few won and lost. Everything
goes through the services, so cards show their history; then some dates are moved into the
past so the board has old and idle deals too.

Registered as a demo seeder (crm.accounts.demo) to run after the client demo.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from contacts.selectors import companies_for, contacts_for
from pipelines import services as pipeline_services
from pipelines.models import LostReason, Pipeline, Stage

from . import services
from .models import Deal

PRODUCTS = [
    # name, sku, unit, price, tax rate
    ("CRM licence, annual", "LIC-Y", "seat", "480.00", "20"),
    ("Onboarding workshop", "ONB-1", "day", "1200.00", "20"),
    ("Data migration", "MIG-1", "project", "2500.00", "20"),
    ("Premium support", "SUP-P", "month", "300.00", "20"),
    ("Telephony add-on", "TEL-1", "seat", "96.00", "20"),
    ("Legacy connector", "LEG-1", "pcs", "150.00", "0"),
]
PARTNER_STAGES = [
    ("Intro call", Stage.OPEN, 10),
    ("Evaluation", Stage.OPEN, 30),
    ("Contract", Stage.OPEN, 70),
    ("Signed", Stage.WON, 100),
    ("Dropped", Stage.LOST, 0),
]
SALES_TITLES = [
    "Fleet tracking roll-out", "Warehouse CRM seats", "Sales team upgrade", "Annual renewal",
    "Call centre pilot", "Regional expansion", "Support contract", "Onboarding for new office",
    "Data migration from spreadsheets", "Telephony integration", "Second department licences",
    "Dealer network pilot", "Procurement portal", "Loyalty programme", "Field sales tablets",
    "Quarterly licence top-up", "Executive dashboards", "E-commerce integration",
    "Service desk seats", "Marketing automation", "Franchise roll-out", "Training package",
    "Multi-currency invoicing", "Key account programme", "Mobile sales app", "Partner portal",
    "Import of old deals", "Contact centre expansion", "Premium support upgrade",
    "Branch offices bundle",
]  # fmt: skip
PARTNER_TITLES = [
    "Reseller agreement", "Integration partnership", "Referral programme", "Co-marketing deal",
    "Regional distributor", "Implementation partner", "Technology alliance",
    "White-label pilot", "Consulting partner", "Marketplace listing",
]  # fmt: skip


def _products(admin) -> list:
    return [
        services.product_save(
            actor=admin,
            data={
                "name": name,
                "sku": sku,
                "unit": unit,
                "price": Decimal(price),
                "tax_rate": Decimal(tax),
            },
        )
        for name, sku, unit, price, tax in PRODUCTS
    ]


def _partnerships(admin) -> Pipeline:
    pipeline = pipeline_services.pipeline_create(
        actor=admin, name="Partnerships", stages=PARTNER_STAGES
    )
    for stage in pipeline.stages.filter(kind=Stage.OPEN):
        pipeline_services.stage_update(actor=admin, stage=stage, data={"rotting_days": 30})
    return pipeline


def _make_deal(rng, actor, pipeline, title, now):
    companies = list(companies_for(actor).order_by("pk"))
    company = rng.choice(companies) if companies and rng.random() < 0.9 else None
    people = contacts_for(actor).order_by("pk")
    if company is not None:
        people = people.filter(company=company) or people
    people = list(people[:3])
    contacts = [(p, rng.choice(["decision maker", "buyer", ""])) for p in people[:2]]
    return services.deal_create(
        actor=actor,
        data={
            "title": title,
            "pipeline": pipeline,
            "amount": Decimal(rng.randrange(5, 250) * 100),
            "company": company,
            "contacts": contacts,
            "expected_close": (now + timedelta(days=rng.randrange(-10, 90))).date(),
            "tags": rng.choice([[], [], ["hot"], ["renewal"], ["upsell", "hot"]]),
            "source": rng.choice(["website", "referral", "exhibition", "cold call", "partner"]),
        },
    )


def seed(admin_membership, members) -> list[Deal]:
    """~40 deals in the admin's workspace (inside its tenant scope), owned by `members`."""
    rng = random.Random(11)  # noqa: S311  (sample data, not secrets)
    admin = admin_membership
    now = timezone.now()
    products = _products(admin)
    sales = Pipeline.objects.order_by("position", "id").first()  # the default funnel
    partnerships = _partnerships(admin)
    for stage in sales.stages.filter(name__in=["Qualified", "Proposal"]):
        pipeline_services.stage_update(actor=admin, stage=stage, data={"rotting_days": 14})
    reasons = list(LostReason.objects.all())
    team = list(members) or [admin]
    deals = []
    plan = [(sales, t) for t in SALES_TITLES] + [(partnerships, t) for t in PARTNER_TITLES]
    for i, (pipeline, title) in enumerate(plan):
        actor = team[i % len(team)] if i % 7 else admin
        deal = _make_deal(rng, actor, pipeline, title, now)
        stages = list(pipeline.stages.order_by("position"))
        open_stages = [s for s in stages if s.kind == Stage.OPEN]
        # Walk it some way along the funnel, as people would.
        steps = rng.randrange(0, len(open_stages))
        for stage in open_stages[1 : steps + 1]:
            services.deal_move(actor=actor, deal=deal, stage=stage)
        if i % 3 == 0:
            for product in rng.sample(products, rng.randrange(1, 3)):
                services.line_item_add(
                    actor=actor,
                    deal=deal,
                    product=product,
                    quantity=rng.choice([1, 2, 5, 10]),
                    discount=rng.choice([0, 0, 5, 10]),
                )
        if i % 8 == 5:
            services.deal_won(actor=actor, deal=deal)
        elif i % 8 == 6:
            services.deal_lost(
                actor=actor,
                deal=deal,
                reason=rng.choice(reasons) if reasons else None,
                note=rng.choice(["", "Went with the incumbent.", "Budget frozen until Q3."]),
            )
        deals.append(deal)
    _age(rng, deals, now)
    return deals


def _age(rng, deals: list[Deal], now) -> None:
    """Spread the deals over the last three months, some idle in their stage for weeks."""
    for deal in deals:
        created = now - timedelta(days=rng.randrange(3, 90), hours=rng.randrange(0, 24))
        entered = created + (now - created) * rng.choice([0.2, 0.5, 0.9, 1.0])
        closed = entered if deal.status != Deal.OPEN else None
        Deal.objects.filter(pk=deal.pk).update(
            created_at=created, stage_entered_at=min(entered, now), closed_at=closed
        )
        deal.stage_history.filter(left_at=None).update(entered_at=min(entered, now))
