"""Settings → Channels for the Meta and VK kinds: their tabs and fields, and the row that
shows the admin what to paste into the far end's console (and only to admins of the
workspace)."""

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from integrations.models import Channel
from tests.conftest import add_member, login

from .meta_stand_in import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, GraphStandIn
from .vk_stand_in import ACCESS_TOKEN as VK_TOKEN
from .vk_stand_in import CONFIRMATION, GROUP_ID, VKStandIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph():
    stand_in = GraphStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def vk_api():
    stand_in = VKStandIn().start()
    yield stand_in
    stand_in.stop()


def test_each_kind_has_its_tab_and_fields(client, workspace):
    login(client, workspace[1])
    page = client.get(reverse("channels")).content.decode()
    for kind in ("telegram", "whatsapp", "messenger", "instagram", "vk"):
        assert f'data-testid="kind-{kind}"' in page
    whatsapp = client.get(reverse("channels"), {"kind": "whatsapp"}).content.decode()
    assert 'name="phone_number_id"' in whatsapp and 'name="graph_api_base_url"' in whatsapp
    assert 'type="password" name="access_token"' in whatsapp
    assert 'type="password" name="app_secret"' in whatsapp
    messenger = client.get(reverse("channels"), {"kind": "messenger"}).content.decode()
    assert 'name="page_id"' in messenger
    vk = client.get(reverse("channels"), {"kind": "vk"}).content.decode()
    for field in ("group_id", "confirmation_code", "secret", "api_base_url"):
        assert f'name="{field}"' in vk


def test_an_admin_adds_whatsapp_and_sees_what_to_paste(client, workspace, other_workspace, graph):
    tenant, owner = workspace
    login(client, owner)
    bad = client.post(reverse("channels"), {"kind": "whatsapp", "name": "WA",
                                            "access_token": ACCESS_TOKEN, "app_secret": "",
                                            "phone_number_id": PHONE_NUMBER_ID})  # fmt: skip
    assert bad.status_code == 200 and "errors" in bad.content.decode()
    response = client.post(
        reverse("channels"),
        {"kind": "whatsapp", "name": "WhatsApp sales", "access_token": ACCESS_TOKEN,
         "app_secret": APP_SECRET, "phone_number_id": PHONE_NUMBER_ID,
         "graph_api_base_url": graph.url},
    )  # fmt: skip
    assert response.status_code == 302
    listing = client.get(reverse("channels")).content.decode()
    with tenant_scope(tenant):
        channel = Channel.objects.get()
        verify = channel.secrets["verify_token"]
    assert f"/integrations/whatsapp/{channel.webhook_token}/" in listing
    assert verify in listing and 'data-testid="paste-hint"' in listing
    assert ACCESS_TOKEN not in listing and APP_SECRET not in listing
    assert "EAA…1234" in listing

    # Neither a manager of the workspace nor another workspace's admin sees any of it.
    login(client, add_member(tenant, "manager"))
    assert client.get(reverse("channels")).status_code == 403
    login(client, other_workspace[1])
    other = client.get(reverse("channels")).content.decode()
    assert verify not in other and channel.webhook_token not in other
    assert client.post(reverse("channel_reconnect", args=[channel.pk])).status_code == 404


def test_an_admin_adds_a_vk_community(client, workspace, vk_api):
    tenant, owner = workspace
    login(client, owner)
    response = client.post(
        reverse("channels"),
        {"kind": "vk", "name": "VK", "access_token": VK_TOKEN, "group_id": GROUP_ID,
         "confirmation_code": CONFIRMATION, "secret": "MyOwnKey42", "api_base_url": vk_api.api},
    )  # fmt: skip
    assert response.status_code == 302
    listing = client.get(reverse("channels")).content.decode()
    assert "MyOwnKey42" in listing and CONFIRMATION in listing and VK_TOKEN not in listing
    with tenant_scope(tenant):
        assert Channel.objects.get().status == Channel.ACTIVE


def test_the_channels_page_reads_in_a_constant_number_of_queries(
    client, workspace, graph, vk_api, django_assert_max_num_queries
):
    from .meta_stand_in import connect_meta
    from .vk_stand_in import connect_vk

    owner = workspace[1]
    login(client, owner)
    connect_meta(owner, graph, "whatsapp")
    client.get(reverse("channels"))  # warm the caches
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("channels"))
    for kind in ("messenger", "instagram"):
        connect_meta(owner, graph, kind)
    connect_vk(owner, vk_api)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("channels")).status_code == 200
