"""Triggers on time passing and workspace rules outside funnels: a deal idle in its stage
for N days (once per stage entry), a task overdue (once per task), a new contact, a new
conversation; the actions that give those records to someone and tag them; the rule's name
on the record's timeline."""

import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation import index
from automation import tasks as automation_tasks
from automation.models import Run
from contacts.models import Contact
from crm.accounts.models import Department
from crm.activity import overdue
from crm.activity.models import Event, Notification, Task
from crm.activity.services import tasks as task_services
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from deals.models import Deal, IdleMark
from integrations import ingest, receiver
from integrations.models import Conversation
from tests.conftest import add_member, login
from tests.contacts.conftest import new_contact
from tests.isolation.scenario import channel_create, conversation_create
from tests.pipelines.helpers import funnel, new_deal

from .helpers import call_task_on, new_rule, settle

pytestmark = pytest.mark.django_db


def _idle_rule(owner, stage, days=3, name="Still in Qualified"):
    return new_rule(owner, name, {
        "trigger": {"type": "deal.idle", "stage": stage.pk, "days": days},
        "actions": [{"type": "task.create", "title": "Wake it up", "kind": "call"}],
    })  # fmt: skip


def _age(deal, days):
    """The deal entered its stage `days` days ago."""
    with tenant_scope(deal.tenant_id):
        Deal.objects.filter(pk=deal.pk).update(
            stage_entered_at=timezone.now() - timedelta(days=days)
        )


def _sweep(tenant) -> int:
    found = automation_tasks.sweep_triggers()
    settle(tenant)
    return found


def _tasks(tenant, title="Wake it up"):
    with tenant_scope(tenant):
        return list(Task.objects.filter(title=title).values_list("object_id", flat=True))


def _move(owner, deal, stage):
    with tenant_scope(owner.tenant_id, owner.user):
        deal_services.deal_move(actor=owner, deal=deal, stage=stage)


