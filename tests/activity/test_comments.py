"""Comments with @mentions on any record: parsing, the panel, the API, the walls."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.activity import services
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Comment, Event, Notification
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, api_client, login, make_user
from tests.contacts.conftest import new_company, new_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(workspace):
    tenant, owner = workspace
    priya = add_member(tenant, "manager", user=make_user(email="priya@example.com"))
    ivan = add_member(
        tenant, "manager", user=make_user(email="ivan.s@example.com", first_name="Ivan")
    )
    ivan.user.last_name = "Sokolov"
    ivan.user.save()
    return tenant, owner, priya, ivan


def _mentioned(tenant, body):
    with tenant_scope(tenant):
        return [u.email for u in services.mentioned_users(body)]


def test_mentions_by_email_name_or_full_name(team):
    tenant, _owner, _priya, _ivan = team
    assert _mentioned(tenant, "@priya please call them") == ["priya@example.com"]
    assert _mentioned(tenant, "cc @[Ivan  Sokolov], @priya.") == [
        "ivan.s@example.com",
        "priya@example.com",
    ]
    assert _mentioned(tenant, "@ivan.s and @Ivan") == ["ivan.s@example.com"]
    assert _mentioned(tenant, "@[priya@example.com]") == ["priya@example.com"]
    assert _mentioned(tenant, "write to priya@example.com") == []  # an address, not a mention
    assert _mentioned(tenant, "@nobody @") == []


def test_only_active_members_of_this_workspace_are_mentioned(team, other_workspace):
    tenant, _owner, priya, _ivan = team
    other_tenant, _ = other_workspace
    add_member(other_tenant, "manager", user=make_user(email="olga@example.com"))
    with tenant_scope(tenant):
        priya.is_active = False
        priya.save()
    assert _mentioned(tenant, "@priya @olga") == []


def test_an_ambiguous_mention_means_nobody(team):
    tenant, *_ = team
    add_member(tenant, "manager", user=make_user(email="priya@other.example"))
    assert _mentioned(tenant, "@priya") == []


def test_a_comment_notifies_the_people_it_mentions(team):
    tenant, owner, priya, ivan = team
    ann = new_contact(priya, first_name="Ann", last_name="Lee")  # Priya's: Ivan cannot see her
    with tenant_scope(tenant):
        comment = services.comment_add(
            actor=owner, subject=ann, body="@priya can you call? @[Ivan Sokolov] FYI"
        )
        assert comment.mentions == [priya.user_id, ivan.user_id]
        event = Event.objects.get(type="comment.added")
        assert event.related == [["contact", ann.pk]]
        dispatch_pending()
        notes = Notification.objects.order_by("recipient_id")
        assert [n.recipient_id for n in notes] == [priya.user_id, ivan.user_id]
        assert all(n.kind == "mention" for n in notes)
        assert "mentioned you on Ann Lee: @priya can you call?" in notes[0].title
        assert notes[0].url == reverse("contact_card", args=[ann.pk]) + "#comments"
        # Ivan is told who mentioned him, not where or what.
        assert "Ann" not in notes[1].title and "call" not in notes[1].title
        assert "a record you cannot open" in notes[1].title and notes[1].url == ""


def test_mentioning_yourself_notifies_nobody(team):
    tenant, _owner, priya, _ = team
    ann = new_contact(priya, first_name="Ann")
    with tenant_scope(tenant):
        services.comment_add(actor=priya, subject=ann, body="note to self @priya")
        dispatch_pending()
        assert not Notification.objects.exists()


def test_an_empty_comment_is_refused(workspace):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann")
    with tenant_scope(tenant), pytest.raises(ValidationError):
        services.comment_add(actor=owner, subject=ann, body="   ")


def test_the_comments_panel_adds_and_shows_comments(team, client):
    _tenant, owner, _priya, _ = team
    acme = new_company(owner, name="Acme Ltd")
    login(client, owner)
    url = reverse("subject_comments", args=["company", acme.pk])
    response = client.post(url, {"body": "@priya <b>bold</b> move"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'data-testid="comments-panel"' in html
    assert '<mark class="mention">@priya</mark>' in html and "&lt;b&gt;bold" in html
    assert client.post(url, {"body": ""}, HTTP_HX_REQUEST="true").status_code == 200
    plain = client.post(url, {"body": "without htmx"})
    assert plain.status_code == 302 and plain.url.endswith("#comments")
    card = client.get(reverse("company_card", args=[acme.pk])).content.decode()
    assert "without htmx" in card


def test_comments_on_a_record_the_member_cannot_see_are_404(team, client):
    tenant, _owner, priya, ivan = team
    ivans = new_contact(ivan, first_name="Ivan's client")
    with tenant_scope(tenant):
        services.comment_add(actor=ivan, subject=ivans, body="private")
    login(client, priya)
    url = reverse("subject_comments", args=["contact", ivans.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "peek"}).status_code == 404
    assert client.get(reverse("subject_comments", args=["widget", 1])).status_code == 404


def test_the_comments_api(team, other_workspace):
    _tenant, owner, priya, _ivan = team
    ann = new_contact(owner, first_name="Ann")
    api = api_client(owner)
    created = api.post(
        "/api/v1/comments/",
        {"object_type": "contact", "object_id": ann.pk, "body": "@priya over to you"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["mentions"] == [priya.user_id]
    listed = api.get("/api/v1/comments/", {"object_type": "contact", "object_id": ann.pk})
    assert [c["body"] for c in listed.json()["results"]] == ["@priya over to you"]
    assert api.get(f"/api/v1/comments/{created.json()['id']}/").status_code == 200
    # Priya (own visibility) cannot see Ann, so neither the list by record nor the comment...
    priya_api = api_client(priya)
    assert (
        priya_api.get(
            "/api/v1/comments/", {"object_type": "contact", "object_id": ann.pk}
        ).status_code
        == 404
    )
    assert priya_api.get(f"/api/v1/comments/{created.json()['id']}/").status_code == 404
    # ...nor among the comments she is mentioned in: a mention does not open the record.
    assert priya_api.get("/api/v1/comments/").json()["results"] == []
    refused = priya_api.post(
        "/api/v1/comments/",
        {"object_type": "contact", "object_id": ann.pk, "body": "sneaky"},
        format="json",
    )
    assert refused.status_code == 404
    _, stranger = other_workspace
    theirs = new_contact(stranger, first_name="Globex client")
    elsewhere = api.post(
        "/api/v1/comments/",
        {"object_type": "contact", "object_id": theirs.pk, "body": "x"},
        format="json",
    )
    assert elsewhere.status_code == 404
    with tenant_scope(stranger.tenant_id):
        assert not Comment.objects.exists()
