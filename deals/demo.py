"""Sample deals for the demo workspaces: a second funnel ("Partnerships"), a product
catalogue, open deals spread over the stages with amounts, owners, companies and contacts from
the client demo (contacts.demo runs first), products on some; won and lost deals in each of
the last twelve months; a next step (a task for the deal's owner) on most open deals, and a
few deals idle long enough to be rotting.

Everything goes through the services, so cards show their history; then each deal's story
(its stage history and events) is moved into the past, so the board, the reports and the
cards agree on when things happened. The data set is the workspace's market (its country):
titles, products, prices and amounts in its currency and language.

Registered as a demo seeder (crm.accounts.demo) to run after the client demo.
"""

from __future__ import annotations

import random
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from contacts.selectors import companies_for, contacts_for
from crm.activity.models import Event
from crm.activity.services import task_create
from pipelines import services as pipeline_services
from pipelines.models import LostReason, Pipeline, Stage

from . import services
from .models import Deal, StageHistory


@dataclass(frozen=True)
class Catalogue:
    products: list[tuple[str, str, str, str, str]]  # name, sku, unit, price, tax rate
    partner_funnel: str
    partner_stages: list[str]  # three open stages, then won and lost
    sales_titles: list[str]
    partner_titles: list[str]
    closed_titles: list[str]  # won and lost over the last year
    closed_per_month: int
    amount: tuple[int, int, int]  # a deal's amount: randrange(low, high) * step
    tags: list[list[str]]
    sources: list[str]
    roles: list[str]  # a contact's part in a deal
    lost_notes: list[str]
    next_steps: list[tuple[str, str]]  # task kind, title


US = Catalogue(
    products=[
        ("CRM licence, annual", "LIC-Y", "seat", "480.00", "20"),
        ("Onboarding workshop", "ONB-1", "day", "1200.00", "20"),
        ("Data migration", "MIG-1", "project", "2500.00", "20"),
        ("Premium support", "SUP-P", "month", "300.00", "20"),
        ("Telephony add-on", "TEL-1", "seat", "96.00", "20"),
        ("Legacy connector", "LEG-1", "pcs", "150.00", "0"),
    ],
    partner_funnel="Partnerships",
    partner_stages=["Intro call", "Evaluation", "Contract", "Signed", "Dropped"],
    sales_titles=[
        "Fleet tracking roll-out", "Warehouse CRM seats", "Sales team upgrade",
        "Annual renewal", "Call centre pilot", "Regional expansion", "Support contract",
        "Onboarding for new office", "Data migration from spreadsheets",
        "Telephony integration", "Second department licences", "Dealer network pilot",
        "Procurement portal", "Loyalty programme", "Field sales tablets",
        "Quarterly licence top-up", "Executive dashboards", "E-commerce integration",
        "Service desk seats", "Marketing automation", "Franchise roll-out", "Training package",
        "Multi-currency invoicing", "Key account programme", "Mobile sales app",
        "Partner portal", "Import of old deals", "Contact centre expansion",
        "Premium support upgrade", "Branch offices bundle",
    ],
    partner_titles=[
        "Reseller agreement", "Integration partnership", "Referral programme",
        "Co-marketing deal", "Regional distributor", "Implementation partner",
        "Technology alliance", "White-label pilot", "Consulting partner",
        "Marketplace listing",
    ],
    closed_titles=[
        "Licence renewal", "Branch offices bundle", "Extra seats for sales", "Annual support",
        "Turnkey implementation", "Telephony add-on", "Team training",
        "Migration from another CRM", "Licence top-up", "Management dashboards",
        "Web shop integration", "Mobile sales app",
    ],
    closed_per_month=2,
    amount=(5, 250, 100),
    tags=[[], [], ["hot"], ["renewal"], ["upsell", "hot"]],
    sources=["website", "referral", "exhibition", "cold call", "partner"],
    roles=["decision maker", "buyer", ""],
    lost_notes=["", "Went with the incumbent.", "Budget frozen until Q3."],
    next_steps=[
        ("call", "Call to agree the next step"),
        ("task", "Send the revised proposal"),
        ("meeting", "Demo for the buying team"),
        ("call", "Check the budget approval"),
        ("task", "Prepare the contract draft"),
        ("meeting", "Meet the decision maker"),
    ],
)  # fmt: skip

