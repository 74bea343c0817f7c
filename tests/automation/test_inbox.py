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
        tasks = list(Task.objects.values_list("title", "object_id"))
    assert tasks == [("Answer", deal.pk)]
