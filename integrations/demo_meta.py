"""Sample WhatsApp, Instagram and VK conversations for the demo workspaces: the channels
are left unconnected (the demo has no Meta app or VK community), their conversations come
in as real deliveries do (a raw delivery in the far end's own shape, ingested), so the
clients are matched the way live ones are: a WhatsApp sender by the phone on their card.

Our answers are stored as `services.reply_send` stores a reply the channel took (the
demo has no channel to send through), and the far end's status reports then come in as
deliveries: one answer read, one delivered. Registered as a demo seeder after the
Telegram one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from contacts.selectors import contacts_for

from . import ingest, receiver, services
from .models import Conversation, Message

# (client's message, our answer or "") per conversation, in the workspace's language.
WHATSAPP = {
    "en": [("Hi! Is the order #1042 ready to ship?", "Yes, it leaves the warehouse today."),
           ("Can you send the price list as a PDF?", ""),
           ("We need 40 more units by Friday.", "Noted, I'll confirm the date in an hour.")],
    "ru": [("Здравствуйте! Заказ №1042 готов к отгрузке?", "Да, сегодня уходит со склада."),
           ("Пришлите, пожалуйста, прайс в PDF.", ""),
           ("Нужно ещё 40 штук к пятнице.", "Принято, подтвержу срок в течение часа.")],
    "mn": [("Сайн байна уу! №1042 захиалга илгээхэд бэлэн үү?", "Тийм, өнөөдөр агуулахаас гарна."),
           ("Үнийн жагсаалтыг PDF-ээр илгээнэ үү.", ""),
           ("Баасан гараг гэхэд 40 ширхэг нэмж хэрэгтэй.",
            "Ойлголоо, нэг цагийн дотор хугацааг баталгаажуулна.")],
}  # fmt: skip
INSTAGRAM = {
    "en": [("Saw your post, is the grey one still available?", "It is! Which size do you need?"),
           ("Do you deliver to other cities?", "")],
    "ru": [("Увидела ваш пост, серый ещё в наличии?", "Да! Какой размер нужен?"),
           ("Доставляете в другие города?", "")],
    "mn": [("Таны нийтлэлийг харлаа, саарал нь байгаа юу?", "Байгаа! Ямар хэмжээтэй хэрэгтэй вэ?"),
           ("Бусад хот руу хүргэдэг үү?", "")],
}  # fmt: skip
VK = {
    "en": [("Hello! Can I pick the order up myself?", "Of course, we're open 9 to 18."),
           ("Is there a warranty on the equipment?", "")],
    "ru": [("Добрый день! Можно забрать заказ самовывозом?", "Конечно, ждём с 9 до 18."),
           ("На оборудование есть гарантия?", "")],
    "mn": [("Өдрийн мэнд! Захиалгаа өөрөө ирж авч болох уу?", "Мэдээж, 9-18 цагт ажиллана."),
           ("Тоног төхөөрөмжид баталгаа бий юу?", "")],
}  # fmt: skip

# Settings as an admin would type them; nothing is called with them (connect=False).
DEMO_META = {"access_token": "demo-access-token-without-an-app",
             "app_secret": "demo-app-secret-without-an-app"}  # fmt: skip


def _language(admin, texts: dict) -> str:
    return admin.tenant.language if admin.tenant.language in texts else "en"


def _ingest(channel, payload) -> None:
    delivery, _queue = receiver.store(channel, payload)
    ingest.process(delivery.pk)


def _answer(admin, conversation, text: str, external_id: str, sent_at) -> Message:
    """Our answer, as reply_send keeps one the channel took (the demo has no channel)."""
    message = Message.objects.create(
        conversation=conversation,
        channel_id=conversation.channel_id,
        direction=Message.OUT,
        text=text,
        status=Message.SENT,
        external_id=external_id,
        author=admin.user,
        created_at=sent_at,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=sent_at, unread=0, waiting_since=None, first_response_at=sent_at
    )
    return message


def _whatsapp_delivery(value: dict) -> dict:
    """A WhatsApp Cloud API webhook's body around one change's value."""
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}


def _whatsapp(admin, sellers, clients, now: int) -> None:
    channel = services.channel_create(
        actor=admin,
        kind="whatsapp",
        name="WhatsApp",
        raw_settings={**DEMO_META, "phone_number_id": "100000000000001"},
        connect=False,
    )
    texts = WHATSAPP[_language(admin, WHATSAPP)]
    phoned = [c for c in clients if c.phones][: len(texts)]
    for i, (client, (question, answer)) in enumerate(zip(phoned, texts, strict=False)):
        wa_id, sent_at = client.phones[0].lstrip("+"), now - 1800 - i * 7200
        message = {"from": wa_id, "id": f"wamid.demo.in.{i}", "timestamp": str(sent_at),
                   "type": "text", "text": {"body": question}}  # fmt: skip
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": "15550000001",
                              "phone_number_id": "100000000000001"},
                 "contacts": [{"profile": {"name": client.first_name}, "wa_id": wa_id}],
                 "messages": [message]}  # fmt: skip
        _ingest(channel, _whatsapp_delivery(value))
        conversation = Conversation.objects.get(channel=channel, external_chat_id=wa_id)
        services.conversation_update(
            actor=admin,
            conversation=conversation,
            contact=client,  # matched by phone already; named again should it not be
            assignee=sellers[i % len(sellers)].user,
        )
        if answer:
            wamid = f"wamid.demo.out.{i}"
            sent = datetime.fromtimestamp(sent_at + 600, tz=UTC)
            _answer(admin, conversation, answer, wamid, sent)
            report = "read" if i == 0 else "delivered"
            statuses = [{"id": wamid, "status": s, "timestamp": str(sent_at + 660),
                         "recipient_id": wa_id} for s in ("delivered", report)]  # fmt: skip
            status_value = {"messaging_product": "whatsapp", "statuses": statuses}
            _ingest(channel, _whatsapp_delivery(status_value))


def _instagram(admin, sellers, clients, now: int) -> None:
    channel = services.channel_create(
        actor=admin,
        kind="instagram",
        name="Instagram",
        raw_settings={**DEMO_META, "page_id": "100000000000002"},
        connect=False,
    )
    texts = INSTAGRAM[_language(admin, INSTAGRAM)]
    for i, (client, (question, answer)) in enumerate(zip(clients, texts, strict=False)):
        igsid, sent_at = str(17_840_000_000_000_000 + i), now - 2700 - i * 9000
        event = {"sender": {"id": igsid}, "recipient": {"id": "100000000000002"},
                 "timestamp": sent_at * 1000,
                 "message": {"mid": f"aWdfZGVtby1pbi0{i}", "text": question}}  # fmt: skip
        _ingest(channel, {"object": "instagram",
                          "entry": [{"id": "100000000000002", "time": sent_at * 1000,
                                     "messaging": [event]}]})  # fmt: skip
        conversation = Conversation.objects.get(channel=channel, external_chat_id=igsid)
        # Instagram names nobody: the manager linked the client by hand.
        seller = sellers[i % len(sellers)].user if i else None
        services.conversation_update(
            actor=admin, conversation=conversation, contact=client, assignee=seller
        )
        if answer:
            sent = datetime.fromtimestamp(sent_at + 900, tz=UTC)
            _answer(admin, conversation, answer, f"aWdfZGVtby1vdXQ{i}", sent)


def _vk(admin, clients, now: int) -> None:
    channel = services.channel_create(
        actor=admin,
        kind="vk",
        name="VK",
        raw_settings={"access_token": "demo-community-token-without-a-community",
                      "group_id": "200000001", "confirmation_code": "demo0000"},
        connect=False,
    )  # fmt: skip
    texts = VK[_language(admin, VK)]
    for i, (client, (question, answer)) in enumerate(zip(clients, texts, strict=False)):
        peer, sent_at = 300_000_000 + i, now - 4000 - i * 11000
        message = {"date": sent_at, "from_id": peer, "id": 10 + i, "out": 0, "peer_id": peer,
                   "text": question, "conversation_message_id": 1, "attachments": []}  # fmt: skip
        _ingest(channel, {"group_id": 200000001, "type": "message_new", "event_id": f"demo-{i}",
                          "v": "5.199", "object": {"message": message}})  # fmt: skip
        conversation = Conversation.objects.get(channel=channel, external_chat_id=str(peer))
        status = Conversation.CLOSED if answer else ""
        services.conversation_update(actor=admin, conversation=conversation, contact=client,
                                     status=status)  # fmt: skip
        if answer:
            sent = datetime.fromtimestamp(sent_at + 300, tz=UTC)
            _answer(admin, conversation, answer, f"sent:{900 + i}", sent)


def seed(admin, sellers) -> None:
    sellers = list(sellers) or [admin]
    now = int(timezone.now().timestamp())
    clients = list(contacts_for(admin).order_by("pk")[5:20])  # not the Telegram demo's
    _whatsapp(admin, sellers, clients, now)
    _instagram(admin, sellers, clients[5:], now)
    _vk(admin, clients[8:], now)