RU = Catalogue(
    products=[
        ("Лицензия CRM, годовая", "LIC-Y", "место", "24000.00", "0"),
        ("Обучение сотрудников", "ONB-1", "день", "60000.00", "22"),
        ("Перенос данных", "MIG-1", "проект", "150000.00", "22"),
        ("Расширенная поддержка", "SUP-P", "мес.", "15000.00", "22"),
        ("Модуль телефонии", "TEL-1", "место", "4800.00", "22"),
        ("Коннектор к 1С", "1C-1", "шт.", "35000.00", "22"),
    ],
    partner_funnel="Партнёры",
    partner_stages=["Знакомство", "Оценка", "Договор", "Подписан", "Отказ"],
    sales_titles=[
        "Внедрение CRM в отделе продаж", "Лицензии для склада", "Продление подписки",
        "Пилот для колл-центра", "Выход в регионы", "Договор на поддержку",
        "Перенос данных из Excel", "Интеграция телефонии", "Лицензии для филиала",
        "Портал для дилеров", "Программа лояльности", "Интеграция с 1С",
    ],
    partner_titles=[
        "Договор с реселлером", "Интеграционное партнёрство", "Реферальная программа",
        "Региональный дистрибьютор",
    ],
    closed_titles=[
        "Продление лицензий", "Пакет для филиалов", "Места для отдела продаж",
        "Годовая поддержка", "Внедрение под ключ", "Модуль телефонии", "Обучение отдела",
        "Переход с другой CRM", "Докупка лицензий", "Панели для руководителя",
        "Интеграция интернет-магазина", "Мобильное приложение для продаж",
    ],
    closed_per_month=1,
    amount=(5, 250, 10_000),
    tags=[[], [], ["горячая"], ["продление"], ["допродажа", "горячая"]],
    sources=["сайт", "рекомендация", "выставка", "холодный звонок", "партнёр"],
    roles=["ЛПР", "закупщик", ""],
    lost_notes=["", "Остались с текущим поставщиком.", "Бюджет заморожен до III квартала."],
    next_steps=[
        ("call", "Созвониться и договориться о следующем шаге"),
        ("task", "Отправить обновлённое КП"),
        ("meeting", "Демонстрация для закупочной комиссии"),
        ("call", "Уточнить, согласован ли бюджет"),
        ("task", "Подготовить проект договора"),
        ("meeting", "Встреча с ЛПР"),
    ],
)  # fmt: skip

MN = Catalogue(
    products=[
        ("CRM лиценз, жилийн", "LIC-Y", "хэрэглэгч", "1600000.00", "10"),
        ("Ажилтны сургалт", "ONB-1", "өдөр", "4000000.00", "10"),
        ("Өгөгдөл шилжүүлэх", "MIG-1", "төсөл", "8500000.00", "10"),
        ("Нэмэлт дэмжлэг", "SUP-P", "сар", "1000000.00", "10"),
        ("Утасны модуль", "TEL-1", "хэрэглэгч", "330000.00", "10"),
        ("Санхүүгийн программын холбогч", "ACC-1", "ш", "2500000.00", "10"),
    ],
    partner_funnel="Түншлэл",
    partner_stages=["Танилцуулга", "Үнэлгээ", "Гэрээ", "Байгуулсан", "Цуцалсан"],
    sales_titles=[
        "Борлуулалтын хэлтэст CRM нэвтрүүлэх", "Агуулахын лиценз", "Жилийн захиалга сунгах",
        "Дуудлагын төвийн туршилт", "Аймгуудад өргөжүүлэх", "Дэмжлэгийн гэрээ",
        "Excel-ээс өгөгдөл шилжүүлэх", "Утасны интеграц", "Салбарын лиценз",
        "Дилерийн портал", "Урамшууллын хөтөлбөр", "Шинэ ажилтнуудын сургалт",
    ],
    partner_titles=[
        "Дистрибьютерийн гэрээ", "Интеграцийн түншлэл", "Зөвлөмжийн хөтөлбөр",
        "Бүс нутгийн борлуулагч",
    ],
    closed_titles=[
        "Лиценз сунгалт", "Салбаруудын багц", "Нэмэлт хэрэглэгчид", "Жилийн дэмжлэг",
        "Бүрэн нэвтрүүлэлт", "Утасны модуль", "Хэлтсийн сургалт", "Өөр CRM-ээс шилжих",
        "Лиценз нэмэх", "Удирдлагын самбар", "Онлайн дэлгүүрийн интеграц",
        "Гар утасны апп",
    ],
    closed_per_month=1,
    amount=(5, 250, 300_000),
    tags=[[], [], ["халуун"], ["сунгалт"], ["нэмэлт", "халуун"]],
    sources=["вэбсайт", "зөвлөмж", "үзэсгэлэн", "хүйтэн дуудлага", "түнш"],
    roles=["шийдвэр гаргагч", "худалдан авагч", ""],
    lost_notes=["", "Одоогийн нийлүүлэгчээ сонгосон.", "Төсөв III улирал хүртэл царцсан."],
    next_steps=[
        ("call", "Дараагийн алхмыг тохирох"),
        ("task", "Шинэчилсэн үнийн санал илгээх"),
        ("meeting", "Худалдан авах багт танилцуулга хийх"),
        ("call", "Төсөв батлагдсан эсэхийг тодруулах"),
        ("task", "Гэрээний төсөл бэлдэх"),
        ("meeting", "Шийдвэр гаргагчтай уулзах"),
    ],
)  # fmt: skip

