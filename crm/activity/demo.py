"""Sample tasks and comments for the demo workspaces: every member who works with tasks (the
admin and the salespeople) has something overdue, something today, a week ahead and something
done, about their own clients; comments on their deals and clients mention them by name.

The texts are the workspace's language (by its country). Days are the workspace's days.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.utils import timezone

from crm import objects

from . import services

PLAN = [
    # (kind, days from today, hour or None for all day, reminder, done)
    ("call", -1, 11, None, False),
    ("meeting", 0, 15, 30, False),
    ("task", 0, None, None, False),
    ("call", 1, 10, 15, False),
    ("meeting", 3, 14, 60, False),
    ("task", 6, None, 1440, False),
    ("call", 0, 9, None, True),
]
TEXTS = {
    "US": {
        "titles": [
            "Call back about the quote", "Product demo", "Send the contract draft",
            "Check the delivery date", "Quarterly review", "Prepare a discount offer",
            "Introductory call",
        ],
        "done": "Interested; wants a demo.",
        # {who}: the record's owner, mentioned; on their client, then on their deal
        "to_owner": [
            "{who} they asked for a call before Friday, can you take it?",
            "{who} the client wants the revised quote by Thursday, can you send it?",
        ],
        # {who}: the admin, mentioned by the deal's owner
        "to_admin": "{who} can we give them 10% off for a two-year term?",
    },
    "RU": {
        "titles": [
            "Перезвонить по коммерческому предложению", "Демонстрация продукта",
            "Отправить проект договора", "Уточнить сроки поставки", "Квартальная встреча",
            "Подготовить предложение со скидкой", "Первый звонок",
        ],
        "done": "Интересуются; хотят демонстрацию.",
        "to_owner": [
            "{who} просили перезвонить до пятницы, возьмёшь?",
            "{who} клиент ждёт обновлённое КП к четвергу, отправишь?",
        ],
        "to_admin": "{who} можем дать скидку 10% при договоре на два года?",
    },
    "MN": {
        "titles": [
            "Үнийн саналын талаар эргэж залгах", "Бүтээгдэхүүний танилцуулга",
            "Гэрээний төсөл илгээх", "Хүргэлтийн хугацааг тодруулах", "Улирлын уулзалт",
            "Хөнгөлөлттэй санал бэлдэх", "Танилцах дуудлага",
        ],
        "done": "Сонирхож байна; танилцуулга үзэхийг хүссэн.",
        "to_owner": [
            "{who} баасан гарагаас өмнө залгаж өгөөрэй гэсэн, чи авах уу?",
            "{who} харилцагч пүрэв гараг гэхэд шинэчилсэн үнийн санал хүлээж байна, "
            "илгээх үү?",
        ],
        "to_admin": "{who} хоёр жилийн гэрээнд 10% хөнгөлөлт үзүүлж болох уу?",
    },
    "IN": {
        "titles": [
            "Call back about the quotation", "Product demo", "Send the agreement draft",
            "Confirm the delivery date", "Quarterly review", "Prepare a festive discount offer",
            "Introductory call",
        ],
        "done": "Interested; wants a demo.",
        "to_owner": [
            "{who} they asked for a call before Friday, can you take it?",
            "{who} the client wants the revised quotation with GST by Thursday, can you send it?",
        ],
        "to_admin": "{who} can we offer 10% off for a two-year term?",
    },
}  # fmt: skip


def _mention(user) -> str:
    """A colleague mentioned as people type it (crm.activity.services.comments.MENTION):
    "@Priya", or "@[Full Name]" when the first name is more than one word."""
    if re.fullmatch(r"[\w.+-]+", user.first_name):
        return "@" + user.first_name
    return f"@[{user.get_full_name()}]"


def seed(admin, team) -> None:
    """Run inside the demo workspace's scope, after the clients and the deals exist."""
    texts = TEXTS.get(admin.tenant.country, TEXTS["US"])
    zone = zoneinfo.ZoneInfo(admin.tenant.time_zone or "UTC")
    people = [m for m in [admin, *team] if m.can("task", "create")]
    contacts = list(objects.get("contact").records(admin).order_by("id"))
    for member in people:
        theirs = [c for c in contacts if c.owner_id == member.user_id] or contacts
        _day_of(member, theirs, texts, zone)
    _comments(admin, team, texts)


def _day_of(member, contacts, texts, zone) -> None:
    today = timezone.localdate(timezone=zone)
    for n, (kind, days, hour, reminder, done) in enumerate(PLAN):
        day = today + dt.timedelta(days=days)
        timing = (
            {"all_day": True, "due_date": day}
            if hour is None
            else {
                "due_at": dt.datetime.combine(day, dt.time(hour), tzinfo=zone),
                "duration_minutes": 30 if kind == "call" else 60,
            }
        )
        task = services.task_create(
            actor=member,
            title=texts["titles"][n],
            kind=kind,
            subject=contacts[n % len(contacts)] if contacts else None,
            reminder_minutes_before=reminder,
            **timing,
        )
        if done:
            services.task_complete(actor=member, task=task, note=texts["done"])


def _comments(admin, team, texts) -> None:
    """On each salesperson's first client and first deal, the admin asks them something;
    on their second deal, they ask the admin."""
    deal_type = objects.get("deal")
    deals = deal_type.records(admin).order_by("id") if deal_type else []
    contacts = objects.get("contact").records(admin).order_by("id")
    on_client, on_deal = texts["to_owner"]
    for member in team:
        who = _mention(member.user)
        client = contacts.filter(owner=member.user).first()
        if client is not None:
            services.comment_add(actor=admin, subject=client, body=on_client.format(who=who))
        theirs = list(deals.filter(owner=member.user)[:2]) if deals else []
        if theirs:
            services.comment_add(actor=admin, subject=theirs[0], body=on_deal.format(who=who))
        if len(theirs) > 1:
            body = texts["to_admin"].format(who=_mention(admin.user))
            services.comment_add(actor=member, subject=theirs[1], body=body)
