"""Auto-replies (integrations/autoreply.py): RFC 3834's rules, one a day per sender, first
contact, out of hours, keywords with hand-off, for email (SMTP on loopback) and a chat
channel (the Telegram stand-in); and the settings page, walled per workspace and role."""

from datetime import time

import pytest

from crm.tenancy.context import tenant_scope
from integrations import autoreply, ingest, mailpoll, receiver
from integrations.models import AutoReplyLog, AutoReplySettings, Channel, Message
from tests.conftest import add_member, login

from .conftest import connect_channel, connect_email
from .imap_server import USER, mail
from .stand_in import update

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(workspace, imap, mail_server):
    return connect_email(workspace[1], imap, mail_server)


def configure(channel, **values) -> AutoReplySettings:
    with tenant_scope(channel.tenant_id):
        return AutoReplySettings.objects.create(channel=channel, **values)


def poll(channel, capture):
    with tenant_scope(channel.tenant_id), capture(execute=True):
        return mailpoll.poll_all()


def sent(channel):
    with tenant_scope(channel.tenant_id):
        return list(Message.objects.filter(direction="out").order_by("pk"))


def test_a_first_contact_gets_one_auto_reply_a_day_marked_auto_submitted(
    channel, imap, mail_server, django_capture_on_commit_callbacks
):
    configure(channel, first_contact="Thanks for writing! We answer within the hour.")
    imap.append(mail(1, subject="Order question"))
    poll(channel, django_capture_on_commit_callbacks)
    [out] = mail_server.messages
    assert out["Auto-Submitted"] == "auto-replied"
    assert out["To"] == "ivan@client.example" and out["Subject"] == "Re: Order question"
    assert out["In-Reply-To"] == "<m1@client.example>"
    [kept] = sent(channel)
    assert kept.meta == {"auto": "first"} and kept.author is None and kept.status == "sent"
    assert kept.text == "Thanks for writing! We answer within the hour."
    # The same sender again today, in a new thread: no second auto-reply.
    imap.append(mail(2, subject="One more thing"))
    poll(channel, django_capture_on_commit_callbacks)
    assert len(mail_server.messages) == 1
    with tenant_scope(channel.tenant_id):
        assert AutoReplyLog.objects.count() == 1


HEADERS = [
    {"Auto-Submitted": "auto-generated"},
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"Precedence": "list"},
    {"Precedence": "junk"},
    {"List-Id": "<news.client.example>"},
    {"List-Unsubscribe": "<mailto:unsubscribe@client.example>"},
    {"Return-Path": "<>"},
]


@pytest.mark.parametrize("headers", HEADERS)
def test_no_auto_reply_to_automatic_or_list_mail(
    headers, channel, imap, mail_server, django_capture_on_commit_callbacks
):
    configure(channel, first_contact="Thanks!")
    imap.append(mail(1, headers=headers))
    poll(channel, django_capture_on_commit_callbacks)
    assert mail_server.messages == [] and sent(channel) == []


@pytest.mark.parametrize(
    "sender",
    ["MAILER-DAEMON@client.example", "postmaster@client.example", "noreply@client.example",
     "no-reply@client.example", "do-not-reply@client.example", USER],
)  # fmt: skip
def test_no_auto_reply_to_machines_or_ourselves(
    sender, channel, imap, mail_server, django_capture_on_commit_callbacks
):
    configure(channel, first_contact="Thanks!")
    imap.append(mail(1, sender=sender))
    poll(channel, django_capture_on_commit_callbacks)
    assert mail_server.messages == []


def test_auto_submitted_no_is_answered(
    channel, imap, mail_server, django_capture_on_commit_callbacks
):
    configure(channel, first_contact="Thanks!")
    imap.append(mail(1, headers={"Auto-Submitted": "no"}))
    poll(channel, django_capture_on_commit_callbacks)
    assert len(mail_server.messages) == 1


def test_keywords_and_hand_off_come_before_the_other_replies(
    channel, imap, mail_server, django_capture_on_commit_callbacks
):
    configure(
        channel,
        first_contact="Thanks!",
        keywords=[{"keyword": "price list", "answer": "Our price list: shop.example/prices",
                   "handoff": False},
                  {"keyword": "manager", "answer": "A manager will write to you shortly.",
                   "handoff": True}],
    )  # fmt: skip
    imap.append(mail(1, text="Could you send the price list?"))
    imap.append(mail(2, sender="anna@client.example", text="I need a manager please"))
    poll(channel, django_capture_on_commit_callbacks)
    texts = sorted(m.text for m in sent(channel))
    assert texts == ["A manager will write to you shortly.", "Our price list: shop.example/prices"]
    assert sorted(m.meta["auto"] for m in sent(channel)) == ["handoff", "keyword"]
    with tenant_scope(channel.tenant_id):
        # An automatic answer is not a person's: the clients still wait for one.
        from integrations.models import Conversation

        assert all(
            c.waiting_since is not None and c.first_response_at is None
            for c in Conversation.objects.all()
        )