IN = Catalogue(
    products=[
        ("CRM licence, annual", "LIC-Y", "seat", "39000.00", "18"),
        ("Onboarding workshop", "ONB-1", "day", "95000.00", "18"),
        ("Data migration", "MIG-1", "project", "210000.00", "18"),
        ("Premium support", "SUP-P", "month", "25000.00", "18"),
        ("WhatsApp Business add-on", "WA-1", "seat", "8000.00", "18"),
        ("Tally connector", "TAL-1", "pcs", "12000.00", "18"),
    ],
    partner_funnel="Partnerships",
    partner_stages=["Intro call", "Evaluation", "Agreement", "Signed", "Dropped"],
    sales_titles=[
        "CRM roll-out for the sales team", "Dealer network onboarding", "Annual licence renewal",
        "Call centre pilot", "Expansion to tier-2 cities", "AMC support contract",
        "Migration from Excel sheets", "WhatsApp integration", "Licences for the Chennai branch",
        "Distributor portal", "Festive season loyalty programme", "Field sales tablets",
    ],
    partner_titles=[
        "Channel partner agreement", "System integrator tie-up", "Referral programme",
        "State distributor",
    ],
    closed_titles=[
        "Licence renewal", "Branch offices bundle", "Extra seats for sales",
        "Annual maintenance contract", "Turnkey implementation", "IVR telephony add-on",
        "Team training", "Migration from another CRM", "Licence top-up",
        "Management dashboards", "E-commerce integration", "Mobile sales app",
    ],
    closed_per_month=1,
    amount=(5, 250, 10_000),
    tags=[[], [], ["hot"], ["renewal"], ["upsell", "hot"]],
    sources=["website", "referral", "trade fair", "cold call", "partner"],
    roles=["decision maker", "buyer", ""],
    lost_notes=["", "Went with the incumbent.", "Budget frozen until the next financial year."],
    next_steps=US.next_steps,
)  # fmt: skip

MARKETS = {"US": US, "RU": RU, "MN": MN, "IN": IN}
ROTTING_DAYS = 14  # the sales funnel's middle stages; the partner funnel's open ones take 30
NO_NEXT_STEP_EVERY = 9  # every ninth open deal has no next step, for the "No next step" filter
ROTTING_EVERY = 6  # every sixth open deal that can rot is left idle past its stage's limit


def catalogue_of(tenant) -> Catalogue:
    """The demo data set of the workspace's country (the US one for any other)."""
    return MARKETS.get(tenant.country, US)


def _products(admin, data: Catalogue) -> list:
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
        for name, sku, unit, price, tax in data.products
    ]


def _partnerships(admin, data: Catalogue) -> Pipeline:
    *opens, won, lost = data.partner_stages
    stages = [
        *((name, Stage.OPEN, p) for name, p in zip(opens, (10, 30, 70), strict=True)),
        (won, Stage.WON, 100),
        (lost, Stage.LOST, 0),
    ]
    pipeline = pipeline_services.pipeline_create(
        actor=admin, name=data.partner_funnel, stages=stages
    )
    for stage in pipeline.stages.filter(kind=Stage.OPEN):
        pipeline_services.stage_update(actor=admin, stage=stage, data={"rotting_days": 30})
    return pipeline


def seed(admin_membership, members) -> list[Deal]:
    """The admin's workspace's deals (inside its tenant scope), owned by `members` and now
    and then the admin."""
    return _Seeding(admin_membership, list(members) or [admin_membership]).run()


