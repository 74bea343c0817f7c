"""Sample clients for the demo workspace: companies with their people, private clients,
custom fields and a few notes, all made through the services so history shows on cards."""

import random

from crm.activity.services import note_add

from . import services
from .models import Company, Contact

COMPANIES = [
    ("Altai Logistics", "logistics", "altai-logistics.example", "+976 7011 2040"),
    ("Baikal Foods", "food retail", "baikalfoods.example", "+7 3952 20-30-40"),
    ("Chennai Textiles", "textiles", "chennaitex.example", "+91 44 2345 6789"),
    ("Gobi Cashmere", "textiles", "gobi-cashmere.example", "+976 7575 1000"),
    ("Moscow Print House", "printing", "mph.example", "+7 495 123-45-67"),
    ("Northern Timber", "construction", "ntimber.example", "+7 812 765-43-21"),
    ("Pune Software Labs", "it services", "punelabs.example", "+91 20 6600 1234"),
    ("Steppe Motors", "automotive", "steppemotors.example", "+976 7700 8899"),
    ("Volga Agro", "agriculture", "volga-agro.example", "+7 8452 55-66-77"),
    ("Harbor Coffee Co", "food retail", "harborcoffee.example", "+1 415 555 0142"),
]
PEOPLE = [
    ("Tuvshin", "Bold", "Sales director"),
    ("Oyun", "Erdene", "Buyer"),
    ("Dmitry", "Volkov", "CEO"),
    ("Elena", "Sokolova", "Procurement"),
    ("Ravi", "Iyer", "Owner"),
    ("Anjali", "Nair", "Finance"),
    ("Saran", "Gantulga", "Head of purchasing"),
    ("Nomin", "Bat", "Office manager"),
    ("Sergey", "Orlov", "Production manager"),
    ("Irina", "Kuznetsova", "Chief accountant"),
    ("Alexei", "Morozov", "Director"),
    ("Priya", "Kulkarni", "CTO"),
    ("Arjun", "Deshpande", "Project lead"),
    ("Ganbold", "Tseren", "Fleet manager"),
    ("Natalia", "Popova", "Agronomist"),
    ("Mike", "Jordan", "Store manager"),
]
PRIVATE = [("Olga", "Fedorova"), ("Batbayar", "Dorj"), ("Kavya", "Menon"), ("Tom", "Baker")]


def seed(owner_membership, members) -> None:
    rng = random.Random(7)  # noqa: S311  (sample data, not secrets)
    services.custom_field_save(
        actor=owner_membership,
        object_type="contact",
        key="segment",
        label="Segment",
        field_type="select",
        options=["A — key account", "B — regular", "C — occasional"],
    )
    companies = []
    for name, industry, domain, phone in COMPANIES:
        member = rng.choice(members)
        companies.append(
            services.record_create(
                actor=member,
                model=Company,
                data={
                    "name": name,
                    "industry": industry,
                    "website": domain,
                    "phones": phone,
                    "emails": f"info@{domain}",
                    "tags": rng.choice(["", "vip", "partner"]),
                },
            )
        )
    for i, (first, last, position) in enumerate(PEOPLE):
        company = companies[i % len(companies)]
        member = rng.choice(members)
        contact = services.record_create(
            actor=member,
            model=Contact,
            data={
                "first_name": first,
                "last_name": last,
                "position": position,
                "company": company,
                "emails": f"{first.lower()}.{last.lower()}@{company.domain}",
                "phones": f"+1 415 555 {1000 + i:04d}",
                "source": rng.choice(["website", "exhibition", "referral", "cold call"]),
                "custom": {"segment": rng.choice(["A — key account", "B — regular"])},
            },
        )
        if i % 3 == 0:
            note_add(
                actor=member,
                subject=contact,
                body="Asked for the new price list; call back after the holidays.",
            )
    for first, last in PRIVATE:
        services.record_create(
            actor=rng.choice(members),
            model=Contact,
            data={
                "first_name": first,
                "last_name": last,
                "tags": "private",
                "emails": f"{first.lower()}@mail.example",
                "source": "website",
            },
        )
