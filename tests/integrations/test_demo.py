"""The inbox's demo seeder, linking conversations to clients, and `simulate_inbound`
against the running system (the live server)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm.tenancy.context import tenant_scope
from integrations import demo, services
from integrations.models import Channel, Conversation, Message
from tests.conftest import add_member, api_client, make_workspace, wait_for
from tests.contacts.conftest import new_contact

from .conftest import connect_channel
from .test_visibility import conversation


@pytest.mark.django_db
def test_the_demo_seeds_conversations_with_its_clients(workspace):
    tenant, owner = workspace
    seller = add_member(tenant, "manager")
    clients = [new_contact(seller, first_name=n) for n in ("Ann", "Bo", "Cy")]
    with tenant_scope(tenant, owner.user):
        demo.seed(owner, [seller])
        channel = Channel.objects.get()
        rows = list(Conversation.objects.order_by("external_chat_id"))
        assert channel.status == Channel.PENDING  # not connected: the demo has no bot
        assert [c.contact_id for c in rows] == [c.pk for c in clients]
        assert Message.objects.filter(direction="in").count() == 3
        assert Message.objects.filter(direction="note").count() == 1
        assert [c.assignee_id for c in rows] == [None, seller.user_id, seller.user_id]
    ids = {row["id"] for row in api_client(seller).get("/api/v1/conversations/").json()["results"]}
    assert ids == {c.pk for c in rows}  # unassigned ones about their clients, and theirs


@pytest.mark.django_db
def test_linking_a_conversation_to_a_client_the_member_may_see(team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    c = conversation(channel, 1)
    mine = new_contact(mia, first_name="Mine")
    carls = new_contact(carl, first_name="Carls")
    api = api_client(mia)
    url = f"/api/v1/conversations/{c.pk}/"
    assert api.patch(url, {"contact": carls.pk}, format="json").status_code == 400
    linked = api.patch(url, {"contact": mine.pk}, format="json")
    assert linked.status_code == 200 and linked.json()["contact"] == mine.pk
    with tenant_scope(admin.tenant_id, mia.user):
        services.conversation_update(actor=mia, conversation=c, contact=None)
        c.refresh_from_db()
        assert c.contact_id is None


def test_simulate_inbound_posts_a_signed_update_to_the_running_system(
    live_server, settings, telegram, transactional_db
):
    settings.SITE_URL = live_server.url
    tenant, owner = make_workspace("Simulated")
    connect_channel(owner, telegram)
    out = StringIO()
    call_command("simulate_inbound", tenant.slug, "Hello from the command", stdout=out)
    assert "200" in out.getvalue()
    with tenant_scope(tenant):
        wait_for(lambda: Message.objects.filter(text="Hello from the command").exists())
    with pytest.raises(CommandError):
        call_command("simulate_inbound", "no-such-workspace", "x", stdout=out)
