"""The email channel against real servers on loopback: pymap (IMAP) and aiosmtpd (SMTP).
Connecting, polling (initial sync, catch-up, UIDVALIDITY change, nothing marked seen),
parsing (HTML sanitised, attachments, broken charsets, malformed mail), threading both
ways, and replies with attachments."""

import email
from email import policy

import pytest

from contacts.models import Contact
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from integrations import mailpoll, services
from integrations.channels import File
from integrations.models import (
    Attachment,
    AutoReplySettings,
    BlockedSender,
    Channel,
    Conversation,
    MailboxState,
    Message,
    RawDelivery,
)
from tests.conftest import api_client, login
from tests.contacts.conftest import new_contact

from .conftest import connect_email
from .imap_server import PASSWORD, free_port, mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(workspace, imap, mail_server):
    return connect_email(workspace[1], imap, mail_server)


def poll(channel) -> int:
    with tenant_scope(channel.tenant_id):
        return mailpoll.poll_all()


def rows(channel, model=Message, **filters):
    with tenant_scope(channel.tenant_id):
        return list(model.objects.filter(**filters).order_by("pk"))


# --- connecting ---------------------------------------------------------------------------


def test_connecting_logs_in_to_both_servers_and_keeps_the_passwords_secret(
    workspace, imap, mail_server
):
    tenant, owner = workspace
    client = api_client(owner)
    response = client.post(
        "/api/v1/channels/",
        {"kind": "email", "name": "Support", "settings": imap.settings(smtp_port=mail_server.port)},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["last_error"]) == ("email", "active", "")
    assert PASSWORD not in response.content.decode()
    assert body["shown_settings"]["imap_password"] == "ima…pass"
    assert body["shown_settings"]["imap_host"] == "127.0.0.1"
    listed = client.get("/api/v1/channels/")
    assert PASSWORD not in listed.content.decode()
    with tenant_scope(tenant):
        channel = Channel.objects.get(pk=body["id"])
        assert PASSWORD not in channel.secrets_blob and PASSWORD not in str(channel.settings)
        assert channel.secrets["imap_password"] == PASSWORD


def test_a_wrong_password_or_folder_leaves_the_channel_in_error_saying_why(
    workspace, imap, mail_server
):
    owner = workspace[1]
    wrong = connect_email(owner, imap, mail_server, imap_password="not-it")
    assert wrong.status == Channel.ERROR
    assert "127.0.0.1" in wrong.last_error and "not-it" not in wrong.last_error
    folder = connect_email(owner, imap, mail_server, folders="INBOX, Nowhere")
    assert folder.status == Channel.ERROR and "Nowhere" in folder.last_error
    no_smtp = connect_email(owner, imap, None)
    assert no_smtp.status == Channel.ERROR and "SMTP" in no_smtp.last_error


def test_the_settings_page_has_an_email_tab_and_never_shows_the_password(
    client, workspace, imap, mail_server, channel
):
    login(client, workspace[1])
    page = client.get("/settings/channels/?kind=email").content.decode()
    assert 'data-testid="kind-email"' in page and 'name="imap_host"' in page
    assert 'type="password"' in page
    assert PASSWORD not in page and "ima…pass" in page
    settings = imap.settings(smtp_port=mail_server.port)
    created = client.post("/settings/channels/", {"kind": "email", "name": "Sales mail",
                                                  **settings})  # fmt: skip
    assert created.status_code == 302
    with tenant_scope(workspace[0]):
        assert Channel.objects.get(name="Sales mail").status == Channel.ACTIVE
    bad = client.post("/settings/channels/", {**settings, "kind": "email", "name": "Bad",
                                              "from_address": "not an address"})  # fmt: skip
    assert bad.status_code == 200 and "Enter a valid email address" in bad.content.decode()


# --- polling ------------------------------------------------------------------------------


