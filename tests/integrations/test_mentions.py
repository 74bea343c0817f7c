"""@mentions in internal notes: who may be mentioned (those who can open the
conversation), the notification with its link, the autocomplete, the highlight; and the
client never sees a note."""

import pytest
from django.test import Client

from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Notification
from crm.activity.selectors import notifications_for
from crm.tenancy.context import tenant_scope
from integrations import services
from integrations.models import Message
from tests.conftest import add_member, api_client, login, make_user
from tests.contacts.conftest import new_contact

from .conftest import connect_channel
from .test_visibility import conversation

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def note(actor, c, text):
    with tenant_scope(actor.tenant_id, actor.user):
        return services.note_add(actor=actor, conversation=c, text=text)


def notes_of(member):
    with tenant_scope(member.tenant_id):
        dispatch_pending()
        return list(notifications_for(member).filter(kind=Notification.MENTION))


def test_a_mention_notifies_the_colleague_with_a_link_and_nothing_reaches_the_client(
    workspace, telegram
):
    tenant, owner = workspace
    priya = add_member(tenant, "admin", user=make_user(first_name="Priya", last_name="Sharma"))
    channel = connect_channel(owner, telegram)
    c = conversation(channel, 1, text="Can I pay in two parts?")
    made = note(owner, c, "@[Priya Sharma] can we offer two payments?")
    assert made.direction == Message.NOTE and made.meta == {"mentions": [priya.user_id]}
    [notification] = notes_of(priya)
    assert notification.url == f"/inbox/{c.pk}/"
    assert "mentioned you in a conversation" in notification.shown_title
    assert "two payments" in notification.shown_title
    assert notes_of(owner) == []  # not the author
    assert telegram.called("sendMessage") == []  # a note never leaves
    # Opening the notification leads into the conversation, with the mention highlighted.
    page = login(Client(), priya)
    thread = page.get(notification.url).content.decode()
    assert '<mark class="mention">@[Priya Sharma]</mark>' in thread


def test_a_note_cannot_mention_someone_who_cannot_open_the_conversation(team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    c = conversation(channel, 1, assignee=mia, text="Private matter")
    with pytest.raises(ValueError, match="Carl"):
        note(mia, c, "@carl please have a look")
    with tenant_scope(admin.tenant_id):
        assert not Message.objects.filter(direction=Message.NOTE).exists()
    assert notes_of(carl) == []
    # The page keeps the text and says why; the API answers 400.
    page = login(Client(), mia)
    answer = page.post(f"/inbox/{c.pk}/reply/", {"text": "@carl look", "direction": "note"},
                       headers=HTMX).content.decode()  # fmt: skip
    assert "Carl" in answer and "cannot open this conversation" in answer
    assert "@carl look" in answer
    api = api_client(mia)
    refused = api.post(f"/api/v1/conversations/{c.pk}/messages/",
                       {"text": "@carl look", "direction": "note"}, format="json")  # fmt: skip
    assert refused.status_code == 400
    # The admin sees every conversation, so may be mentioned.
    note(mia, c, "@[" + admin.user.get_full_name() + "] FYI")
    assert len(notes_of(admin)) == 1


def test_the_notification_hides_the_note_when_the_conversation_moved_away(team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    c = conversation(channel, 1, assignee=mia)
    note(admin, c, "@mia the secret price is 42")
    with tenant_scope(admin.tenant_id, admin.user):
        services.conversation_update(actor=admin, conversation=c, assignee=carl.user)
    [notification] = notes_of(mia)
    assert "42" not in notification.shown_title and notification.shown_url == ""


def test_the_autocomplete_lists_members_and_marks_who_cannot_open_it(team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    c = conversation(channel, 1, assignee=mia)
    page = login(Client(), mia)
    rows = page.get(f"/inbox/{c.pk}/mentions/", {"q": ""}).json()["results"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["Carl"]["allowed"] is False and by_name["Carl"]["note"]
    assert by_name[admin.user.display_name]["allowed"] is True
    assert by_name["Mia"]["insert"] == "@[Mia]"
    only = page.get(f"/inbox/{c.pk}/mentions/", {"q": "car"}).json()["results"]
    assert [r["name"] for r in only] == ["Carl"]
    # Carl cannot open it, so he cannot list who may be mentioned in it either.
    assert login(Client(), carl).get(f"/inbox/{c.pk}/mentions/").status_code == 404


def test_mentions_reach_nobody_in_another_workspace(workspace, other_workspace, telegram):
    _tenant, owner = workspace
    _other_tenant, stranger = other_workspace
    channel = connect_channel(owner, telegram)
    c = conversation(channel, 1)
    name = stranger.user.get_full_name() or stranger.user.email
    note(owner, c, f"@[{name}] hello")
    assert notes_of(stranger) == []
    rows = login(Client(), owner).get(f"/inbox/{c.pk}/mentions/").json()["results"]
    assert stranger.user_id not in {r["id"] for r in rows}
    assert login(Client(), stranger).get(f"/inbox/{c.pk}/mentions/").status_code == 404


def test_the_client_card_lists_its_conversations_the_member_may_see(
    team, telegram, django_assert_max_num_queries
):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram, name="Support bot")
    ivan = new_contact(mia, first_name="Ivan", last_name="Petrov")
    mine = conversation(channel, 1, contact=ivan, assignee=mia, text="Where is my order?")
    carls = conversation(channel, 2, contact=ivan, assignee=carl, text="Quokka price")
    page = login(Client(), mia)
    card = page.get(f"/contacts/{ivan.pk}/").content.decode()
    assert 'data-testid="client-conversations"' in card
    assert f'href="/inbox/{mine.pk}/"' in card and "Where is my order?" in card
    assert f'href="/inbox/{carls.pk}/"' not in card and "Quokka" not in card
    admin_card = login(Client(), admin).get(f"/contacts/{ivan.pk}/").content.decode()
    assert f'href="/inbox/{carls.pk}/"' in admin_card
    with django_assert_max_num_queries(60) as few:
        page.get(f"/contacts/{ivan.pk}/")
    for chat in range(3, 9):
        conversation(channel, chat, contact=ivan, text=f"Message {chat}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "Message 8" in page.get(f"/contacts/{ivan.pk}/").content.decode()
