"""The desk's demo data, after the inbox's (demo.py): unsorted requests from unknown
senders (one declined, its sender blocked), a conversation snoozed until tomorrow morning,
answer and closing times on the demo's conversations (so *Response times* has figures and
some rows wait past the target), a response target of 30 minutes, and round robin
assignment of the Telegram channel's new conversations within the sellers' department."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import assignment, ingest, receiver, response_times, services, snooze, unsorted
from .demo import _update
from .models import Channel, Conversation, Message

STRANGERS = {
    "en": [("Lucas Brown", "lucas_b", "Hi, I saw your catalogue. Do you ship to Canada?"),
           ("Emma Wilson", "emma_w", "Can I get a quote for 50 units?"),
           ("Crypto Gains", "fast_money", "Earn 500% in a week! Click the link")],
    "ru": [("Дмитрий Орлов", "dorlov", "Здравствуйте, доставляете в Казань?"),
           ("Елена Белова", "ebelova", "Можно коммерческое предложение на 50 штук?"),
           ("Быстрые деньги", "fast_money", "Заработок 500% за неделю! Жми на ссылку")],
    "mn": [("Ганбаатар Бат", "ganbaa", "Сайн байна уу, Дархан руу хүргэлт хийдэг үү?"),
           ("Сарангэрэл Дорж", "saraa_d", "50 ширхэгийн үнийн санал авч болох уу?"),
           ("Хурдан мөнгө", "fast_money", "Долоо хоногт 500% ашиг! Холбоос дээр дар")],
}  # fmt: skip


def seed(admin, sellers) -> None:
    channel = Channel.objects.filter(kind="telegram").order_by("pk").first()
    if channel is None:
        return
    language = admin.tenant.language if admin.tenant.language in STRANGERS else "en"
    now = timezone.now()
    for i, (name, handle, text) in enumerate(STRANGERS[language]):
        payload = _update(9_000 + i, 8_000_000 + i, name, text, int(now.timestamp()) - i * 2400)
        payload["message"]["from"]["username"] = handle
        delivery, _queue = receiver.store(channel, payload)
        ingest.process(delivery.pk)
    spam = Conversation.objects.get(channel=channel, external_chat_id="8000002")
    unsorted.decline(actor=admin, conversation=spam)

    # Answers and closings, as a team's week gives them: some fast, some slow.
    answered = list(
        Conversation.objects.filter(channel=channel, contact__isnull=False).order_by("pk")
    )
    for i, conversation in enumerate(answered):
        if i % 2 == 0 and conversation.assignee_id:
            delay = dt.timedelta(minutes=(i + 1) * 17)
            Message.objects.create(
                conversation=conversation,
                channel=channel,
                direction=Message.OUT,
                text="👍",
                status=Message.READ,
                author_id=conversation.assignee_id,
                created_at=conversation.created_at + delay,
            )
            Conversation.objects.filter(pk=conversation.pk).update(
                first_response_at=conversation.created_at + delay, waiting_since=None
            )
    snoozed = next((c for c in answered if c.status == Conversation.OPEN and c.assignee_id), None)
    if snoozed is not None:
        services.conversation_update(
            actor=admin,
            conversation=snoozed,
            status=Conversation.SNOOZED,
            snoozed_until=snooze.until("tomorrow", snooze.zone_of(admin)),
        )

    response_times.target_save(actor=admin, minutes=30)
    department = next((s.department for s in sellers if s.department_id), None)
    assignment.rule_save(
        actor=admin,
        channel=channel,
        mode="round_robin",
        department=department,
        limit=10,
    )