class _Seeding:
    def __init__(self, admin, team):
        self.rng = random.Random(11)  # noqa: S311  (sample data, not secrets)
        self.admin, self.team = admin, team
        self.data = catalogue_of(admin.tenant)
        self.now = timezone.now()
        self.clients = {}  # membership id -> (companies, contacts) it sees
        self.reasons = []

    def run(self) -> list[Deal]:
        admin = self.admin
        self.products = _products(admin, self.data)
        self.sales = Pipeline.objects.order_by("position", "id").first()  # the default funnel
        self.partnerships = _partnerships(admin, self.data)
        # "Qualified" and "Proposal", found by place: their names are in the workspace's language
        for stage in self.sales.stages.filter(kind=Stage.OPEN).order_by("position")[1:3]:
            pipeline_services.stage_update(
                actor=admin, stage=stage, data={"rotting_days": ROTTING_DAYS}
            )
        self.reasons = list(LostReason.objects.all())
        board = self.open_deals()
        closed = self.closed_deals()
        self.next_steps(board)
        return board + closed

    def owner(self, i: int):
        return self.team[i % len(self.team)] if i % 7 else self.admin

    def make(self, actor, pipeline, title, expected_close: date) -> Deal:
        rng = self.rng
        if actor.pk not in self.clients:
            self.clients[actor.pk] = (
                list(companies_for(actor).order_by("pk")),
                list(contacts_for(actor).order_by("pk")),
            )
        companies, people = self.clients[actor.pk]
        company = rng.choice(companies) if companies and rng.random() < 0.9 else None
        if company is not None:
            people = [p for p in people if p.company_id == company.pk] or people
        low, high, step = self.data.amount
        return services.deal_create(
            actor=actor,
            data={
                "title": title,
                "pipeline": pipeline,
                "amount": Decimal(rng.randrange(low, high) * step),
                "company": company,
                "contacts": [(p, rng.choice(self.data.roles)) for p in people[:2]],
                "expected_close": expected_close,
                "tags": rng.choice(self.data.tags),
                "source": rng.choice(self.data.sources),
            },
        )

    def walk(self, actor, deal, pipeline, *, steps=None, products=False) -> None:
        """Move it some way along the funnel, as people would; and add some products."""
        rng = self.rng
        open_stages = list(pipeline.stages.filter(kind=Stage.OPEN).order_by("position"))
        steps = rng.randrange(0, len(open_stages)) if steps is None else steps
        for stage in open_stages[1 : steps + 1]:
            services.deal_move(actor=actor, deal=deal, stage=stage)
        if products:
            for product in rng.sample(self.products, rng.randrange(1, 3)):
                services.line_item_add(
                    actor=actor,
                    deal=deal,
                    product=product,
                    quantity=rng.choice([1, 2, 5, 10]),
                    discount=rng.choice([0, 0, 5, 10]),
                )

    def lose(self, actor, deal) -> None:
        services.deal_lost(
            actor=actor,
            deal=deal,
            reason=self.rng.choice(self.reasons) if self.reasons else None,
            note=self.rng.choice(self.data.lost_notes),
        )

    def open_deals(self) -> list[Deal]:
        """The board: deals across both funnels, a few of them closed in the last weeks, a
        few idle in their stage past its rotting days."""
        rng, now, data = self.rng, self.now, self.data
        plan = [(self.sales, t) for t in data.sales_titles]
        plan += [(self.partnerships, t) for t in data.partner_titles]
        deals = []
        for i, (pipeline, title) in enumerate(plan):
            actor = self.owner(i)
            expected = (now + timedelta(days=rng.randrange(-10, 90))).date()
            deal = self.make(actor, pipeline, title, expected)
            self.walk(actor, deal, pipeline, products=i % 3 == 0)
            if i % 8 == 5:
                services.deal_won(actor=actor, deal=deal)
            elif i % 8 == 6:
                self.lose(actor, deal)
            deals.append(deal)
        can_rot = 0
        for deal in deals:
            deal.refresh_from_db()  # the services moved and closed their own copies
            limit = deal.stage.rotting_days if deal.status == Deal.OPEN else None
            created = now - timedelta(days=rng.randrange(5, 75), hours=rng.randrange(0, 24))
            if limit and can_rot % ROTTING_EVERY == 0:
                entered = now - timedelta(
                    days=limit + rng.randrange(3, 20), hours=rng.randrange(24)
                )
                created = min(created, entered - timedelta(days=rng.randrange(2, 20)))
            else:
                entered = created + (now - created) * rng.uniform(0.2, 1.0)
                if limit:  # moved there recently enough not to rot
                    entered = max(entered, now - timedelta(days=limit - 1))
            can_rot += bool(limit)
            _backdate(deal, created, entered, now)
        return deals

    def closed_deals(self) -> list[Deal]:
        """Won and lost deals in each of the last twelve months (about a third lost), for the
        reports' history."""
        rng, now, data = self.rng, self.now, self.data
        deals = []
        starts = _month_starts(now, 12)
        n = 0
        for month, start in enumerate(starts):
            end = starts[month - 1] if month else now
            for _ in range(data.closed_per_month):
                closed = start + (end - start) * rng.uniform(0.1, 0.9)
                created = closed - timedelta(days=rng.randrange(10, 60), hours=rng.randrange(24))
                actor = self.owner(n + 1)
                title = data.closed_titles[n % len(data.closed_titles)]
                deal = self.make(actor, self.sales, title, closed.date())
                self.walk(actor, deal, self.sales, steps=rng.randrange(1, 3), products=n % 4 == 0)
                if n % 3 == 2:
                    self.lose(actor, deal)
                else:
                    services.deal_won(actor=actor, deal=deal)
                deal.refresh_from_db()
                _backdate(deal, created, closed, now)
                deals.append(deal)
                n += 1
        return deals

    def next_steps(self, deals) -> None:
        """A task about most open deals, for the deal's owner, due from a few days ago to
        two weeks ahead."""
        rng, admin = self.rng, self.admin
        owners = {m.user_id: m for m in [admin, *self.team]}
        zone = zoneinfo.ZoneInfo(admin.tenant.time_zone or "UTC")
        today = timezone.localdate(timezone=zone)
        open_deals = [d for d in deals if d.status == Deal.OPEN]
        planned = Counter()  # per owner, so one person's next steps differ
        for i, deal in enumerate(open_deals):
            if i % NO_NEXT_STEP_EVERY == NO_NEXT_STEP_EVERY // 2:
                continue
            owner = owners.get(deal.owner_id, admin)
            kind, title = self.data.next_steps[planned[owner.pk] % len(self.data.next_steps)]
            planned[owner.pk] += 1
            day = today + timedelta(days=rng.randrange(-4, 15))
            if kind == "task":
                timing = {"all_day": True, "due_date": day}
            else:
                timing = {"due_at": datetime.combine(day, time(rng.randrange(9, 18)), tzinfo=zone)}
            task_create(
                actor=owner,
                title=title,
                kind=kind,
                subject=deal,
                assignee=owner.user,
                duration_minutes=60 if kind == "meeting" else 30,
                **timing,
            )


