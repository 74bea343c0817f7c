"""Sample inbox for the demo workspaces: a Telegram channel (left unconnected: the demo has
no bot) and conversations with clients from the client demo, in the workspace's language;
some assigned to the salespeople, one with an internal note, one closed.

The messages come in the way real ones do (a raw delivery, ingested), so the inbox, the
events and the unread counts are what a live channel would give. Registered as a demo
seeder (crm.accounts.demo) to run after clients and deals.
"""

from __future__ import annotations

from django.utils import timezone

from contacts.selectors import contacts_for

from . import ingest, receiver, services
from .models import Conversation

MESSAGES = {
    "en": ["Hello! Could you send me the invoice?", "When will the delivery arrive?",
           "Is there a discount for 10 or more?", "Thank you, everything arrived!",
           "Are you open on Saturday?"],
    "ru": ["Здравствуйте! Можно счёт на оплату?", "Когда будет доставка?",
           "Есть скидка при заказе от 10 штук?", "Спасибо, всё получили!",
           "Подскажите, вы работаете в субботу?"],
    "mn": ["Сайн байна уу! Нэхэмжлэх илгээж болох уу?", "Хүргэлт хэзээ ирэх вэ?",
           "10-аас дээш ширхэг авбал хөнгөлөлт байгаа юу?", "Баярлалаа, бүгдийг нь авлаа!",
           "Бямба гарагт ажилладаг уу?"],
}  # fmt: skip
NOTES = {
    "en": "Key account: answer within the hour.",
    "ru": "Ключевой клиент: ответить в течение часа.",
    "mn": "Гол харилцагч: нэг цагийн дотор хариулах.",
}


def _update(update_id: int, chat_id: int, name: str, text: str, sent_at: int) -> dict:
    """A Telegram update as the Bot API sends one."""
    sender = {"id": chat_id, "is_bot": False, "first_name": name}
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "from": sender, "date": sent_at, "text": text,
                    "chat": {"id": chat_id, "type": "private", "first_name": name}},
    }  # fmt: skip


def seed(admin, sellers) -> None:
    language = admin.tenant.language if admin.tenant.language in MESSAGES else "en"
    texts, sellers = MESSAGES[language], list(sellers) or [admin]
    channel = services.channel_create(
        actor=admin,
        kind="telegram",
        name="Telegram",
        raw_settings={"bot_token": "000000:demo-bot-without-a-token"},
        connect=False,
    )
    now = int(timezone.now().timestamp())
    clients = list(contacts_for(admin).order_by("pk")[: len(texts)])
    for i, (client, text) in enumerate(zip(clients, texts, strict=False)):
        chat_id = 7_000_000 + i
        sent_at = now - i * 5400  # every hour and a half, back from now
        delivery, _queue = receiver.store(
            channel, _update(i + 1, chat_id, client.first_name or "Client", text, sent_at)
        )
        ingest.process(delivery.pk)
        conversation = Conversation.objects.get(channel=channel, external_chat_id=str(chat_id))
        services.conversation_update(
            actor=admin,
            conversation=conversation,
            contact=client,
            assignee=sellers[i % len(sellers)].user if i % 3 else None,
            status=Conversation.CLOSED if i == len(texts) - 1 else "",
        )
        if i == 1:
            services.note_add(actor=admin, conversation=conversation, text=NOTES[language])
    seed_team(admin, sellers)


# --- canned responses and the team chat -----------------------------------------------------

CANNED = {
    "en": [("Greeting", "Hello {{contact.first_name}}! This is {{manager.first_name}}, how can "
                        "I help?"),
           ("Invoice sent", "{{contact.first_name}}, the invoice for {{deal.title}} is in your "
                            "mailbox. {{manager.full_name}}, {{company.name}}")],
    "ru": [("Приветствие", "Здравствуйте, {{contact.first_name}}! Это {{manager.first_name}}, "
                           "чем могу помочь?"),
           ("Счёт отправлен", "{{contact.first_name}}, счёт по сделке «{{deal.title}}» у вас на "
                              "почте. {{manager.full_name}}")],
    "mn": [("Мэндчилгээ", "Сайн байна уу, {{contact.first_name}}! Би {{manager.first_name}}, "
                          "юугаар туслах вэ?"),
           ("Нэхэмжлэх", "{{contact.first_name}}, {{deal.title}}-ийн нэхэмжлэхийг илгээлээ.")],
}  # fmt: skip
TEAM = {
    "en": ["Morning, team! Two new requests in the inbox.", "I'll take the Telegram ones.",
           "Can you cover my calls after 3 pm?", "Sure, send me the list."],
    "ru": ["Доброе утро! В ящике две новые заявки.", "Беру те, что из Telegram.",
           "Прикроешь мои звонки после 15:00?", "Да, пришли список."],
    "mn": ["Өглөөний мэнд! Хоёр шинэ хүсэлт ирсэн байна.", "Telegram-ынхыг би авъя.",
           "15 цагаас хойш миний дуудлагыг авч чадах уу?", "Тэгье, жагсаалтаа явуул."],
}  # fmt: skip


def seed_team(admin, sellers) -> None:
    """Shared canned responses and a personal one; the team chat's General channel and a
    direct conversation between the admin and the first salesperson."""
    from . import canned, team

    language = admin.tenant.language if admin.tenant.language in CANNED else "en"
    for title, text in CANNED[language]:
        canned.canned_create(actor=admin, title=title, text=text, shared=True)
    seller = sellers[0] if sellers else admin
    title, text = CANNED[language][0]
    canned.canned_create(actor=seller, title=f"{title} ({seller.user.first_name})",
                         text=text, shared=False)  # fmt: skip
    first, second, ask, answer = TEAM[language]
    general = team.workspace_room()
    team.message_post(actor=admin, room=general, text=first)
    team.message_post(actor=seller, room=general, text=second)
    if seller.pk != admin.pk:
        direct = team.direct_room(actor=admin, other=seller.user)
        team.message_post(actor=seller, room=direct, text=ask)
        team.message_post(actor=admin, room=direct, text=answer)
