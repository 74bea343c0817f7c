"""Sample clients for the demo workspaces: companies with their people, private clients,
custom fields and a few notes, all made through the services so history shows on cards.

The data set is the workspace's market (its country): names, phones, industries and notes of
that country, in its language. Clients are dated over a year back, before the demo's oldest
deals.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from django.utils import timezone

from crm.activity.models import Event
from crm.activity.services import note_add

from . import services
from .models import Company, Contact


class Firm(NamedTuple):
    name: str
    industry: str
    domain: str
    phone: str
    legal_name: str = ""


class Person(NamedTuple):
    first: str
    last: str
    position: str = ""
    login: str = ""  # the email's local part; "first.last" when empty
    middle: str = ""


@dataclass(frozen=True)
class Clients:
    companies: list[Firm]
    people: list[Person]
    private: list[Person]
    mobile: Callable[[int], str]  # the n-th person's phone
    segment: tuple[str, list[str]]  # the custom field's label and options
    sources: list[str]
    tags: tuple[str, str, str]  # key account, partner, private client
    note: str


_SEGMENT_EN = ("Segment", ["A — key account", "B — regular", "C — occasional"])

US = Clients(
    companies=[
        Firm("Altai Logistics", "logistics", "altai-logistics.example", "+976 7011 2040"),
        Firm("Baikal Foods", "food retail", "baikalfoods.example", "+7 3952 20-30-40"),
        Firm("Chennai Textiles", "textiles", "chennaitex.example", "+91 44 2345 6789"),
        Firm("Gobi Cashmere", "textiles", "gobi-cashmere.example", "+976 7575 1000"),
        Firm("Moscow Print House", "printing", "mph.example", "+7 495 123-45-67"),
        Firm("Northern Timber", "construction", "ntimber.example", "+7 812 765-43-21"),
        Firm("Pune Software Labs", "it services", "punelabs.example", "+91 20 6600 1234"),
        Firm("Steppe Motors", "automotive", "steppemotors.example", "+976 7700 8899"),
        Firm("Volga Agro", "agriculture", "volga-agro.example", "+7 8452 55-66-77"),
        Firm("Harbor Coffee Co", "food retail", "harborcoffee.example", "+1 415 555 0142"),
    ],
    people=[
        Person("Tuvshin", "Bold", "Sales director"),
        Person("Oyun", "Erdene", "Buyer"),
        Person("Dmitry", "Volkov", "CEO"),
        Person("Elena", "Sokolova", "Procurement"),
        Person("Ravi", "Iyer", "Owner"),
        Person("Anjali", "Nair", "Finance"),
        Person("Saran", "Gantulga", "Head of purchasing"),
        Person("Nomin", "Bat", "Office manager"),
        Person("Sergey", "Orlov", "Production manager"),
        Person("Irina", "Kuznetsova", "Chief accountant"),
        Person("Alexei", "Morozov", "Director"),
        Person("Priya", "Kulkarni", "CTO"),
        Person("Arjun", "Deshpande", "Project lead"),
        Person("Ganbold", "Tseren", "Fleet manager"),
        Person("Natalia", "Popova", "Agronomist"),
        Person("Mike", "Jordan", "Store manager"),
    ],
    private=[
        Person("Olga", "Fedorova", login="olga"),
        Person("Batbayar", "Dorj", login="batbayar"),
        Person("Kavya", "Menon", login="kavya"),
        Person("Tom", "Baker", login="tom"),
    ],
    mobile=lambda n: f"+1 415 555 {1000 + n:04d}",
    segment=_SEGMENT_EN,
    sources=["website", "exhibition", "referral", "cold call"],
    tags=("vip", "partner", "private"),
    note="Asked for the new price list; call back after the holidays.",
)

RU = Clients(
    companies=[
        Firm("Байкал Продукты", "продукты питания", "baikal-produkty.example",
             "+7 3952 20-30-40", "ООО «Байкал Продукты»"),
        Firm("Северный лес", "деревообработка", "severles.example",
             "+7 812 765-43-21", "АО «Северный лес»"),
        Firm("Волга Агро", "сельское хозяйство", "volga-agro.example",
             "+7 8452 55-66-77", "ООО «Волга Агро»"),
        Firm("Московский печатный двор", "типография", "mpd.example",
             "+7 495 123-45-67", "ООО «МПД»"),
        Firm("Уральские моторы", "автомобили", "uralmotors.example",
             "+7 343 222-33-44", "ООО «Уральские моторы»"),
        Firm("Кама Логистик", "логистика", "kama-logistic.example",
             "+7 843 200-10-20", "ООО «Кама Логистик»"),
        Firm("Сибирский текстиль", "текстиль", "sibtex.example",
             "+7 383 210-20-30", "ООО «Сибтекс»"),
        Firm("Невасофт", "ИТ-услуги", "nevasoft.example",
             "+7 812 600-12-34", "ООО «Невасофт»"),
    ],
    people=[
        Person("Дмитрий", "Волков", "Генеральный директор", "d.volkov", "Сергеевич"),
        Person("Елена", "Соколова", "Руководитель закупок", "e.sokolova", "Викторовна"),
        Person("Сергей", "Орлов", "Начальник производства", "s.orlov", "Петрович"),
        Person("Ирина", "Белова", "Главный бухгалтер", "i.belova", "Андреевна"),
        Person("Николай", "Морозов", "Коммерческий директор", "n.morozov", "Иванович"),
        Person("Наталья", "Попова", "Агроном", "n.popova", "Олеговна"),
        Person("Андрей", "Лебедев", "ИТ-директор", "a.lebedev", "Михайлович"),
        Person("Ольга", "Новикова", "Офис-менеджер", "o.novikova", "Павловна"),
        Person("Павел", "Козлов", "Руководитель логистики", "p.kozlov", "Александрович"),
        Person("Татьяна", "Васильева", "Менеджер по закупкам", "t.vasilieva", "Николаевна"),
    ],
    private=[
        Person("Игорь", "Петров", login="igor.petrov"),
        Person("Светлана", "Фёдорова", login="svetlana.f"),
    ],
    mobile=lambda n: f"+7 916 {120 + 37 * n:03d}-{17 * n % 90 + 10:02d}-{29 * n % 90 + 10:02d}",
    segment=("Сегмент", ["A — ключевой клиент", "B — постоянный", "C — разовый"]),
    sources=["сайт", "выставка", "рекомендация", "холодный звонок"],
    tags=("vip", "партнёр", "частный клиент"),
    note="Просили новый прайс-лист; перезвонить после новогодних праздников.",
)  # fmt: skip

MN = Clients(
    companies=[
        Firm("Алтай Ложистик", "тээвэр, логистик", "altai-logistics.example",
             "+976 7011 2040", "«Алтай Ложистик» ХХК"),
        Firm("Тал Кашмир", "ноолуур, нэхмэл", "tal-cashmere.example",
             "+976 7575 1000", "«Тал Кашмир» ХХК"),
        Firm("Тэнгэр Моторс", "автомашин", "tenger-motors.example",
             "+976 7700 8899", "«Тэнгэр Моторс» ХХК"),
        Firm("Хангай Хүнс", "хүнсний худалдаа", "khangai-khuns.example",
             "+976 7012 3456", "«Хангай Хүнс» ХХК"),
        Firm("Туул Барилга", "барилга", "tuul-barilga.example",
             "+976 7010 5566", "«Туул Барилга» ХХК"),
        Firm("Цэнхэр Софт", "мэдээллийн технологи", "tsenkher-soft.example",
             "+976 7711 2233", "«Цэнхэр Софт» ХХК"),
        Firm("Сэлэнгэ Агро", "хөдөө аж ахуй", "selenge-agro.example",
             "+976 7036 4455", "«Сэлэнгэ Агро» ХХК"),
        Firm("Эрдэнэ Хэвлэл", "хэвлэл", "erdene-khevlel.example",
             "+976 7015 7788", "«Эрдэнэ Хэвлэл» ХХК"),
    ],
    people=[
        Person("Түвшин", "Болд", "Борлуулалтын захирал", "tuvshin.b"),
        Person("Оюун", "Эрдэнэ", "Худалдан авалтын менежер", "oyun.e"),
        Person("Сарангэрэл", "Гантулга", "Худалдан авалтын албаны дарга", "sarangerel.g"),
        Person("Ганболд", "Цэрэн", "Тээврийн менежер", "ganbold.ts"),
        Person("Номин", "Батаа", "Оффисын менежер", "nomin.b"),
        Person("Энхжаргал", "Дорж", "Ерөнхий нягтлан бодогч", "enkhjargal.d"),
        Person("Мөнхбат", "Пүрэв", "Гүйцэтгэх захирал", "munkhbat.p"),
        Person("Отгонбаяр", "Сүхбаатар", "Үйлдвэрийн менежер", "otgonbayar.s"),
        Person("Цэцэг", "Лхагва", "Агрономич", "tsetseg.l"),
        Person("Баярмаа", "Нямдорж", "Мэдээллийн технологийн менежер", "bayarmaa.n"),
    ],
    private=[
        Person("Батбаяр", "Дорж", login="batbayar.d"),
        Person("Ариунаа", "Ганбат", login="ariunaa.g"),
    ],
    mobile=lambda n: f"+976 99{7 * n % 90 + 10:02d} {379 * n % 9000 + 1000:04d}",
    segment=("Ангилал", ["A — гол харилцагч", "B — байнгын", "C — үе үе"]),
    sources=["вэбсайт", "үзэсгэлэн", "зөвлөмж", "хүйтэн дуудлага"],
    tags=("vip", "түнш", "хувь хүн"),
    note="Шинэ үнийн жагсаалт авахыг хүссэн; Цагаан сарын дараа эргэж залгах.",
)  # fmt: skip

IN = Clients(
    companies=[
        Firm("Chennai Textiles", "textiles", "chennaitex.example",
             "+91 44 2345 6789", "Chennai Textiles Pvt Ltd"),
        Firm("Pune Software Labs", "IT services", "punelabs.example",
             "+91 20 6600 1234", "Pune Software Labs Pvt Ltd"),
        Firm("Ganga Agro Foods", "food processing", "gangaagro.example",
             "+91 522 404 5678", "Ganga Agro Foods Ltd"),
        Firm("Deccan Motors", "automotive", "deccanmotors.example",
             "+91 40 2776 5432", "Deccan Motors Pvt Ltd"),
        Firm("Konkan Logistics", "logistics", "konkanlogistics.example",
             "+91 22 6170 8800", "Konkan Logistics LLP"),
        Firm("Malabar Spice Exports", "spice exports", "malabarspice.example",
             "+91 484 240 1234", "Malabar Spice Exports Pvt Ltd"),
        Firm("Jaipur Print House", "printing", "jaipurprint.example", "+91 141 510 2030"),
        Firm("Sahyadri Constructions", "construction", "sahyadri-build.example",
             "+91 80 4123 4567", "Sahyadri Constructions Pvt Ltd"),
    ],
    people=[
        Person("Ravi", "Iyer", "Managing Director"),
        Person("Anjali", "Nair", "Head of Finance"),
        Person("Arjun", "Deshpande", "Project Lead"),
        Person("Kavya", "Reddy", "Purchase Manager"),
        Person("Vikram", "Singh", "Operations Head"),
        Person("Sneha", "Patil", "IT Manager"),
        Person("Rahul", "Mehta", "Director"),
        Person("Lakshmi", "Subramanian", "Procurement Lead"),
        Person("Imran", "Qureshi", "Fleet Manager"),
        Person("Deepa", "Menon", "Office Manager"),
    ],
    private=[Person("Suresh", "Gupta"), Person("Neha", "Agarwal")],
    mobile=lambda n: f"+91 98{13 * n % 800 + 100:03d} {4513 * n % 90000 + 10000:05d}",
    segment=_SEGMENT_EN,
    sources=["website", "trade fair", "referral", "cold call"],
    tags=("vip", "partner", "private"),
    note="Asked for the new price list; call back after Diwali.",
)  # fmt: skip

MARKETS = {"US": US, "RU": RU, "MN": MN, "IN": IN}


def clients_of(tenant) -> Clients:
    """The demo data set of the workspace's country (the US one for any other)."""
    return MARKETS.get(tenant.country, US)