def test_out_of_hours(channel, workspace):
    config = configure(channel, out_of_hours="We are closed.", work_start=time(9),
                       work_end=time(18), work_days="12345", time_zone="Europe/Moscow")  # fmt: skip
    from datetime import UTC, datetime

    with tenant_scope(channel.tenant_id):
        # Monday 2 Nov 2026, 10:00 in Moscow is 07:00 UTC; 19:00 there is 16:00 UTC.
        assert not autoreply.out_of_hours(config, datetime(2026, 11, 2, 7, 0, tzinfo=UTC))
        assert autoreply.out_of_hours(config, datetime(2026, 11, 2, 16, 0, tzinfo=UTC))
        assert autoreply.out_of_hours(config, datetime(2026, 11, 1, 10, 0, tzinfo=UTC))  # Sun
        config.time_zone = ""  # the workspace's (UTC here)
        assert not autoreply.out_of_hours(config, datetime(2026, 11, 2, 16, 0, tzinfo=UTC))


def test_a_chat_channel_gets_them_too(workspace, telegram, django_capture_on_commit_callbacks):
    channel = connect_channel(workspace[1], telegram)
    configure(channel, first_contact="Hello! A manager will answer soon.")
    with tenant_scope(channel.tenant_id), django_capture_on_commit_callbacks(execute=True):
        ingest.process(receiver.receive(channel, update(1, text="Hi")).pk)
        ingest.process(receiver.receive(channel, update(2, text="Anyone?")).pk)
    assert telegram.called("sendMessage") == [
        {"chat_id": "4242", "text": "Hello! A manager will answer soon."}
    ]


def test_two_racing_decisions_give_one_reply(channel):
    with tenant_scope(channel.tenant_id):
        from django.db import IntegrityError, transaction

        AutoReplyLog.objects.create(channel=channel, sender="a@b.example", day="2026-11-02",
                                    reason="first")  # fmt: skip
        with pytest.raises(IntegrityError), transaction.atomic():
            AutoReplyLog.objects.create(channel=channel, sender="a@b.example", day="2026-11-02",
                                        reason="hours")  # fmt: skip


# --- the settings page ---------------------------------------------------------------------


def test_an_admin_sets_the_auto_replies(client, workspace, channel):
    login(client, workspace[1])
    url = f"/settings/channels/{channel.pk}/auto-replies/"
    page = client.get(url)
    assert page.status_code == 200 and "First-contact reply" in page.content.decode()
    bad = client.post(url, {"keywords": "a line without the separator", "work_days": ["1"]})
    assert bad.status_code == 200 and "Line 1" in bad.content.decode()
    no_hours = client.post(url, {"out_of_hours": "Closed", "work_days": ["1"]})
    assert no_hours.status_code == 200 and "needs the working hours" in no_hours.content.decode()
    saved = client.post(url, {
        "first_contact": "Thanks!", "out_of_hours": "Closed", "work_start": "09:00",
        "work_end": "18:00", "work_days": ["1", "2", "3"], "time_zone": "Europe/Moscow",
        "keywords": "price: See our prices", "handoff": "manager: A person will answer",
    })  # fmt: skip
    assert saved.status_code == 302
    with tenant_scope(workspace[0]):
        config = AutoReplySettings.objects.get(channel=channel)
    assert config.work_days == "123" and config.time_zone == "Europe/Moscow"
    assert config.keywords == [
        {"keyword": "price", "answer": "See our prices", "handoff": False},
        {"keyword": "manager", "answer": "A person will answer", "handoff": True},
    ]
    again = client.get(url).content.decode()
    assert "price: See our prices" in again


def test_another_workspace_cannot_reach_the_page(client, workspace, other_workspace, channel):
    login(client, other_workspace[1])
    url = f"/settings/channels/{channel.pk}/auto-replies/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"first_contact": "Hijacked"}).status_code == 404
    with tenant_scope(workspace[0]):
        assert not AutoReplySettings.objects.exists()


def test_a_manager_who_sees_only_their_own_cannot_change_it(client, workspace, channel):
    manager = add_member(workspace[0], "manager")
    login(client, manager)
    url = f"/settings/channels/{channel.pk}/auto-replies/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"first_contact": "Mine now"}).status_code == 403
    with tenant_scope(workspace[0]):
        assert not AutoReplySettings.objects.exists()
        assert Channel.objects.get(pk=channel.pk).name == "Support mail"
