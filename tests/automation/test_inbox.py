"""Inbox events in rules: a client's message sets a call task on their open deal."""

import pytest

from crm.activity.models import Task
from crm.tenancy.context import tenant_scope
from integrations import ingest, receiver
from tests.contacts.conftest import new_contact
from tests.isolation.scenario import channel_create, conversation_create
from tests.pipelines.helpers import funnel, new_deal

from .helpers import new_rule, settle

pytestmark = pytest.mark.django_db


def _ann_writes(tenant, channel) -> list:
    """Ann (chat 777) writes on the channel; the tasks, (title, record id), that came of it."""
    settle(tenant)
    update = {
        "update_id": 778,
        "message": {"message_id": 2, "date": 1767225700, "text": "Any news?",
                    "from": {"id": 777, "first_name": "Ann"},
                    "chat": {"id": 777, "type": "private"}},
    }  # fmt: skip
    with tenant_scope(tenant):
        ingest.process(receiver.receive(channel, update).pk)
    settle(tenant)
    with tenant_scope(tenant):
        return list(Task.objects.values_list("title", "object_id"))


def test_a_message_from_a_client_sets_a_task_on_their_open_deal(workspace):
    tenant, owner = workspace
    pipeline, _stages = funnel(tenant)
    new_rule(owner, "Answer the client", {
        "trigger": {"type": "message.received", "pipeline": pipeline.pk},
        "actions": [{"type": "task.create", "title": "Answer", "kind": "call"}],
    })  # fmt: skip
    ann = new_contact(owner, first_name="Ann", emails="ann@client.example")
    deal = new_deal(owner, title="Ann's fleet", contacts=[ann])
    channel = channel_create(owner, "Bot")
    conversation_create(channel, "Ann", chat_id=777, contact_id=ann.pk)
    tasks = _ann_writes(tenant, channel)
    assert tasks == [("Answer", deal.pk)]


def test_a_rule_for_one_channel_leaves_the_others_alone(workspace):
    tenant, owner = workspace
    pipeline, _stages = funnel(tenant)
    ann = new_contact(owner, first_name="Ann", emails="ann@client.example")
    deal = new_deal(owner, title="Ann's fleet", contacts=[ann])
    bot, other = channel_create(owner, "Bot"), channel_create(owner, "Other bot")
    new_rule(owner, "Answer on the other bot", {
        "trigger": {"type": "message.received", "channel": other.pk},
        "actions": [{"type": "task.create", "title": "Answer", "kind": "call"}],
    })  # fmt: skip
    new_rule(owner, "Answer on the bot", {
        "trigger": {"type": "message.received", "channel": bot.pk, "pipeline": pipeline.pk},
        "actions": [{"type": "task.create", "title": "Answer the bot", "kind": "call"}],
    })  # fmt: skip
    conversation_create(bot, "Ann", chat_id=777, contact_id=ann.pk)
    tasks = _ann_writes(tenant, bot)
    assert tasks == [("Answer the bot", deal.pk)]


def test_a_channel_of_another_workspace_is_refused(workspace, other_workspace):
    from django.core.exceptions import ValidationError

    from automation import services as rules

    tenant, owner = workspace
    _other_tenant, stranger = other_workspace
    theirs = channel_create(stranger, "Their bot")
    with tenant_scope(tenant, owner.user), pytest.raises(ValidationError) as refused:
        rules.rule_create(actor=owner, name="Theirs", spec={
            "trigger": {"type": "call.ended", "channel": theirs.pk},
            "actions": [{"type": "task.create", "title": "Call back", "kind": "call"}],
        })  # fmt: skip
    assert "trigger.channel" in str(refused.value)
