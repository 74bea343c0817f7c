"""Assignment rules (integrations/assignment.py): a channel's new conversations go round
robin within a department, or to the least loaded member, skipping those at the limit;
with nobody free they stay unassigned. Applied at ingestion, race-safe, with an event; set
by admins on Settings → Channels."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from crm.accounts import services as account_services
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from integrations import assignment, ingest, receiver
from integrations.models import AssignmentRule, Conversation
from tests.conftest import add_member, login, make_user, make_workspace

from .conftest import connect_channel
from .stand_in import TelegramStandIn, update

pytestmark = pytest.mark.django_db


def arrive(channel, chat_id):
    """A new chat writes in: a delivery, ingested; its conversation."""
    with tenant_scope(channel.tenant_id):
        delivery = receiver.receive(channel, update(chat_id, chat_id=chat_id, username=""))
        ingest.process(delivery.pk)
        return Conversation.objects.get(channel=channel, external_chat_id=str(chat_id))


@pytest.fixture
def sales(workspace):
    """(admin, department, [three managers in it], an outsider manager)."""
    tenant, admin = workspace
    people = [add_member(tenant, user=make_user(first_name=n)) for n in ("Ann", "Bob", "Cat")]
    outsider = add_member(tenant, user=make_user(first_name="Out"))
    with tenant_scope(tenant, admin.user):
        department = account_services.department_save(actor=admin, name="Inbound sales")
        for member in people:
            account_services.member_update(actor=admin, membership=member, department=department)
    return admin, department, sorted(people, key=lambda m: m.user_id), outsider


def rule(admin, channel, mode, department=None, limit=0):
    with tenant_scope(admin.tenant_id, admin.user):
        return assignment.rule_save(
            actor=admin, channel=channel, mode=mode, department=department, limit=limit
        )


def test_without_a_rule_new_conversations_wait_unassigned(workspace, telegram):
    _tenant, admin = workspace
    channel = connect_channel(admin, telegram)
    assert arrive(channel, 1).assignee_id is None
    rule(admin, channel, "none")
    assert arrive(channel, 2).assignee_id is None


def test_round_robin_within_the_department_skips_those_at_the_limit(sales, telegram):
    admin, department, (ann, bob, cat), _outsider = sales
    channel = connect_channel(admin, telegram)
    rule(admin, channel, "round_robin", department, limit=2)
    got = [arrive(channel, chat).assignee_id for chat in range(1, 7)]
    ids = [ann.user_id, bob.user_id, cat.user_id]
    assert got == ids + ids  # in turn, and never the outsider
    # Everyone has 2 open now: nobody is free, the next one waits unassigned.
    assert arrive(channel, 7).assignee_id is None
    # Bob closes one: the next goes to him, the only one below the limit.
    with tenant_scope(admin.tenant_id):
        first_of_bobs = Conversation.objects.filter(assignee=bob.user).order_by("pk").first()
        Conversation.objects.filter(pk=first_of_bobs.pk).update(status="closed")
    assert arrive(channel, 8).assignee_id == bob.user_id
    # A message in an existing conversation changes nothing; only new ones are handed out.
    with tenant_scope(admin.tenant_id):
        delivery = receiver.receive(channel, update(100, chat_id=7, username=""))
        ingest.process(delivery.pk)
        assert Conversation.objects.get(external_chat_id="7").assignee_id is None
        events = Event.objects.filter(type="conversation.assigned", actor=None)
        assert events.count() == 7
        assert events.filter(data__assignee=ann.user_id).count() == 2


def test_least_loaded_takes_the_one_with_fewest_open(sales, telegram):
    admin, department, (ann, bob, cat), _outsider = sales
    channel = connect_channel(admin, telegram)
    with tenant_scope(admin.tenant_id):
        for chat in (101, 102):  # Ann already has two open, Bob one
            c = arrive(channel, chat)
            Conversation.objects.filter(pk=c.pk).update(assignee=ann.user)
        c = arrive(channel, 103)
        Conversation.objects.filter(pk=c.pk).update(assignee=bob.user)
    rule(admin, channel, "least_loaded", department, limit=2)
    assert arrive(channel, 1).assignee_id == cat.user_id  # 0 open
    assert arrive(channel, 2).assignee_id in (bob.user_id, cat.user_id)
    got = arrive(channel, 3).assignee_id
    assert got in (bob.user_id, cat.user_id) and got != ann.user_id  # Ann is at the limit
    assert arrive(channel, 4).assignee_id is None  # all at 2


def test_an_inactive_member_or_a_role_without_the_inbox_gets_nothing(sales, telegram):
    admin, department, (_ann, bob, cat), _outsider = sales
    channel = connect_channel(admin, telegram)
    with tenant_scope(admin.tenant_id):
        type(bob).objects.filter(pk=bob.pk).update(is_active=False)
        role = cat.role
        grants = dict(role.grants)
        grants["conversation"] = {"actions": ["view"], "visibility": "own"}
        role.grants = grants
        role.save()  # managers may only look: Ann is also a manager, so none is left
    rule(admin, channel, "round_robin", department)
    assert arrive(channel, 1).assignee_id is None


@pytest.mark.django_db(transaction=True)
def test_round_robin_is_race_safe():
    """Conversations arriving at once, in parallel workers, each take their own turn."""
    tenant, admin = make_workspace("Race")
    people = [add_member(tenant, user=make_user(first_name=f"P{i}")) for i in range(4)]
    telegram = TelegramStandIn().start()
    try:
        channel = connect_channel(admin, telegram)
        rule(admin, channel, "round_robin", limit=1)
        with tenant_scope(tenant):
            ids = [receiver.store(channel, update(i, chat_id=i, username=""))[0].pk
                   for i in range(1, 9)]  # fmt: skip
        start = threading.Barrier(len(ids))
        errors = []

        def work(delivery_id):
            try:
                start.wait()
                with tenant_scope(tenant):
                    ingest.process(delivery_id)
            except Exception as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        with tenant_scope(tenant):
            assigned = list(
                Conversation.objects.exclude(assignee=None).values_list("assignee_id", flat=True)
            )
        # Five who work the inbox (the admin too), a limit of one each, eight arrivals:
        # five assigned, each to someone else; three wait.
        assert sorted(assigned) == sorted([admin.user_id, *(p.user_id for p in people)])
    finally:
        telegram.stop()


def test_admins_set_rules_on_the_channels_page(client, sales, telegram):
    admin, department, (ann, _bob, _cat), _outsider = sales
    channel = connect_channel(admin, telegram)
    login(client, admin)
    page = client.get(reverse("channels")).content.decode()
    assert f'data-testid="rule-{channel.pk}"' in page and "Inbound sales" in page
    url = reverse("channel_desk_settings")
    response = client.post(url, {"channel": channel.pk, "mode": "least_loaded",
                                 "department": department.pk, "limit": "5"})  # fmt: skip
    assert response.status_code == 302
    with tenant_scope(admin.tenant_id):
        saved = AssignmentRule.objects.get(channel=channel)
        assert (saved.mode, saved.department_id, saved.limit) == ("least_loaded",
                                                                  department.pk, 5)  # fmt: skip
    for bad, says in (({"mode": "lottery"}, "Unknown assignment mode"),
                      ({"mode": "none", "limit": "-3"}, "The limit is a number"),
                      ({"mode": "none", "limit": "lots"}, "The limit is a number")):  # fmt: skip
        response = client.post(url, {"channel": channel.pk, **bad}, follow=True)
        assert response.status_code == 200 and says in response.content.decode()
    with tenant_scope(admin.tenant_id):
        assert AssignmentRule.objects.get(channel=channel).mode == "least_loaded"
    # Managers may not.
    login(client, ann)
    assert client.post(url, {"channel": channel.pk, "mode": "none"}).status_code == 403
    assert client.post(url, {"target": "5"}).status_code == 403


def test_another_workspaces_channel_cannot_get_a_rule(client, workspace, other_workspace, telegram):
    (_a, admin_a), (tenant_b, admin_b) = workspace, other_workspace
    channel_b = connect_channel(admin_b, telegram)
    login(client, admin_a)
    response = client.post(reverse("channel_desk_settings"),
                           {"channel": channel_b.pk, "mode": "round_robin"})  # fmt: skip
    assert response.status_code == 404
    with tenant_scope(tenant_b):
        assert not AssignmentRule.objects.exists()
