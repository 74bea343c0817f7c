"""Sample email threads for the demo workspaces: an email channel (left unconnected: the
demo has no mailbox) and a few threads with subjects, from the demo's clients, in the
workspace's language. One has our reply and the client's answer to it, threaded by
In-Reply-To as a real one would be; one came from an unknown sender.

The mails come in the way real ones do (a raw delivery holding the mail, ingested).
Registered as a demo seeder (crm.accounts.demo) after the Telegram one.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from contacts.selectors import contacts_for

from . import ingest, receiver, services
from .channels import email as email_channel
from .models import Conversation, Message

THREADS = {
    "en": [
        ("Quote for 20 office chairs", "Good afternoon! Could you send a quote for 20 office "
         "chairs with delivery to our office?", "Thank you, the quote is attached. Delivery "
         "takes three working days.", "Great, we agree. Please issue the invoice."),
        ("Invoice 2026-118: payment", "Hello, we paid invoice 2026-118 yesterday. Could you "
         "confirm you received it?", "", ""),
        ("Partnership proposal", "Hello! We are a logistics company and would like to offer "
         "you our services.", "", ""),
    ],
    "ru": [
        ("Коммерческое предложение на 20 кресел", "Добрый день! Пришлите, пожалуйста, "
         "предложение на 20 офисных кресел с доставкой до офиса.", "Спасибо, предложение во "
         "вложении. Доставка занимает три рабочих дня.", "Отлично, согласны. Выставьте счёт."),
        ("Оплата счёта 2026-118", "Здравствуйте, вчера оплатили счёт 2026-118. Подтвердите, "
         "пожалуйста, получение.", "", ""),
        ("Предложение о сотрудничестве", "Здравствуйте! Мы логистическая компания и хотим "
         "предложить вам свои услуги.", "", ""),
    ],
    "mn": [
        ("20 оффисын сандлын үнийн санал", "Сайн байна уу! 20 оффисын сандлын үнийн саналыг "
         "хүргэлттэйгээр илгээнэ үү?", "Баярлалаа, үнийн саналыг хавсаргав. Хүргэлт гурван "
         "ажлын өдөр.", "Сайн байна, зөвшөөрч байна. Нэхэмжлэх илгээнэ үү."),
        ("2026-118 нэхэмжлэхийн төлбөр", "Сайн байна уу, өчигдөр 2026-118 нэхэмжлэхийг "
         "төллөө. Хүлээн авснаа баталгаажуулна уу?", "", ""),
        ("Хамтран ажиллах санал", "Сайн байна уу! Бид ложистикийн компани бөгөөд "
         "үйлчилгээгээ санал болгохыг хүсч байна.", "", ""),
    ],
}  # fmt: skip
OUR_ADDRESS = "sales@demo.example.com"


def _mail(sender: tuple[str, str], subject: str, text: str, at, message_id: str,
          parent: str = "") -> bytes:  # fmt: skip
    mail = EmailMessage()
    mail["From"] = f"{sender[0]} <{sender[1]}>"
    mail["To"] = OUR_ADDRESS
    mail["Subject"] = subject
    mail["Date"] = format_datetime(at)
    mail["Message-ID"] = f"<{message_id}>"
    if parent:
        mail["In-Reply-To"] = f"<{parent}>"
        mail["References"] = f"<{parent}>"
    mail.set_content(text)
    return mail.as_bytes()


def _deliver(channel, raw: bytes) -> None:
    delivery, _queue = receiver.store(channel, email_channel.payload_of(raw, folder="INBOX"))
    ingest.process(delivery.pk)


def seed(admin, sellers) -> None:
    language = admin.tenant.language if admin.tenant.language in THREADS else "en"
    sellers = list(sellers) or [admin]
    channel = services.channel_create(
        actor=admin,
        kind="email",
        name="Email",
        raw_settings={
            "from_address": OUR_ADDRESS,
            "from_name": admin.tenant.name,
            "imap_host": "imap.demo.example.com",
            "imap_user": OUR_ADDRESS,
            "imap_password": "demo-without-a-mailbox",
            "smtp_host": "smtp.demo.example.com",
        },
        connect=False,
    )
    now = timezone.now()
    clients = [c for c in contacts_for(admin).order_by("pk")[5:20] if c.emails][:2]
    for i, (subject, first, ours, answer) in enumerate(THREADS[language]):
        at = now - timedelta(hours=30 - i * 7)
        if i < len(clients):
            client = clients[i]
            sender = (f"{client.first_name} {client.last_name}".strip(), client.emails[0])
        else:
            client, sender = None, ("Logistics Partner", "partners@cargo.example.net")
        root = f"demo-{i}-1@{sender[1].partition('@')[2]}"
        _deliver(channel, _mail(sender, subject, first, at, root))
        conversation = Conversation.objects.get(channel=channel, external_chat_id=root)
        if client is not None:
            services.conversation_update(
                actor=admin, conversation=conversation, contact=client,
                assignee=sellers[i % len(sellers)].user,
            )  # fmt: skip
        if not ours:
            continue
        # Our reply, as reply_send would keep it (the demo has no SMTP server to send it).
        reply_id = f"demo-{i}-2@demo.example.com"
        Message.objects.create(
            conversation=conversation, channel=channel, direction=Message.OUT, kind="email",
            text=ours, subject=email_channel.reply_subject(subject), status=Message.SENT,
            external_id=reply_id, author=sellers[i % len(sellers)].user,
            created_at=at + timedelta(hours=1),
        )  # fmt: skip
        quoted = f"{answer}\n\n{sender[0]} <{OUR_ADDRESS}>:\n> " + ours.replace("\n", "\n> ")
        _deliver(
            channel,
            _mail(sender, email_channel.reply_subject(subject), quoted, at + timedelta(hours=3),
                  f"demo-{i}-3@{sender[1].partition('@')[2]}", parent=reply_id),
        )  # fmt: skip