def test_initial_sync_stores_every_mail_once_and_marks_nothing_seen(channel, imap):
    ivan = new_contact_for(channel, emails=["ivan@client.example"])
    imap.append(*(mail(i, subject=f"Question {i}") for i in range(1, 4)))
    before = imap.flags()
    assert poll(channel) == 3
    messages = rows(channel)
    assert [m.subject for m in messages] == ["Question 1", "Question 2", "Question 3"]
    assert {m.kind for m in messages} == {"email"}
    assert messages[0].external_id == "m1@client.example"
    assert all(d.status == RawDelivery.PROCESSED for d in rows(channel, RawDelivery))
    # Three threads (none answers another), each with the client matched by their address.
    conversations = rows(channel, Conversation)
    assert {m.conversation_id for m in messages} == {c.pk for c in conversations}
    assert [c.contact_id for c in conversations] == [ivan.pk] * 3  # matched by the sender's address
    assert imap.flags() == before and not any("Seen" in f for f in imap.flags())
    [state] = rows(channel, MailboxState)
    assert state.folder == "INBOX" and state.uidvalidity > 0 and state.last_uid >= 3
    assert poll(channel) == 0  # nothing new, nothing doubled
    assert len(rows(channel)) == 3
    with tenant_scope(channel.tenant_id):
        channel.refresh_from_db()
    assert channel.status == Channel.ACTIVE


def test_after_downtime_it_catches_up_with_nothing_lost_or_doubled(channel, imap):
    imap.append(mail(1), mail(2))
    assert poll(channel) == 2
    # The worker is down while four more arrive (one of them a copy of one already in).
    imap.append(mail(3), mail(4), mail(5), mail(2))
    assert poll(channel) == 3
    assert sorted(m.external_id for m in rows(channel)) == [
        f"m{i}@client.example" for i in range(1, 6)
    ]
    assert len(rows(channel, RawDelivery)) == 5


def test_a_changed_uidvalidity_resyncs_without_duplicates(workspace, imap, mail_server):
    imap.create("Support")
    channel = connect_email(workspace[1], imap, mail_server, folders="INBOX, Support")
    imap.append(mail(1), mail(2), folder="Support")
    assert poll(channel) == 2
    [state] = rows(channel, MailboxState, folder="Support")
    # The folder is rebuilt: a new UIDVALIDITY, its mail delivered again, plus a new one.
    imap.recreate("Support")
    imap.append(mail(1), mail(2), mail(3), folder="Support")
    assert poll(channel) == 1
    [after] = rows(channel, MailboxState, folder="Support")
    assert after.uidvalidity != state.uidvalidity
    assert sorted(m.external_id for m in rows(channel)) == [
        "m1@client.example", "m2@client.example", "m3@client.example"
    ]  # fmt: skip


def test_a_folder_another_poll_holds_is_skipped(transactional_db, channel, imap):
    imap.append(mail(1))
    with tenant_scope(channel.tenant_id):
        MailboxState.objects.create(channel=channel, folder="INBOX", uidvalidity=0)
    from django.db import connections

    # Another connection (another worker's poll) holds the folder's row.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT set_config('app.tenant_id', %s, false)",
                           [str(channel.tenant_id)])  # fmt: skip
            cursor.execute(
                "SELECT id FROM integrations_mailboxstate WHERE channel_id = %s FOR UPDATE",
                [channel.pk],
            )
            assert poll(channel) == 0
            cursor.execute("ROLLBACK")
    finally:
        other.close()


def test_the_poll_task_is_on_the_ingest_queue_and_on_beat():
    from django.conf import settings

    assert settings.CELERY_TASK_ROUTES["integrations.poll_mail"] == {"queue": "ingest"}
    assert settings.CELERY_TASK_ROUTES["integrations.send_autoreply"] == {"queue": "mail"}
    beat = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat["integrations.poll_mail"] == 60.0


def test_the_beat_task_polls_every_workspace(channel, imap):
    from integrations.tasks import poll_mail

    imap.append(mail(1))
    assert poll_mail() == 1
    assert len(rows(channel)) == 1


# --- parsing ------------------------------------------------------------------------------


