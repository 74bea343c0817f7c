"""The WhatsApp, Instagram and VK part of the demo, and `simulate_inbound` posting signed
Meta and VK deliveries to the running system (the live server)."""

from io import StringIO

import pytest
from django.core.management import call_command

from crm.tenancy.context import tenant_scope
from integrations import demo_meta
from integrations.models import Channel, Conversation, Message, RawDelivery
from tests.conftest import add_member, api_client, make_workspace, wait_for
from tests.contacts.conftest import new_contact

from .meta_stand_in import GraphStandIn, connect_meta
from .vk_stand_in import VKStandIn, connect_vk


@pytest.mark.django_db
def test_the_demo_adds_unconnected_whatsapp_instagram_and_vk_conversations(workspace):
    tenant, owner = workspace
    seller = add_member(tenant, "manager")
    clients = [
        new_contact(seller, first_name=f"Client {i}", phones=f"+1415555{i:04d}") for i in range(20)
    ]
    with tenant_scope(tenant, owner.user):
        demo_meta.seed(owner, [seller])
        kinds = dict(Channel.objects.values_list("kind", "status"))
        assert kinds == {"whatsapp": "pending", "instagram": "pending", "vk": "pending"}
        assert set(RawDelivery.objects.values_list("status", flat=True)) == {"processed"}
        whatsapp = list(Conversation.objects.filter(channel__kind="whatsapp").order_by("pk"))
        assert len(whatsapp) == 3
        # Matched by the phone on the client's card, as a live sender is.
        by_phone = {c.phones[0].lstrip("+"): c.pk for c in clients}
        assert all(by_phone[c.external_chat_id] == c.contact_id for c in whatsapp)
        answers = Message.objects.filter(direction="out", channel__kind="whatsapp")
        assert sorted(answers.values_list("status", flat=True)) == ["delivered", "read"]
        assert Conversation.objects.filter(channel__kind="instagram").count() == 2
        assert Conversation.objects.filter(channel__kind="vk", status="closed").count() == 1
        mine = set(Conversation.objects.filter(assignee=seller.user).values_list("pk", flat=True))
    seen = {r["id"] for r in api_client(seller).get("/api/v1/conversations/").json()["results"]}
    assert mine and mine <= seen


@pytest.mark.parametrize("kind", ["whatsapp", "messenger", "instagram", "vk"])
def test_simulate_inbound_posts_signed_deliveries_to_the_running_system(
    live_server, settings, transactional_db, kind
):
    settings.SITE_URL = live_server.url
    tenant, owner = make_workspace(f"Simulated {kind}")
    stand_in = (VKStandIn if kind == "vk" else GraphStandIn)().start()
    try:
        if kind == "vk":
            connect_vk(owner, stand_in)
        else:
            connect_meta(owner, stand_in, kind)
        out = StringIO()
        call_command("simulate_inbound", tenant.slug, f"Hello over {kind}", "--kind", kind,
                     "--phone", "+14155550100", stdout=out)  # fmt: skip
        assert "200" in out.getvalue()
        with tenant_scope(tenant):
            wait_for(lambda: Message.objects.filter(text=f"Hello over {kind}").exists())
            if kind == "whatsapp":
                assert Conversation.objects.get().external_chat_id == "14155550100"
    finally:
        stand_in.stop()
