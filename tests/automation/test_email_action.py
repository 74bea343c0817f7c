"""The inbox's "send an email from a template" action: a shared canned response, its
placeholders filled from the deal and its client, emailed through the workspace's email
channel to a real SMTP server on loopback, once per (run, step); a refusal, of the email
or of a message, fails the step and run with the channel's words, and a retry sends again
and goes on from where the run had got to."""

import pytest
from django.utils import timezone

from automation.models import Run, Step
from crm import automations
from crm.accounts.system import system_actor
from crm.activity.models import Task
from crm.automations import Context
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from integrations import canned, mailpoll
from integrations.automations import _email
from integrations.models import Conversation, Message
from tests.conftest import api_client, login
from tests.contacts.conftest import new_contact
from tests.integrations.conftest import connect_channel, connect_email
from tests.integrations.imap_server import mail
from tests.integrations.stand_in import TelegramStandIn
from tests.isolation.scenario import conversation_create
from tests.pipelines.helpers import funnel, new_deal

from .helpers import new_rule, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def imap():
    """The email channel's IMAP server (pymap on loopback), as the inbox's tests have it."""
    from tests.integrations.imap_server import IMAPServer

    server = IMAPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_server():
    """A real SMTP server (aiosmtpd) on loopback that keeps what the channel sends."""
    from tests.conftest import SMTPInbox

    inbox = SMTPInbox()
    inbox.port = inbox.start()
    yield inbox
    inbox.stop()


@pytest.fixture
def telegram():
    stand_in = TelegramStandIn().start()
    yield stand_in
    stand_in.stop()


def _template(owner, text="Hello {{contact.first_name}}, «{{deal.title}}» comes to "
              "{{deal.amount}}. {{manager.full_name}}", title="Your offer"):  # fmt: skip
    with tenant_scope(owner.tenant_id, owner.user):
        return canned.canned_create(actor=owner, title=title, text=text, shared=True)


def _email_on(stage, template, channel, **extra):
    return {
        "trigger": {"type": "deal.stage_entered", "stage": stage.pk},
        "actions": [{"type": "email.send", "template": template.pk, "channel": channel.pk,
                     **extra},
                    {"type": "task.create", "title": "Follow up", "kind": "call",
                     "assignee": "owner"}],
    }  # fmt: skip


def _move(owner, deal, stage, on_commit):
    with tenant_scope(owner.tenant_id, owner.user):
        deal_services.deal_move(actor=owner, deal=deal, stage=stage)
    with on_commit():
        settle(owner.tenant_id)


def _ann_deal(owner):
    ann = new_contact(owner, first_name="Ann", last_name="Lee", emails=["ann@example.com"])
    return ann, new_deal(owner, title="Fleet", amount=5000, contacts=[ann])


def _run(tenant):
    with tenant_scope(tenant):
        run = Run.objects.get()
        return run, list(run.steps.order_by("index"))