def test_html_is_sanitised_and_an_html_only_mail_gets_its_text(channel, imap):
    html = ('<p>Hello <b>there</b><script>alert(1)</script>'
            '<img src=x onerror="alert(2)"></p><blockquote>old</blockquote>')  # fmt: skip
    imap.append(mail(1, html=html), mail(2, text="", html="<div>Only <i>HTML</i></div>"))
    poll(channel)
    first, second = rows(channel)
    assert "<b>there</b>" in first.html
    assert "script" not in first.html and "onerror" not in first.html
    assert first.text.startswith("Hello! Where is my order?")
    assert "Only HTML" in second.text


def test_attachments_are_kept(channel, imap, client, workspace):
    pdf = b"%PDF-1.4 quote " * 100
    imap.append(mail(1, files=[("quote.pdf", "application/pdf", pdf),
                               ("photo.png", "image/png", b"\x89PNG....")]))  # fmt: skip
    poll(channel)
    assert len(rows(channel)) == 1
    files = rows(channel, Attachment)
    assert [(f.name, f.content_type, f.size) for f in files] == [
        ("quote.pdf", "application/pdf", len(pdf)), ("photo.png", "image/png", 8)
    ]  # fmt: skip
    login(client, workspace[1])
    served = client.get(f"/inbox/files/{files[0].pk}/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == pdf


def test_a_broken_charset_survives_and_is_recorded(channel, imap):
    raw = (b"From: ivan@client.example\r\nTo: support@shop.example\r\nSubject: =?utf-8?q?"
           b"Bad=FF?=\r\nMessage-ID: <broken@client.example>\r\nContent-Type: text/plain; "
           b"charset=koi8-r-nope\r\n\r\nHello \xff\xfe world\r\n")  # fmt: skip
    latin = (b"From: ivan@client.example\r\nTo: support@shop.example\r\nSubject: Hi\r\n"
             b"Message-ID: <latin@client.example>\r\nContent-Type: text/plain; "
             b"charset=utf-8\r\n\r\nCaf\xe9 \xff ok\r\n")  # fmt: skip
    imap.append(raw, latin)
    assert poll(channel) == 2
    broken, mislabelled = rows(channel)
    assert "Hello" in broken.text and "world" in broken.text
    assert any("charset" in d for d in broken.meta["defects"])
    assert "Caf\ufffd" in mislabelled.text and mislabelled.meta["defects"]


def test_a_malformed_mail_is_a_failed_delivery_shown_and_retryable(
    channel, imap, client, workspace, django_capture_on_commit_callbacks
):
    imap.append(b"this is not an email at all\r\n", mail(2))
    assert poll(channel) == 1
    [failed] = rows(channel, RawDelivery, status=RawDelivery.FAILED)
    assert "sender" in failed.error
    login(client, workspace[1])
    page = client.get("/settings/channels/").content.decode()
    assert 'data-testid="failed-deliveries"' in page and "no sender address" in page
    with tenant_scope(channel.tenant_id), django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_retry(actor=workspace[1], channel=channel) == 1
    [again] = rows(channel, RawDelivery, status=RawDelivery.FAILED)
    assert again.pk == failed.pk  # retried, still unreadable: failed again, kept
    assert len(rows(channel)) == 1


def test_quoted_history_is_trimmed_for_display_and_kept_whole(channel, imap, client,
                                                              workspace):  # fmt: skip
    text = ("Thanks, that works for us.\n\nOn Mon, 2 Nov 2026 at 10:00, Shop support "
            "<support@shop.example> wrote:\n> Your order ships tomorrow.\n> Regards")  # fmt: skip
    imap.append(mail(1, text=text))
    poll(channel)
    [message] = rows(channel)
    assert message.text.strip() == text
    assert message.meta["reply"] == "Thanks, that works for us."
    login(client, workspace[1])
    page = client.get(f"/inbox/{message.conversation_id}/").content.decode()
    assert 'data-testid="email-quoted"' in page and "Show quoted text" in page
    assert "Your order ships tomorrow." in page  # behind the toggle


# --- threading and replies ---------------------------------------------------------------


def test_a_reply_threads_both_ways(channel, imap, mail_server, workspace):
    tenant, owner = workspace
    imap.append(mail(1, subject="Order question"))
    poll(channel)
    [conversation] = rows(channel, Conversation)
    with tenant_scope(tenant, owner.user):
        sent = services.reply_send(actor=owner, conversation=conversation,
                                   text="It ships tomorrow.")  # fmt: skip
    [out] = mail_server.messages
    assert out["To"] == "ivan@client.example"
    assert out["Subject"] == "Re: Order question"
    assert out["In-Reply-To"] == "<m1@client.example>"
    assert out["References"] == "<m1@client.example>"
    assert out["Message-ID"].endswith("@shop.example>")
    assert "Auto-Submitted" not in out
    assert sent.external_id == out["Message-ID"].strip("<>")
    assert sent.subject == "Re: Order question" and sent.kind == "email"

    # The client answers our reply: it joins the same conversation.
    imap.append(mail(2, subject="Re: Order question", text="Great, thanks!",
                     in_reply_to=out["Message-ID"],
                     references=f"<m1@client.example> {out['Message-ID']}"))  # fmt: skip
    # A mail of another thread opens its own.
    imap.append(mail(3, subject="Another matter"))
    poll(channel)
    answered = rows(channel, Message, external_id="m2@client.example")[0]
    assert answered.conversation_id == conversation.pk
    assert len(rows(channel, Conversation)) == 2

    # Our second reply names the whole thread.
    with tenant_scope(tenant, owner.user):
        services.reply_send(actor=owner, conversation=conversation, text="You're welcome.")
    second = mail_server.messages[-1]
    assert second["In-Reply-To"] == "<m2@client.example>"
    assert second["References"].split() == [
        "<m1@client.example>", out["Message-ID"], "<m2@client.example>"
    ]  # fmt: skip


def test_a_reply_whose_parent_is_unknown_joins_its_threads_root(channel, imap):
    imap.append(mail(5, references="<root@client.example> <gone@client.example>",
                     in_reply_to="<gone@client.example>"))  # fmt: skip
    imap.append(mail(6, references="<root@client.example>"))
    poll(channel)
    [conversation] = rows(channel, Conversation)
    assert conversation.external_chat_id == "root@client.example"


def test_a_mail_without_message_id_is_kept_once_under_a_hash_of_its_headers(channel, imap):
    imap.append(mail(1, message_id=""), mail(1, message_id=""))
    assert poll(channel) == 1
    [message] = rows(channel)
    assert message.external_id.startswith("h:")


def test_a_reply_carries_attachments(channel, imap, mail_server, workspace):
    tenant, owner = workspace
    imap.append(mail(1))
    poll(channel)
    [conversation] = rows(channel, Conversation)
    with tenant_scope(tenant, owner.user):
        services.reply_send(
            actor=owner, conversation=conversation, text="The quote is attached.",
            files=(File(name="quote.pdf", content_type="application/pdf", data=b"%PDF-1.4"),),
        )  # fmt: skip
    out = email.message_from_bytes(mail_server.messages[0].as_bytes(), policy=policy.default)
    [attached] = list(out.iter_attachments())
    assert attached.get_filename() == "quote.pdf"
    assert attached.get_content() == b"%PDF-1.4"
    assert len(rows(channel, Attachment, message__direction="out")) == 1


def test_a_refused_reply_stores_nothing(channel, imap, mail_server, workspace):
    from integrations.channels import ChannelError

    tenant, owner = workspace
    imap.append(mail(1))
    poll(channel)
    [conversation] = rows(channel, Conversation)
    with tenant_scope(tenant):  # the SMTP server is gone
        Channel.objects.filter(pk=channel.pk).update(
            settings={**channel.settings, "smtp_port": free_port()}
        )
    with tenant_scope(tenant, owner.user), pytest.raises(ChannelError):
        services.reply_send(actor=owner, conversation=conversation, text="Hello")
    assert len(rows(channel, Message, direction="out")) == 0


# --- a chunk taken in together --------------------------------------------------------


def test_a_chunk_is_threaded_matched_and_kept_out_as_mail_by_mail(channel, imap, workspace):
    tenant = workspace[0]
    ivan = new_contact_for(channel, emails=["ivan@client.example"])
    with tenant_scope(tenant):
        BlockedSender.objects.create(channel=channel, email="spam@junk.example")
    imap.append(
        mail(1, subject="Order question"),
        # A reply to the mail just before it, in the same chunk, and a reply to that reply.
        mail(2, sender="Olga <olga@other.example>", in_reply_to="<m1@client.example>",
             references="<m1@client.example>"),
        mail(3, in_reply_to="<m2@client.example>"),
        mail(4, sender="spam@junk.example"),
        mail(5, sender="Olga <olga@other.example>", subject="Something else"),
        mail(1, subject="Order question"),  # the same mail again: kept once
    )  # fmt: skip
    assert poll(channel) == 4
    messages = rows(channel)
    assert [m.external_id for m in messages] == [f"m{i}@client.example" for i in (1, 2, 3, 5)]
    first, other = rows(channel, Conversation)
    assert [m.conversation_id for m in messages] == [first.pk] * 3 + [other.pk]
    assert (first.external_chat_id, first.unread, first.contact_id) == (
        "m1@client.example", 3, ivan.pk
    )  # fmt: skip
    # Olga is no client yet: her conversation is an unsorted request that remembers her.
    assert other.contact_id is None and other.sender["emails"] == ["olga@other.example"]
    kept_out = rows(channel, RawDelivery, external_id="m4@client.example")[0]
    assert kept_out.status == RawDelivery.PROCESSED and "blocked" in kept_out.error
    with tenant_scope(tenant):
        events = list(Event.objects.filter(type="message.received").order_by("pk"))
    assert [e.data["message"] for e in events] == [m.pk for m in messages]
    assert [e.data["contact"] for e in events] == [ivan.pk] * 3 + [None]
    assert events[0].related == [["contact", ivan.pk]]
    assert poll(channel) == 0 and len(rows(channel)) == 4


def test_a_thread_new_in_one_chunk_is_assigned_and_greeted_once(
    channel, imap, mail_server, workspace, django_capture_on_commit_callbacks
):
    from integrations import assignment

    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        assignment.rule_save(actor=owner, channel=channel, mode="round_robin", department=None,
                             limit=0)  # fmt: skip
        AutoReplySettings.objects.create(channel=channel, first_contact="Thanks for writing!")
    imap.append(mail(1), mail(2, in_reply_to="<m1@client.example>"))
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        assert mailpoll.poll_all() == 2
    [conversation] = rows(channel, Conversation)
    assert conversation.assignee_id == owner.user_id
    assert len(rows(channel, Event, type="conversation.assigned")) == 1
    [greeting] = mail_server.messages
    assert greeting["In-Reply-To"] == "<m2@client.example>"
    assert [m.meta.get("auto") for m in rows(channel, direction="out")] == ["first"]


def test_a_chunk_costs_the_same_statements_for_three_mails_or_thirty(channel, imap):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    imap.append(*(mail(i, sender=f"c{i}@client.example") for i in range(1, 4)))
    with CaptureQueriesContext(connection) as few:
        assert poll(channel) == 3
    imap.append(*(mail(i, sender=f"c{i}@client.example") for i in range(10, 40)))
    with CaptureQueriesContext(connection) as many:
        assert poll(channel) == 30
    assert len(many) <= len(few) + 2


def test_a_mail_the_batch_cannot_take_fails_alone(channel, imap, settings):
    settings.INBOX_MAX_FILE_BYTES = 1000
    imap.append(mail(1), mail(2, files=[("big.pdf", "application/pdf", b"x" * 5000)]), mail(3))
    assert poll(channel) == 2
    assert [m.external_id for m in rows(channel)] == ["m1@client.example", "m3@client.example"]
    [failed] = rows(channel, RawDelivery, status=RawDelivery.FAILED)
    assert failed.external_id == "m2@client.example" and "big.pdf" in failed.error


def new_contact_for(channel, **fields) -> Contact:
    from crm.accounts.models import Membership

    with tenant_scope(channel.tenant_id):
        owner = Membership.objects.select_related("user").order_by("pk").first()
    return new_contact(owner, first_name="Ivan", last_name="Petrov", **fields)
