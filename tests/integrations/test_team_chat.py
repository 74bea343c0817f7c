"""The team chat: the workspace channel (every active member) and direct conversations
(their two members only, admins included), mentions and notifications, unread counts;
never a client conversation, never sent through a channel; walled between workspaces."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from crm.activity.models import Notification
from crm.tenancy.context import tenant_scope
from integrations import selectors
from integrations import team as chat
from integrations.models import Conversation, TeamMessage, TeamRoom
from tests.conftest import api_client, login

from .conftest import connect_channel

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def post(actor, room, text):
    with tenant_scope(actor.tenant_id, actor.user):
        return chat.message_post(actor=actor, room=room, text=text)


def direct(actor, other):
    with tenant_scope(actor.tenant_id, actor.user):
        return chat.direct_room(actor=actor, other=other.user)


def general(tenant):
    with tenant_scope(tenant):
        return chat.workspace_room()


def unread(member):
    with tenant_scope(member.tenant_id):
        return {r.pk: r.unread for r in chat.rooms_for(member)}


def mentions_of(member):
    with tenant_scope(member.tenant_id):
        return list(Notification.objects.filter(recipient=member.user, kind="mention"))


def test_the_workspace_channel_is_everyones_and_counts_unread(team):
    admin, mia, carl = team
    room = general(admin.tenant)
    post(admin, room, "Welcome, everyone")
    post(mia, room, "Hi!")
    assert unread(carl)[room.pk] == 2
    assert unread(mia)[room.pk] == 0  # answering reads what came before
    with tenant_scope(carl.tenant_id):
        assert chat.unread_total(carl) == 2
        chat.mark_read(actor=carl, room=room)
        assert chat.unread_total(carl) == 0
    assert general(admin.tenant) == room  # one channel per workspace


def test_a_direct_conversation_is_seen_by_its_two_members_only(team):
    admin, mia, carl = team
    room = direct(mia, carl)
    assert direct(carl, mia) == room  # one room per pair, whoever opens it
    post(mia, room, "Quokka between us")
    assert room.pk in unread(carl) and unread(carl)[room.pk] == 1
    assert room.pk not in unread(admin)  # not even the admin
    with pytest.raises(PermissionDenied):
        post(admin, room, "Let me in")
    with pytest.raises(ValueError):
        direct(mia, mia)
    page = login(Client(), admin)
    for url in (f"/team/{room.pk}/", f"/team/{room.pk}/messages/", f"/team/{room.pk}/mentions/"):
        response = page.get(url)
        assert response.status_code == 404 and b"Quokka" not in response.content
    assert page.post(f"/team/{room.pk}/post/", {"text": "hi"}).status_code == 404
    with tenant_scope(admin.tenant_id):
        assert TeamMessage.objects.filter(room=room).count() == 1


def test_mentions_notify_and_a_direct_room_mentions_only_its_members(team):
    admin, mia, carl = team
    room = general(admin.tenant)
    post(mia, room, "@carl can you take the Friday call?")
    [notification] = mentions_of(carl)
    assert notification.url == f"/team/{room.pk}/" and "Friday call" in notification.title
    dm = direct(mia, carl)
    with pytest.raises(ValueError, match=admin.user.display_name):
        post(mia, dm, f"@[{admin.user.get_full_name() or admin.user.email}] look")
    assert mentions_of(admin) == []
    rows = login(Client(), mia).get(f"/team/{dm.pk}/mentions/").json()["results"]
    assert {r["id"] for r in rows} == {mia.user_id, carl.user_id}


def test_team_chat_never_touches_client_conversations_or_channels(team, telegram):
    admin, mia, carl = team
    connect_channel(admin, telegram)
    post(mia, general(admin.tenant), "Internal only")
    post(mia, direct(mia, carl), "Also internal")
    with tenant_scope(admin.tenant_id):
        assert not Conversation.objects.exists()
        assert list(selectors.inbox(admin)) == []
        assert selectors.unread_count(admin) == 0
    assert telegram.called("sendMessage") == []
    assert api_client(admin).get("/api/v1/conversations/").json()["results"] == []
    inbox = login(Client(), admin).get("/inbox/").content.decode()
    assert "Internal only" not in inbox


def test_the_pages_chat_directly_and_poll(team, django_assert_max_num_queries):
    admin, mia, carl = team
    page = login(Client(), mia)
    home = page.get("/team/")
    assert home.status_code == 302
    room_url = home["Location"]
    text = page.get(room_url).content.decode()
    assert "General" in text and 'data-testid="direct-form"' in text
    opened = page.post("/team/direct/", {"user": carl.user_id})
    assert opened.status_code == 302
    dm_url = opened["Location"]
    dm_pk = int(dm_url.strip("/").split("/")[-1])
    sent = page.post(f"/team/{dm_pk}/post/", {"text": "Lunch?"}, headers=HTMX)
    assert sent.status_code == 200 and "Lunch?" in sent.content.decode()
    empty = page.post(f"/team/{dm_pk}/post/", {"text": "  "}, headers=HTMX)
    assert empty.status_code == 200 and "<html" not in empty.content.decode()
    assert page.post("/team/direct/", {"user": "x"}).status_code == 302  # refused, said why

    carls = login(Client(), carl)
    assert carls.get("/team/unread/").content.decode().count("1") >= 1
    listed = carls.get(room_url).content.decode()
    assert "Mia" in listed and 'data-testid="unread"' in listed
    with tenant_scope(carl.tenant_id):
        latest = TeamMessage.objects.filter(room_id=dm_pk).order_by("-id").first().pk
    assert carls.get(f"/team/{dm_pk}/messages/?since={latest}", headers=HTMX).status_code == 204
    assert "Lunch?" in carls.get(f"/team/{dm_pk}/").content.decode()
    assert unread(carl)[dm_pk] == 0  # opening it read it

    with django_assert_max_num_queries(40) as few:
        carls.get(f"/team/{dm_pk}/")
    room = general(admin.tenant)
    for i in range(5):
        post(mia, room, f"Note {i}")
        post(admin, direct(admin, carl), f"DM {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        carls.get(f"/team/{dm_pk}/")


def test_another_workspace_sees_nothing(team, other_workspace):
    admin, mia, carl = team
    _other, stranger = other_workspace
    room = general(admin.tenant)
    post(mia, room, "Acme quokka")
    dm = direct(mia, carl)
    page = login(Client(), stranger)
    for pk in (room.pk, dm.pk):
        assert page.get(f"/team/{pk}/").status_code == 404
        assert page.post(f"/team/{pk}/post/", {"text": "x"}).status_code == 404
    assert page.post("/team/direct/", {"user": mia.user_id}).status_code == 302
    with tenant_scope(stranger.tenant_id):
        assert not TeamRoom.objects.filter(kind=TeamRoom.DIRECT).exists()
    assert "quokka" not in page.get(page.get("/team/")["Location"]).content.decode().lower()
