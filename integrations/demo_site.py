"""Demo of the site's channels: a "Contact us" form (a deal in the first stage of the first
funnel) with two requests, one from a new client and one from a known one; and a site chat
with two visitors, one answered, one a known client whose return to the site shows on their
card. Everything comes in the way real submissions and chats do: a raw delivery, ingested.
"""

from __future__ import annotations

from datetime import timedelta

import phonenumbers
from django.utils import timezone

from contacts.selectors import contacts_for
from deals.selectors import pipelines

from . import ingest, receiver, services, site, visitors, webforms
from .models import Conversation

TEXTS = {
    "en": {
        "form": "Contact us", "name": "Your name", "email": "Email", "phone": "Phone",
        "company": "Company",
        "message": "Message", "thanks": "Thank you! We will call you back within a day.",
        "chat": "Site chat", "title": "Chat with us", "greeting": "Hello! How can we help?",
        "new": ("Grace", "grace.hopper@example.com", "Harbour Cafe",
                "We need 12 chairs for a new café. Can you send a quote?"),
        "known": "Could you add two more tables to my last order?",
        "visitor": "Do you deliver on weekends?", "answer": "Yes, on Saturdays until 4 pm.",
        "client_chat": "I am back to look at the new catalogue.",
    },
    "ru": {
        "form": "Напишите нам", "name": "Ваше имя", "email": "Почта", "phone": "Телефон",
        "company": "Компания",
        "message": "Сообщение", "thanks": "Спасибо! Перезвоним в течение дня.",
        "chat": "Чат на сайте", "title": "Напишите нам", "greeting": "Здравствуйте! Чем помочь?",
        "new": ("Ирина", "irina.volkova@example.com", "Кафе «Причал»",
                "Нужно 12 стульев для нового кафе. Пришлите, пожалуйста, предложение."),
        "known": "Можно добавить ещё два стола к последнему заказу?",
        "visitor": "Вы доставляете по выходным?", "answer": "Да, по субботам до 16:00.",
        "client_chat": "Я снова зашёл посмотреть новый каталог.",
    },
    "mn": {
        "form": "Бидэнтэй холбогдох", "name": "Таны нэр", "email": "Имэйл", "phone": "Утас",
        "company": "Компани",
        "message": "Зурвас", "thanks": "Баярлалаа! Өдөрт багтаан эргэн холбогдоно.",
        "chat": "Сайтын чат", "title": "Бидэнд бичээрэй",
        "greeting": "Сайн байна уу! Юугаар туслах вэ?",
        "new": ("Сарангэрэл", "sarangerel@example.com", "Нуур кафе",
                "Шинэ кафед 12 сандал хэрэгтэй байна. Үнийн санал илгээнэ үү."),
        "known": "Сүүлийн захиалга дээр хоёр ширээ нэмж болох уу?",
        "visitor": "Амралтын өдөр хүргэдэг үү?", "answer": "Тийм, бямба гарагт 16:00 хүртэл.",
        "client_chat": "Шинэ каталогийг үзэхээр дахин орлоо.",
    },
}  # fmt: skip
SITE = "https://www.northwind.example"


def seed(admin, sellers) -> None:
    language = admin.tenant.language if admin.tenant.language in TEXTS else "en"
    t, sellers = TEXTS[language], list(sellers) or [admin]
    _form(admin, sellers, t)
    _chat(admin, sellers, t)


def _form(admin, sellers, t) -> None:
    # The first funnel's first open stage: what the form's deals start in.
    funnel = pipelines().order_by("position", "id").first()
    stage = funnel.stages.filter(kind="open").order_by("position", "id").first() if funnel else None
    form = webforms.form_create(
        actor=admin,
        name=t["form"],
        fields=[
            {"label": t["name"], "type": "text", "maps_to": "contact.first_name",
             "required": True},
            {"label": t["email"], "type": "email", "maps_to": "contact.email", "required": True},
            {"label": t["phone"], "type": "phone", "maps_to": "contact.phone"},
            {"label": t["company"], "type": "text", "maps_to": "contact.company"},
            {"label": t["message"], "type": "textarea", "required": True},
        ],
        thank_you=t["thanks"],
        pipeline=funnel,
        stage=stage,
        responsible=sellers[0].user,
    )  # fmt: skip
    keys = [f["key"] for f in form.fields]
    name, email, _company, text = t["new"]
    # A phone of the workspace's country, as every demo client has one.
    sample = phonenumbers.example_number_for_type(
        admin.tenant.country, phonenumbers.PhoneNumberType.MOBILE
    )
    phone = (
        phonenumbers.format_number(sample, phonenumbers.PhoneNumberFormat.E164) if sample else ""
    )
    known = contacts_for(admin).exclude(emails=[]).order_by("pk").first()
    answers = [{keys[0]: name, keys[1]: email, keys[2]: phone, keys[4]: text,
                "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "cafe-furniture",
                "landing_page": f"{SITE}/chairs?utm_source=google&utm_medium=cpc",
                "referrer": "https://www.google.com/", "page": f"{SITE}/contact"}]  # fmt: skip
    if known is not None:
        answers.append({keys[0]: known.first_name or "Client", keys[1]: known.emails[0],
                        keys[4]: t["known"], "utm_source": "newsletter",
                        "page": f"{SITE}/contact"})  # fmt: skip
    for data in answers:
        payload = webforms.submission(form, data, region=admin.tenant.country)
        delivery, _queue = receiver.store(form.channel, payload)
        ingest.process(delivery.pk)


def _chat(admin, sellers, t) -> None:
    channel = services.channel_create(
        actor=admin,
        kind="sitechat",
        name=t["chat"],
        raw_settings={"title": t["title"], "greeting": t["greeting"]},
    )
    now = timezone.now()
    stranger = site.new_visitor_key()
    _say(channel, stranger, t["visitor"], now - timedelta(minutes=40))
    conversation = Conversation.objects.get(channel=channel, external_chat_id=f"visitor:{stranger}")
    services.reply_send(actor=sellers[-1], conversation=conversation, text=t["answer"])
    # A known client back on the site after a week: their visits, and a chat.
    client = contacts_for(admin).exclude(emails=[]).order_by("-pk").first()
    if client is None:
        return
    key = site.new_visitor_key()
    visitors.identify(key, client.pk)
    visitors.record_visit(contact_id=client.pk, url=f"{SITE}/catalogue", title="Catalogue",
                          at=now - timedelta(days=8), visitor_key=key)  # fmt: skip
    visitors.record_visit(contact_id=client.pk, url=f"{SITE}/catalogue/new", title="New in",
                          referrer="https://mail.example/", at=now - timedelta(minutes=15),
                          visitor_key=key)  # fmt: skip
    _say(channel, key, t["client_chat"], now - timedelta(minutes=10), email=client.emails[0])


def _say(channel, key: str, text: str, at, **contact) -> None:
    payload = {"id": f"{key}:{int(at.timestamp())}", "visitor": key, "text": text,
               "sent_at": at.isoformat(), "page": f"{SITE}/", **contact}  # fmt: skip
    delivery, _queue = receiver.store(channel, payload)
    ingest.process(delivery.pk)