def _login(person: Person) -> str:
    return person.login or f"{person.first}.{person.last}".lower()


def _backdate(rng, record, now) -> None:
    """Move a new record's creation a year or so back, with its event (so its card agrees)."""
    when = now - timedelta(days=rng.randrange(450, 520), hours=rng.randrange(0, 24))
    type(record).objects.filter(pk=record.pk).update(created_at=when)
    Event.objects.filter(
        subject_type=record.event_subject_type, subject_id=record.pk, type__endswith=".created"
    ).update(created_at=when)


def seed(owner_membership, members) -> None:
    rng = random.Random(7)  # noqa: S311  (sample data, not secrets)
    data = clients_of(owner_membership.tenant)
    members = list(members) or [owner_membership]
    now = timezone.now()
    label, options = data.segment
    key_account, partner, private = data.tags
    services.custom_field_save(
        actor=owner_membership,
        object_type="contact",
        key="segment",
        label=label,
        field_type="select",
        options=options,
    )
    companies = []
    for firm in data.companies:
        company = services.record_create(
            actor=rng.choice(members),
            model=Company,
            data={
                "name": firm.name,
                "legal_name": firm.legal_name,
                "industry": firm.industry,
                "website": firm.domain,
                "phones": firm.phone,
                "emails": f"info@{firm.domain}",
                "tags": rng.choice(["", key_account, partner]),
            },
        )
        _backdate(rng, company, now)
        companies.append(company)
    for i, person in enumerate(data.people):
        company = companies[i % len(companies)]
        member = members[i % len(members)]  # everyone has clients of their own
        contact = services.record_create(
            actor=member,
            model=Contact,
            data={
                "first_name": person.first,
                "middle_name": person.middle,
                "last_name": person.last,
                "position": person.position,
                "company": company,
                "emails": f"{_login(person)}@{company.domain}",
                "phones": data.mobile(i),
                "source": rng.choice(data.sources),
                "custom": {"segment": rng.choice(options[:2])},
            },
        )
        _backdate(rng, contact, now)
        if i % 3 == 0:
            note_add(actor=member, subject=contact, body=data.note)
    for i, person in enumerate(data.private):
        contact = services.record_create(
            actor=rng.choice(members),
            model=Contact,
            data={
                "first_name": person.first,
                "last_name": person.last,
                "tags": private,
                "emails": f"{_login(person)}@mail.example",
                # The showroom's private clients have always come without a phone.
                "phones": "" if data is US else data.mobile(len(data.people) + i),
                "source": data.sources[0],
            },
        )
        _backdate(rng, contact, now)
