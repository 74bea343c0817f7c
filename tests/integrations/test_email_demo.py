"""The email demo seeder, and the quoted-history trimmer on its own."""

import pytest

from crm.tenancy.context import tenant_scope
from integrations import demo_email
from integrations.mailparse import reply_part, sender_is_machine
from integrations.models import Channel, Conversation, Message
from tests.conftest import add_member
from tests.contacts.conftest import new_contact


@pytest.mark.django_db
def test_the_demo_seeds_email_threads_with_subjects(workspace):
    tenant, owner = workspace
    seller = add_member(tenant, "manager")
    for i in range(8):
        new_contact(seller, first_name=f"Client {i}", emails=[f"client{i}@demo.example"])
    with tenant_scope(tenant, owner.user):
        demo_email.seed(owner, [seller])
        channel = Channel.objects.get(kind="email")
        assert channel.status == Channel.PENDING  # not connected: the demo has no mailbox
        conversations = list(Conversation.objects.filter(channel=channel).order_by("pk"))
        assert len(conversations) == 3
        assert [c.contact_id is not None for c in conversations] == [True, True, False]
        first = list(Message.objects.filter(conversation=conversations[0]).order_by("pk"))
        assert [m.direction for m in first] == ["in", "out", "in"]
        assert first[0].subject == "Quote for 20 office chairs"
        assert first[2].subject == "Re: Quote for 20 office chairs"
        assert first[2].meta["reply"] == "Great, we agree. Please issue the invoice."


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("Thanks!\n\nOn Mon, 2 Nov 2026 at 10:00, Shop <s@shop.example> wrote:\n> Old\n> text",
         "Thanks!"),
        ("Спасибо!\n\nпн, 2 нояб. 2026 г. в 10:00, Shop <s@shop.example>:\n> Старый текст",
         "Спасибо!"),
        ("Danke!\n\nAm 02.11.2026 um 10:00 schrieb Shop <s@shop.example>:\n> Alt", "Danke!"),
        ("Fine.\n\n-----Original Message-----\nFrom: Shop\nSent: Monday\n\nOld", "Fine."),
        ("Fine.\n\n-----Исходное сообщение-----\nОт: Shop\n\nСтарое", "Fine."),
        ("No quote here.\nJust two lines.", "No quote here.\nJust two lines."),
        ("> only quoted\n> lines", "> only quoted\n> lines"),
        # Interleaved answers keep everything up to the last thing the client wrote.
        ("See below:\n> a quote\nmy answer in between\n> more",
         "See below:\n> a quote\nmy answer in between"),
    ],
)  # fmt: skip
def test_the_reply_part_of_a_mail(text, reply):
    assert reply_part(text) == reply


def test_machine_senders():
    assert sender_is_machine("MAILER-DAEMON@x.example")
    assert sender_is_machine("noreply@x.example") and sender_is_machine("no-reply@x.example")
    assert sender_is_machine("list-request@x.example")
    assert not sender_is_machine("ivan@x.example") and not sender_is_machine("nora@x.example")
