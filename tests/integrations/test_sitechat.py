"""The site chat and the tracker: signed visitor tokens, a visitor's own conversation, the
manager's answer fetched by the widget, page visits of known clients and
`contact.visited_site` with `returned_after_days`."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from integrations import services, site, visitors
from integrations.models import Conversation, Message, PageVisit, RawDelivery, Visitor
from tests.conftest import api_client, login
from tests.contacts.conftest import new_contact

pytestmark = pytest.mark.django_db


def make_chat(owner, **settings):
    with tenant_scope(owner.tenant_id, owner.user):
        return services.channel_create(
            actor=owner,
            kind="sitechat",
            name="Site chat",
            raw_settings={"title": "Ask us", "greeting": "Hi! How can we help?", **settings},
        )


def hello(client, channel, body=None, **headers):
    return client.post(reverse("sitechat_webhook", args=[channel.webhook_token]),
                       json.dumps(body or {}), content_type="application/json",
                       headers=headers)  # fmt: skip


def messages_url(channel):
    return reverse("sitechat_messages", args=[channel.webhook_token])


def say(client, channel, token, text, capture=None, **extra):
    def post():
        return client.post(messages_url(channel), json.dumps({"text": text, **extra}),
                           content_type="application/json",
                           headers={"X-CRM-Visitor": token})  # fmt: skip

    if capture is None:
        return post()
    with capture(execute=True):
        return post()


def read(client, channel, token, after=None):
    query = f"?after={after}" if after is not None else ""
    return client.get(messages_url(channel) + query, headers={"X-CRM-Visitor": token})


def test_a_visitor_chats_and_reads_the_managers_answer(
    client, workspace, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = make_chat(owner)
    assert channel.status == "active"
    first = hello(client, channel)
    assert first.status_code == 200
    body = first.json()
    assert body["title"] == "Ask us" and body["greeting"] == "Hi! How can we help?"
    token = body["visitor"]
    # The same token comes back while it is genuine.
    assert hello(client, channel, {"visitor": token}).json()["visitor"] == token
    sent = say(client, channel, token, "Do you deliver to Oslo?", id="client-msg-0001",
               capture=django_capture_on_commit_callbacks)  # fmt: skip
    assert sent.status_code == 202
    # Sent twice (a retry): stored once.
    say(client, channel, token, "Do you deliver to Oslo?", id="client-msg-0001",
        capture=django_capture_on_commit_callbacks)  # fmt: skip
    with tenant_scope(tenant):
        conversation = Conversation.objects.get(channel=channel)
        assert conversation.external_chat_id.startswith("visitor:")
        message = Message.objects.get(conversation=conversation)
        assert message.kind == "chat" and message.direction == Message.IN
        reply = services.reply_send(actor=owner, conversation=conversation, text="Yes, in 3 days.")
        assert reply.kind == "chat" and reply.external_id.startswith("out:")
        services.note_add(actor=owner, conversation=conversation, text="Internal: VIP")
    answer = read(client, channel, token)
    assert answer.status_code == 200
    rows = answer.json()["messages"]
    assert [(m["from"], m["text"]) for m in rows] == [
        ("visitor", "Do you deliver to Oslo?"),
        ("team", "Yes, in 3 days."),
    ]  # the internal note is never shown
    assert read(client, channel, token, after=rows[0]["id"]).json()["messages"][0]["text"] == (
        "Yes, in 3 days."
    )


def test_a_visitor_cannot_read_another_visitors_conversation_nor_forge_a_token(
    client, workspace, other_workspace, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = make_chat(owner)
    alice = hello(client, channel).json()["visitor"]
    bob = hello(client, channel).json()["visitor"]
    assert alice != bob
    say(client, channel, alice, "Alice's secret", capture=django_capture_on_commit_callbacks)
    assert read(client, channel, bob).json()["messages"] == []
    assert read(client, channel, alice).json()["messages"][0]["text"] == "Alice's secret"
    # A token altered by hand, one signed for another workspace, none at all.
    key = alice.split(":")[0]
    forged = [alice[:-2] + ("AA" if not alice.endswith("AA") else "BB"),
              site.visitor_token(other_workspace[0].pk, "x" * 24), key]  # fmt: skip
    for bad in forged:
        assert read(client, channel, bad).status_code == 403
        assert say(client, channel, bad, "Let me in").status_code == 403
    assert client.get(messages_url(channel)).status_code == 401
    with tenant_scope(tenant):
        assert RawDelivery.objects.count() == 1


def test_a_chat_token_of_one_workspace_never_writes_into_another(
    client, workspace, other_workspace
):
    _tenant, owner = workspace
    other_tenant, _ = other_workspace
    channel = make_chat(owner)
    token = hello(client, channel).json()["visitor"]
    forged = f"{other_tenant.pk}_{channel.webhook_token.partition('_')[2]}"
    assert client.post(reverse("sitechat_webhook", args=[forged]), "{}",
                       content_type="application/json").status_code == 404  # fmt: skip
    response = client.post(reverse("sitechat_messages", args=[forged]),
                           json.dumps({"text": "hi"}), content_type="application/json",
                           headers={"X-CRM-Visitor": token})  # fmt: skip
    assert response.status_code == 404
    with tenant_scope(other_tenant):
        assert not RawDelivery.objects.exists()


def test_bad_chat_input_and_limits(client, workspace, settings):
    tenant, owner = workspace
    settings.SITE_RATE_LIMITS = {**settings.SITE_RATE_LIMITS, "chat": 4}
    channel = make_chat(owner)
    token = hello(client, channel).json()["visitor"]
    assert say(client, channel, token, "").status_code == 400
    too_long = say(client, channel, token, "x" * 2001)
    assert too_long.status_code == 400 and "at most 2000" in too_long.json()["errors"]["text"][0]
    bad_email = say(client, channel, token, "Hi", email="nope")
    assert bad_email.status_code == 400 and "email" in bad_email.json()["errors"]
    assert say(client, channel, token, "Hi").status_code == 202
    # Every call counts, refused ones too: the fifth in a minute is one too many.
    assert say(client, channel, token, "Hi again").status_code == 429
    not_json = client.post(reverse("sitechat_webhook", args=[channel.webhook_token]), b"[1]",
                           content_type="application/json")  # fmt: skip
    assert not_json.status_code == 400
    with tenant_scope(tenant):
        assert RawDelivery.objects.count() == 1


def test_cors_of_the_chat_follows_its_sites(client, workspace):
    _tenant, owner = workspace
    channel = make_chat(owner, allowed_origins="https://shop.example")
    ok = hello(client, channel, Origin="https://shop.example")
    assert ok.status_code == 200 and ok["Access-Control-Allow-Origin"] == "https://shop.example"
    assert hello(client, channel, Origin="https://evil.example").status_code == 403
    preflight = client.options(messages_url(channel), headers={"Origin": "https://shop.example"})
    assert preflight.status_code == 204
    assert "X-CRM-Visitor" in preflight["Access-Control-Allow-Headers"]


def test_a_chat_from_a_known_email_names_the_visitor_and_the_tracker_keeps_their_pages(
    client, workspace, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = make_chat(owner)
    known = new_contact(owner, first_name="Nora", emails="nora@example.com")
    token = hello(client, channel, {"url": "https://shop.example/"}).json()["visitor"]
    with tenant_scope(tenant):
        assert not PageVisit.objects.exists()  # not known yet: nothing kept
    say(client, channel, token, "Hello", email="Nora@Example.com",
        capture=django_capture_on_commit_callbacks)  # fmt: skip
    with tenant_scope(tenant):
        assert Conversation.objects.get(channel=channel).contact_id == known.pk
    again = hello(client, channel, {"visitor": token, "url": "https://shop.example/prices",
                                    "title": "Prices"})  # fmt: skip
    assert again.json()["identified"] is True
    with tenant_scope(tenant):
        visit = PageVisit.objects.get()
        assert (visit.contact_id, visit.url, visit.title) == (known.pk, "https://shop.example/prices",
                                                              "Prices")  # fmt: skip
        # Same day: no "returned" event.
        assert not Event.objects.filter(type="contact.visited_site").exists()


def test_a_client_back_after_days_emits_visited_site_once(
    client, workspace, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    channel = make_chat(owner)
    known = new_contact(owner, first_name="Nora", emails="nora@example.com")
    token = hello(client, channel).json()["visitor"]
    with tenant_scope(tenant):
        key = site.visitor_key(token, tenant.pk)
        visitors.identify(key, known.pk)
        visitors.record_visit(contact_id=known.pk, url="https://shop.example/",
                              at=timezone.now() - timedelta(days=3, hours=2))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        hello(client, channel, {"visitor": token, "url": "https://shop.example/again"})
        hello(client, channel, {"visitor": token, "url": "https://shop.example/more"})
    with tenant_scope(tenant):
        events = list(Event.objects.filter(type="contact.visited_site"))
        assert len(events) == 1  # the return, not every page after it
        assert events[0].subject_id == known.pk
        assert events[0].data["returned_after_days"] == 3
        assert events[0].data["url"] == "https://shop.example/again"
        assert PageVisit.objects.count() == 3
        dispatch_pending()
    # On the client's card, for those who may see the client.
    login(client, owner)
    card = client.get(reverse("contact_card", args=[known.pk])).content.decode()
    assert "Back on the site after 3 days" in card and "https://shop.example/again" in card


def test_a_tracked_link_names_the_client_in_its_workspace_only(client, workspace, other_workspace):
    tenant, owner = workspace
    other_tenant, other_owner = other_workspace
    channel = make_chat(owner)
    known = new_contact(owner, first_name="Nora", emails="nora@example.com")
    foreign = new_contact(other_owner, first_name="Zed", emails="zed@example.com")
    with tenant_scope(tenant):
        url = site.tracked_url("https://shop.example/offer?a=1", known)
    assert url.startswith("https://shop.example/offer?a=1&crm_t=")
    link = url.split("crm_t=")[1]
    with tenant_scope(other_tenant):
        foreign_link = site.link_token(foreign)
    body = hello(client, channel, {"crm_t": foreign_link, "url": "https://shop.example/"}).json()
    assert body["identified"] is False
    body = hello(client, channel, {"crm_t": link + "x", "url": "https://shop.example/"}).json()
    assert body["identified"] is False
    body = hello(client, channel, {"crm_t": link, "url": "https://shop.example/offer"}).json()
    assert body["identified"] is True
    with tenant_scope(tenant):
        assert Visitor.objects.get(contact=known)
        assert PageVisit.objects.get().contact_id == known.pk
    with tenant_scope(other_tenant):
        assert not Visitor.objects.exists() and not PageVisit.objects.exists()


def test_sitechat_conversations_follow_the_inbox_visibility(
    client, team, django_capture_on_commit_callbacks
):
    admin, mia, carl = team
    channel = make_chat(admin)
    token = hello(client, channel).json()["visitor"]
    say(client, channel, token, "Anyone there?", capture=django_capture_on_commit_callbacks)
    with tenant_scope(admin.tenant_id):
        conversation = Conversation.objects.get(channel=channel)
    # An unknown visitor: the team's queue, seen by every manager.
    assert [c["id"] for c in api_client(mia).get("/api/v1/conversations/").json()["results"]] == [
        conversation.pk
    ]
    with tenant_scope(admin.tenant_id):
        services.reply_send(actor=carl, conversation=conversation, text="Carl here")
    # Carl answered, so it is his now: Mia sees it no more.
    assert api_client(mia).get("/api/v1/conversations/").json()["results"] == []


def test_the_widget_reads_keep_their_query_count(
    client, workspace, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    _tenant, owner = workspace
    channel = make_chat(owner)
    token = hello(client, channel).json()["visitor"]
    for i in range(5):
        say(client, channel, token, f"Message {i}", capture=django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(6):
        assert len(read(client, channel, token).json()["messages"]) == 5


def test_the_site_demo_seeds_a_form_and_a_chat(workspace):
    from integrations import demo_site
    from integrations.models import WebForm
    from tests.conftest import add_member

    tenant, owner = workspace
    seller = add_member(tenant, "manager")
    client = new_contact(seller, first_name="Ann", emails="ann@example.com")
    with tenant_scope(tenant, owner.user):
        demo_site.seed(owner, [seller])
        form = WebForm.objects.get()
        assert form.stage is not None and form.responsible_id == seller.user_id
        requests = Message.objects.filter(kind="form")
        assert requests.count() == 2
        assert Conversation.objects.filter(channel=form.channel, contact=client).exists()
        chats = Conversation.objects.filter(channel__kind="sitechat")
        assert chats.count() == 2
        assert Message.objects.filter(kind="chat", direction=Message.OUT).count() == 1
        # The known client back on the site: the newest with an email, the form's new one.
        back = chats.exclude(contact=None).get().contact_id
        assert back != client.pk
        returned = Event.objects.get(type="contact.visited_site")
        assert returned.subject_id == back and returned.data["returned_after_days"] == 7
        assert Event.objects.filter(type="form.submitted").count() == 2


def test_the_hello_keeps_its_query_count(client, workspace, django_assert_max_num_queries):
    tenant, owner = workspace
    channel = make_chat(owner)
    known = new_contact(owner, first_name="Nora", emails="nora@example.com")
    token = hello(client, channel).json()["visitor"]
    with tenant_scope(tenant):
        visitors.identify(site.visitor_key(token, tenant.pk), known.pk)
    with django_assert_max_num_queries(10):
        body = hello(client, channel, {"visitor": token, "url": "https://shop.example/a"}).json()
    assert body["identified"] is True


def test_simulate_site_posts_a_form_and_a_chat_to_the_running_system(
    live_server, settings, transactional_db
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from integrations import webforms
    from tests.conftest import make_workspace, wait_for

    settings.SITE_URL = live_server.url
    tenant, owner = make_workspace("Simulated")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("simulate_site", tenant.slug, "form", "x", stdout=out)
    with tenant_scope(tenant, owner.user):
        webforms.form_create(actor=owner, name="Contact us", fields=[
            {"label": "Name", "type": "text", "maps_to": "contact.first_name"},
            {"label": "Email", "type": "email", "maps_to": "contact.email", "required": True},
            {"label": "Message", "type": "textarea"}])  # fmt: skip
    make_chat(owner)
    call_command("simulate_site", tenant.slug, "form", "Please call me", stdout=out)
    call_command("simulate_site", tenant.slug, "chat", "Anyone there?", stdout=out)
    assert "201" in out.getvalue() and "202" in out.getvalue()
    with tenant_scope(tenant):
        wait_for(lambda: Message.objects.filter(kind="form", text="Please call me").exists())
        wait_for(lambda: Message.objects.filter(kind="chat", text="Anyone there?").exists())