def test_entering_a_stage_emails_the_template_filled_from_the_deal_once(
    workspace, imap, mail_server, on_commit
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    ann, deal = _ann_deal(owner)
    channel = connect_email(owner, imap, mail_server)
    template = _template(owner)
    new_rule(owner, "Offer", _email_on(stages["Qualified"], template, channel,
                                       subject="{{deal.title}}: your offer"))  # fmt: skip
    _move(owner, deal, stages["Qualified"], on_commit)

    [mail] = mail_server.messages
    assert mail["To"] == "ann@example.com" and mail["Subject"] == "Fleet: your offer"
    body = mail_server.bodies()[0]
    assert "Hello Ann, «Fleet» comes to 5\u00a0000.00 USD." in body
    assert owner.user.display_name in body
    run, steps = _run(tenant)
    assert run.status == Run.DONE and [s.status for s in steps] == ["done", "done"]
    with tenant_scope(tenant):  # kept as the client's conversation, to thread the answer
        conversation = Conversation.objects.get(channel=channel)
        assert conversation.contact_id == ann.pk
        message = conversation.messages.get()
        assert message.meta["automation"] == f"automation:{run.pk}:0"
        # Run again as if the step's commit had been lost: the email is not sent twice.
        Step.objects.filter(index=0).update(status=Step.PENDING, result={}, done_at=None)
        Step.objects.filter(index=1).delete()
        Run.objects.update(status=Run.PENDING)
    with on_commit():
        settle(tenant)
    assert len(mail_server.messages) == 1
    with tenant_scope(tenant):
        assert Message.objects.filter(meta__automation=message.meta["automation"]).count() == 1


def test_the_template_and_channel_are_checked_naming_their_fields(
    workspace, other_workspace, imap, telegram
):
    (tenant, owner), (_, their_owner) = workspace, other_workspace
    _, stages = funnel(tenant)
    mine, theirs = _template(owner), _template(their_owner)
    with tenant_scope(tenant, owner.user):
        personal = canned.canned_create(actor=owner, title="Mine", text="Hi", shared=False)
    email = connect_email(owner, imap)
    bot = connect_channel(owner, telegram)
    for template, channel, field in (
        (theirs, email, "actions.0.template"),
        (personal, email, "actions.0.template"),
        (mine, bot, "actions.0.channel"),
    ):
        body = {"name": "Offer", **_email_on(stages["Qualified"], template, channel)}
        response = api_client(owner).post("/api/v1/automation/rules/", body, format="json")
        assert response.status_code == 400 and field in response.json()["error"]["fields"]
    body = {"name": "Offer", **_email_on(stages["Qualified"], mine, email, subject="{{x}}")}
    response = api_client(owner).post("/api/v1/automation/rules/", body, format="json")
    assert "actions.0.subject" in response.json()["error"]["fields"]


def test_the_dry_run_says_what_would_be_emailed(workspace, imap):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    _ann, deal = _ann_deal(owner)
    new_rule(owner, "Offer", _email_on(stages["Qualified"], _template(owner),
                                       connect_email(owner, imap)))  # fmt: skip
    response = api_client(owner).post(
        "/api/v1/automation/rules/dry-run/", {"object_type": "deal", "object_id": deal.pk},
        format="json",
    )  # fmt: skip
    does = response.json()["rules"][0]["actions"][0]["does"]
    assert "Your offer" in does and "ann@example.com" in does


def test_a_refused_email_fails_the_step_with_why_and_a_retry_sends_it_once(
    workspace, imap, mail_server, on_commit, client
):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    _ann, deal = _ann_deal(owner)
    channel = connect_email(owner, imap)  # its SMTP port is closed: the server refuses
    new_rule(owner, "Offer", _email_on(stages["Qualified"], _template(owner), channel))
    _move(owner, deal, stages["Qualified"], on_commit)

    run, steps = _run(tenant)
    assert run.status == Run.FAILED and steps[0].status == Step.FAILED
    assert "refused or could not be reached" in steps[0].error
    assert "refused or could not be reached" in run.error
    # The next step was due at once and acted before the refusal came: it is not redone.
    assert steps[1].status == Step.DONE
    listed = api_client(owner).get("/api/v1/automation/runs/").json()["results"][0]
    assert listed["status"] == "failed" and "refused" in listed["steps"][0]["error"]
    login(client, owner)  # the board's run history says it too, with Retry
    history = client.get(f"/deals/automation/{pipeline.pk}/rules/{run.rule_id}/runs/")
    html = history.content.decode()
    assert "refused or could not be reached" in html and "Send an email from a template" in html
    assert 'data-testid="run-retry"' in html

    with tenant_scope(tenant):  # the server is back
        channel.settings = {**channel.settings, "smtp_port": mail_server.port}
        channel.save(update_fields=["settings"])
    with on_commit():
        answer = api_client(owner).post(f"/api/v1/automation/runs/{run.pk}/retry/")
    assert answer.status_code == 200
    with on_commit():
        settle(tenant)
    assert len(mail_server.messages) == 1
    run, steps = _run(tenant)
    assert run.status == Run.DONE
    assert [s.status for s in steps] == ["done", "done"]
    with tenant_scope(tenant):  # the step after it acted once, after the retry
        assert Task.objects.filter(object_id=deal.pk, title="Follow up").count() == 1


def test_a_message_the_channel_refuses_after_its_step_fails_the_run_and_is_retried(
    workspace, telegram, on_commit
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    ann, deal = _ann_deal(owner)
    bot = connect_channel(owner, telegram)
    conversation_create(bot, "Ann", chat_id=777, contact_id=ann.pk)
    new_rule(owner, "Greet", {
        "trigger": {"type": "deal.stage_entered", "stage": stages["Qualified"].pk},
        "actions": [{"type": "message.send", "text": "Hello {{contact.first_name}}!"}],
    })  # fmt: skip
    telegram.refuse.add("sendMessage")
    _move(owner, deal, stages["Qualified"], on_commit)
    run, [step] = _run(tenant)
    assert run.status == Run.FAILED and step.status == Step.FAILED
    assert "Telegram refused sendMessage" in step.error and "refused" in run.error
    assert step.result["delivered"] is False

    telegram.refuse.discard("sendMessage")
    with on_commit():
        answer = api_client(owner).post(f"/api/v1/automation/runs/{run.pk}/retry/")
    assert answer.status_code == 200
    with on_commit():
        settle(tenant)
    run, [step] = _run(tenant)
    assert run.status == Run.DONE and step.status == Step.DONE
    sent = [b["text"] for _, m, b in telegram.calls if m == "sendMessage"]
    assert sent == ["Hello Ann!", "Hello Ann!"]  # refused once, then sent
    with tenant_scope(tenant):
        assert Message.objects.filter(direction=Message.OUT).count() == 1


def test_a_step_waiting_behind_a_refused_email_waits_for_the_retry(
    workspace, imap, mail_server, on_commit
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    _ann, deal = _ann_deal(owner)
    channel = connect_email(owner, imap)  # refuses
    spec = _email_on(stages["Qualified"], _template(owner), channel)
    spec["actions"][1]["delay"] = {"minutes": 10}
    new_rule(owner, "Offer", spec)
    _move(owner, deal, stages["Qualified"], on_commit)
    with tenant_scope(tenant):  # the follow-up falls due while the run is failed
        Step.objects.filter(index=1).update(due_at=timezone.now())
    settle(tenant)
    run, steps = _run(tenant)
    assert run.status == Run.FAILED
    assert steps[1].status == Step.SKIPPED and steps[1].result == {"not_run": True}

    with tenant_scope(tenant):
        channel.settings = {**channel.settings, "smtp_port": mail_server.port}
        channel.save(update_fields=["settings"])
        from automation import services

        with on_commit():
            services.step_retry(actor=owner, run=run)
    with on_commit():
        settle(tenant)
    run, steps = _run(tenant)
    assert [s.status for s in steps] == ["done", "done"] and run.status == Run.DONE
    assert len(mail_server.messages) == 1
    with tenant_scope(tenant):
        assert Task.objects.filter(object_id=deal.pk, title="Follow up").count() == 1


def test_on_a_contacts_rule_the_contact_is_emailed_with_its_latest_open_deal(workspace, imap):
    tenant, owner = workspace
    ann, _deal = _ann_deal(owner)
    channel = connect_email(owner, imap)
    template = _template(owner, text="{{contact.full_name}}: {{deal.title}}", title="Hi")
    action = automations.action("email.send")
    with tenant_scope(tenant):
        params = action.params(template=template.pk, channel=channel.pk)
        ctx = Context(actor=system_actor(owner.tenant), object_type="contact",
                      object_id=ann.pk, dry_run=True)  # fmt: skip
        assert action.describe(ctx, params) == "Email «Hi» to ann@example.com."
        client, address, subject, text = _email(ctx, params)
    assert (client.pk, address, subject, text) == (
        ann.pk,
        "ann@example.com",
        "Hi",
        "Ann Lee: Fleet",
    )


def test_the_clients_answer_to_the_rules_email_lands_in_its_conversation(
    workspace, imap, mail_server, on_commit
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    ann, deal = _ann_deal(owner)
    channel = connect_email(owner, imap, mail_server)
    new_rule(owner, "Offer", _email_on(stages["Qualified"], _template(owner), channel))
    _move(owner, deal, stages["Qualified"], on_commit)
    [sent] = mail_server.messages
    imap.append(mail(1, sender="Ann Lee <ann@example.com>", subject="Re: Your offer",
                     text="Sounds good.", in_reply_to=sent["Message-ID"],
                     references=sent["Message-ID"]))  # fmt: skip
    with tenant_scope(tenant):
        mailpoll.poll_all()
        [conversation] = Conversation.objects.filter(channel=channel)
        assert conversation.contact_id == ann.pk
        directions = list(conversation.messages.order_by("id").values_list("direction", "text"))
    assert [d for d, _text in directions] == [Message.OUT, Message.IN]
    assert directions[1][1].strip() == "Sounds good."