def _month_starts(now, count: int) -> list[datetime]:
    """The first moments of this month and the `count - 1` before it, newest first."""
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        starts.append(first)
    return starts


def _backdate(deal: Deal, created: datetime, entered: datetime, now) -> None:
    """Move a deal made just now (fresh from the database) into the past: made at `created`,
    in its current stage since `entered` (closed then, if it is closed). Its stage history is
    spread evenly in between and each of its events moves with the stage it happened in, so
    the card, the board and the stage history tell one story."""
    entered = min(entered, now)
    rows = list(StageHistory.objects.filter(deal=deal).order_by("entered_at", "id"))
    real = [row.entered_at for row in rows]
    last = len(rows) - 1
    fake = [created + (entered - created) * (j / last) for j in range(last)] + [entered]
    for j, row in enumerate(rows):
        row.entered_at = fake[j]
        row.left_at = fake[j + 1] if j < last else None
    StageHistory.objects.bulk_update(rows, ["entered_at", "left_at"])
    events = list(Event.objects.filter(subject_type="deal", subject_id=deal.pk))
    for event in events:
        j = max((k for k, t in enumerate(real) if t <= event.created_at), default=0)
        event.created_at = min(fake[j] + (event.created_at - real[j]), now)
    Event.objects.bulk_update(events, ["created_at"])
    deal.created_at, deal.stage_entered_at = fake[0], entered
    deal.closed_at = entered if deal.status != Deal.OPEN else None
    Deal.objects.filter(pk=deal.pk).update(
        created_at=deal.created_at, stage_entered_at=entered, closed_at=deal.closed_at
    )