def test_an_idle_deal_fires_once_per_stage_entry(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    qualified, proposal = stages["Qualified"], stages["Proposal"]
    _idle_rule(owner, qualified, days=3)
    idle = new_deal(owner, title="Idle", stage=qualified)
    fresh = new_deal(owner, title="Fresh", stage=qualified)
    elsewhere = new_deal(owner, title="Elsewhere", stage=proposal)
    settle(tenant)
    _age(idle, 4)
    _age(fresh, 2)
    _age(elsewhere, 10)

    assert _sweep(tenant) == 1
    assert _tasks(tenant) == [idle.pk]
    # A second sweep finds the mark and fires nothing.
    assert _sweep(tenant) == 0
    assert _tasks(tenant) == [idle.pk]
    with tenant_scope(tenant):
        event = Event.objects.get(type="deal.idle")
        assert event.data["days"] == 3 and event.data["stage_id"] == qualified.pk
        assert IdleMark.objects.count() == 1

    # Moved out and back in: a new stage entry, which fires again once it is old enough.
    _move(owner, idle, proposal)
    _move(owner, idle, qualified)
    settle(tenant)
    assert _sweep(tenant) == 0  # just entered
    _age(idle, 5)
    assert _sweep(tenant) == 1
    assert _tasks(tenant) == [idle.pk, idle.pk]


def test_an_idle_rule_on_a_funnel_and_a_closed_deal(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    new_rule(owner, "Any stage", {
        "trigger": {"type": "deal.idle", "pipeline": pipeline.pk, "days": 7},
        "actions": [{"type": "deal.add_tag", "tag": "stale"}],
    })  # fmt: skip
    stale = new_deal(owner, title="Stale", stage=stages["Proposal"])
    won = new_deal(owner, title="Won", stage=stages["Proposal"])
    with tenant_scope(tenant):
        Deal.objects.filter(pk=won.pk).update(status=Deal.WON)
    _age(stale, 8)
    _age(won, 8)
    assert _sweep(tenant) == 1
    with tenant_scope(tenant):
        assert Deal.objects.get(pk=stale.pk).tags == ["stale"]
        assert Deal.objects.get(pk=won.pk).tags == []


def test_no_idle_rule_no_query(workspace, django_assert_max_num_queries):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, spec=call_task_on(stages["Qualified"]))  # a rule, but not a swept one
    _age(new_deal(owner, stage=stages["Qualified"]), 30)
    automation_tasks.sweep_triggers()  # the rule index is loaded and cached
    # The tenant list and the scope's own statements only: nothing per rule or deal.
    with django_assert_max_num_queries(3):
        assert automation_tasks.sweep_triggers() == 0


def test_the_idle_sweep_of_one_workspace_leaves_another_alone(workspace, other_workspace):
    tenant, owner = workspace
    other, other_owner = other_workspace
    _, stages = funnel(tenant)
    _, other_stages = funnel(other)
    _idle_rule(owner, stages["Qualified"], days=1)
    theirs = new_deal(other_owner, stage=other_stages["Qualified"])
    _age(theirs, 5)
    # A rule naming the other workspace's stage is refused.
    with pytest.raises(Exception, match="stage"):
        _idle_rule(owner, other_stages["Qualified"], days=1, name="Theirs")
    assert _sweep(tenant) == 0
    settle(other)
    with tenant_scope(other):
        assert not IdleMark.objects.exists() and not Task.objects.exists()


def test_an_overdue_task_fires_once_and_again_after_a_new_due_time(workspace):
    tenant, owner = workspace
    colleague = add_member(tenant)
    new_rule(owner, "Chase overdue calls", {
        "trigger": {"type": "task.overdue", "kind": "call"},
        "actions": [{"type": "notify", "recipient": "owner", "text": "Overdue!"},
                    {"type": "task.assign", "mode": "fixed", "user": owner.user_id}],
    })  # fmt: skip
    now = timezone.now()
    with tenant_scope(tenant, owner.user):
        call = task_services.task_create(actor=owner, title="Call", kind="call",
                                         due_at=now - timedelta(hours=1),
                                         assignee=colleague.user)  # fmt: skip
        todo = task_services.task_create(actor=owner, title="Todo", kind="task",
                                         due_at=now - timedelta(hours=1))  # fmt: skip
        ancient = task_services.task_create(actor=owner, title="Ancient", kind="call",
                                            due_at=now - timedelta(days=30))  # fmt: skip
        later = task_services.task_create(actor=owner, title="Later", kind="call",
                                          due_at=now + timedelta(hours=1))  # fmt: skip
    settle(tenant)
    with tenant_scope(tenant):
        assert overdue.mark_overdue() == 2  # the call and the to-do; the ancient one quietly
        assert overdue.mark_overdue() == 0
    settle(tenant)
    with tenant_scope(tenant):
        assert set(
            Event.objects.filter(type="task.overdue").values_list("subject_id", flat=True)
        ) == {call.pk, todo.pk}
        # The rule is on calls: the call's assignee (its "owner") is told, then it is given
        # to the admin; the to-do and the ancient call start nothing.
        note = Notification.objects.get(title="Overdue!")
        assert note.recipient_id == colleague.user_id
        assert Task.objects.get(pk=call.pk).assignee_id == owner.user_id
        assert Task.objects.get(pk=ancient.pk).overdue_at is not None
        assert Task.objects.get(pk=later.pk).overdue_at is None
        assert Run.objects.count() == 1
    # A new due time, past again: it falls overdue once more.
    with tenant_scope(tenant, owner.user):
        task = Task.objects.get(pk=call.pk)
        task_services.task_update(actor=owner, task=task,
                                  data={"due_at": now - timedelta(minutes=5)})  # fmt: skip
        assert Task.objects.get(pk=call.pk).overdue_at is None
        assert overdue.mark_overdue() == 1
    settle(tenant)
    with tenant_scope(tenant):
        assert Run.objects.count() == 2


def test_a_new_contact_is_given_in_turn_within_a_department_and_tagged(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        sales = Department.objects.create(name="Sales")
    ann, bob = add_member(tenant, department=sales), add_member(tenant, department=sales)
    with tenant_scope(tenant):
        Department.objects.filter(pk=sales.pk).update(head=bob.user)
    new_rule(owner, "New clients", {
        "trigger": {"type": "contact.created"},
        "actions": [{"type": "contact.assign", "mode": "round_robin", "department": sales.pk},
                    {"type": "contact.add_tag", "tag": "new"},
                    {"type": "notify", "recipient": "department_head", "text": "New client"}],
    })  # fmt: skip
    first = new_contact(owner, first_name="First")
    second = new_contact(owner, first_name="Second")
    settle(tenant)
    with tenant_scope(tenant):
        owners = dict(Contact.objects.values_list("pk", "owner_id"))
        assert {owners[first.pk], owners[second.pk]} == {ann.user_id, bob.user_id}
        assert Contact.objects.get(pk=first.pk).tags == ["new"]
        assert Notification.objects.filter(title="New client", recipient=bob.user).count() == 2
        # The tag and owner changes made by the rule start no second run of it.
        assert Run.objects.filter(status="done").count() == 2


def test_a_contact_rule_does_not_reach_another_workspace(workspace, other_workspace):
    tenant, owner = workspace
    other, other_owner = other_workspace
    new_rule(owner, "Tag new", {
        "trigger": {"type": "contact.created"},
        "actions": [{"type": "contact.add_tag", "tag": "new"}],
    })  # fmt: skip
    theirs = new_contact(other_owner, first_name="Theirs")
    settle(other)
    settle(tenant)
    with tenant_scope(other):
        assert Contact.objects.get(pk=theirs.pk).tags == []
    with tenant_scope(tenant):
        assert not Run.objects.exists()


def _telegram(channel, chat_id, message_id, text):
    update = {
        "update_id": chat_id * 100 + message_id,
        "message": {"message_id": message_id, "date": 1767225600 + message_id, "text": text,
                    "from": {"id": chat_id, "first_name": "Ann"},
                    "chat": {"id": chat_id, "type": "private"}},
    }  # fmt: skip
    with tenant_scope(channel.tenant_id):
        ingest.process(receiver.receive(channel, update).pk)


def test_a_new_conversation_is_given_to_the_least_loaded_once(workspace):
    tenant, owner = workspace
    busy, free = add_member(tenant, role_key="admin"), add_member(tenant, role_key="admin")
    channel = channel_create(owner, "Bot")
    conversation_create(channel, "Earlier", chat_id=11, assignee_id=busy.user_id)
    conversation_create(channel, "Earlier 2", chat_id=12, assignee_id=owner.user_id)
    settle(tenant)
    new_rule(owner, "Share the inbox", {
        "trigger": {"type": "conversation.opened", "channel": channel.pk},
        "actions": [{"type": "conversation.assign", "mode": "least_loaded"},
                    {"type": "task.create", "title": "Answer", "assignee": "owner"}],
    })  # fmt: skip
    # The rules changed after this process indexed them: what the commit would announce.
    index._indexes.clear()
    _telegram(channel, 21, 1, "Hello")
    _telegram(channel, 21, 2, "Anyone there?")  # the same conversation: not a new one
    settle(tenant)
    with tenant_scope(tenant):
        conversation = Conversation.objects.get(external_chat_id="21")
        assert conversation.assignee_id == free.user_id
        assert Run.objects.count() == 1
        assert list(Task.objects.values_list("assignee_id", flat=True)) == [free.user_id]


def test_the_timeline_names_the_rule_in_a_constant_number_of_queries(workspace, client):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_rule(owner, "Call on Qualified", call_task_on(stages["Qualified"]))
    new_rule(owner, "Tag on Qualified", {
        "trigger": {"type": "deal.stage_entered", "stage": stages["Qualified"].pk},
        "actions": [{"type": "deal.add_tag", "tag": "hot"}],
    })  # fmt: skip
    one = new_deal(owner, title="One", stage=stages["Qualified"])
    plain = new_deal(owner, title="Plain", stage=stages["Lead"])
    settle(tenant)
    login(client, owner)

    def card(deal):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/deals/{deal.pk}/").content.decode()
        return html, len(queries)

    html, with_rules = card(one)
    assert "By rule «Call on Qualified»" in html and "By rule «Tag on Qualified»" in html
    assert 'data-testid="timeline-rule"' in html
    plain_html, without = card(plain)
    assert "By rule" not in plain_html
    assert with_rules == without  # the rule's name comes with the event, not a query


def test_an_overdue_task_shows_on_its_deals_timeline(workspace, client):
    tenant, owner = workspace
    deal = new_deal(owner, title="Fleet")
    with tenant_scope(tenant, owner.user):
        task_services.task_create(actor=owner, title="Send the offer", subject=deal,
                                  due_at=timezone.now() - timedelta(minutes=10))  # fmt: skip
        overdue.mark_overdue()
    settle(tenant)
    login(client, owner)
    html = client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Task overdue: Send the offer" in html


def test_a_whole_day_task_falls_overdue_when_its_day_has_ended(workspace):
    tenant, owner = workspace
    today = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(tenant.time_zone)).date()
    with tenant_scope(tenant, owner.user):
        yesterday = task_services.task_create(actor=owner, title="Yesterday", all_day=True,
                                              due_date=today - timedelta(days=1))  # fmt: skip
        task_services.task_create(actor=owner, title="Today", all_day=True, due_date=today)
        assert overdue.mark_overdue() == 1
        assert list(
            Event.objects.filter(type="task.overdue").values_list("subject_id", flat=True)
        ) == [yesterday.pk]
        # Done, then reopened: it may fall overdue again.
        task_services.task_complete(actor=owner, task=yesterday)
        task_services.task_reopen(actor=owner, task=Task.objects.get(pk=yesterday.pk))
        assert overdue.mark_overdue() == 1
