"""The inbox's action in rules: a deal entering a stage writes to its client through the
client's channel (the Telegram stand-in on loopback), once per (run, step)."""

import pytest

from automation.models import Run, Step
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from integrations.models import Message
from tests.conftest import api_client
from tests.contacts.conftest import new_contact
from tests.integrations.conftest import connect_channel
from tests.integrations.stand_in import TelegramStandIn
from tests.isolation.scenario import conversation_create
from tests.pipelines.helpers import funnel, new_deal

from .helpers import new_rule, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram():
    stand_in = TelegramStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _greet_on(stage, **extra) -> dict:
    return {
        "trigger": {"type": "deal.stage_entered", "stage": stage.pk},
        "actions": [{"type": "message.send", "text": "Hello {{contact.first_name}}!", **extra}],
    }


def _client_with_deal(owner, telegram, chat_id=777):
    ann = new_contact(owner, first_name="Ann")
    deal = new_deal(owner, title="Ann's fleet", contacts=[ann])
    channel = connect_channel(owner, telegram)
    conversation = conversation_create(channel, "Ann", chat_id=chat_id, contact_id=ann.pk)
    return deal, conversation


def _move(owner, deal, stage, on_commit):
    with tenant_scope(owner.tenant_id, owner.user):
        deal_services.deal_move(actor=owner, deal=deal, stage=stage)
    with on_commit():
        settle(owner.tenant_id)


def _sent(telegram):
    return [body for _, method, body in telegram.calls if method == "sendMessage"]


def _outgoing(tenant, conversation):
    with tenant_scope(tenant):
        return list(
            Message.objects.filter(conversation=conversation, direction=Message.OUT).values_list(
                "text", "meta"
            )
        )


def test_entering_a_stage_sends_one_message_through_the_clients_channel(
    workspace, telegram, on_commit
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal, conversation = _client_with_deal(owner, telegram)
    new_rule(owner, "Greet", _greet_on(stages["Qualified"]))
    _move(owner, deal, stages["Qualified"], on_commit)
    assert [(str(b["chat_id"]), b["text"]) for b in _sent(telegram)] == [("777", "Hello Ann!")]
    [(text, meta)] = _outgoing(tenant, conversation)
    assert text == "Hello Ann!" and meta["automation"].startswith("automation:")
    with tenant_scope(tenant):
        assert Run.objects.get().status == Run.DONE


def test_a_step_run_again_sends_nothing_twice(workspace, telegram, on_commit):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal, conversation = _client_with_deal(owner, telegram)
    new_rule(owner, "Greet", _greet_on(stages["Qualified"]))
    _move(owner, deal, stages["Qualified"], on_commit)
    with tenant_scope(tenant):  # as if the step's commit had been lost after the send
        Step.objects.update(status=Step.PENDING, result={}, done_at=None)
        Run.objects.update(status=Run.PENDING)
    with on_commit():
        settle(tenant)
    with tenant_scope(tenant):  # it ran again, and its send found the first one
        step = Step.objects.get()
    assert step.status == Step.DONE and step.result["conversation"] == conversation.pk
    assert len(_sent(telegram)) == 1
    assert len(_outgoing(tenant, conversation)) == 1


def test_a_client_with_no_conversation_fails_the_run_with_the_reason(
    workspace, telegram, on_commit
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    ann = new_contact(owner, first_name="Ann")
    deal = new_deal(owner, title="Ann's fleet", contacts=[ann])
    new_rule(owner, "Greet", _greet_on(stages["Qualified"]))
    _move(owner, deal, stages["Qualified"], on_commit)
    with tenant_scope(tenant):
        run = Run.objects.get()
    assert run.status == Run.FAILED
    assert "The client has no conversation to write to." in run.error
    assert _sent(telegram) == []


def test_the_dry_run_says_what_would_be_sent(workspace, telegram):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal, _conversation = _client_with_deal(owner, telegram)
    new_rule(owner, "Greet", _greet_on(stages["Qualified"]))
    response = api_client(owner).post(
        "/api/v1/automation/rules/dry-run/",
        {"object_type": "deal", "object_id": deal.pk}, format="json",
    )  # fmt: skip
    assert response.status_code == 200
    assert "Hello Ann!" in str(response.json()) and "Telegram" in str(response.json())
    assert _sent(telegram) == []


def test_a_channel_of_another_workspace_is_refused_naming_the_field(
    workspace, other_workspace, telegram
):
    (tenant, owner), (_, their_owner) = workspace, other_workspace
    _, stages = funnel(tenant)
    theirs = connect_channel(their_owner, telegram)
    body = {"name": "Greet", **_greet_on(stages["Qualified"], channel=theirs.pk)}
    response = api_client(owner).post("/api/v1/automation/rules/", body, format="json")
    assert response.status_code == 400
    assert "actions.0.channel" in response.json()["error"]["fields"]
    body = {"name": "Greet", **_greet_on(stages["Qualified"], text="Hi {{contact.age}}")}
    response = api_client(owner).post("/api/v1/automation/rules/", body, format="json")
    assert response.status_code == 400 and "actions.0.text" in response.json()["error"]["fields"]
