"""The walls between two members of one workspace, across the activity core: Priya, a sales
manager who sees her own records only, must learn nothing of Ivan's (a colleague with the
same role) through timelines, comments, mentions, notifications, tasks and the calendar."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from contacts import services as contact_services
from crm.activity import selectors, services
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Comment, Event, Notification, Task
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from tests.activity.helpers import department_headed_by, new_task
from tests.conftest import add_member, api_client, login, make_user
from tests.contacts.conftest import new_company, new_contact
from tests.deals.test_board import funnel, new_deal

pytestmark = pytest.mark.django_db
SECRET = "Zanzibar"  # in every title and text of Ivan's that Priya must not read


@pytest.fixture
def walls(workspace):
    """The admin, Priya and Ivan (both "own" managers) in one workspace."""
    tenant, admin = workspace
    priya = add_member(
        tenant, "manager", user=make_user(email="priya@example.com", first_name="Priya")
    )
    ivan = add_member(
        tenant, "manager", user=make_user(email="ivan@example.com", first_name="Ivan")
    )
    return tenant, admin, priya, ivan


def _dispatch(tenant):
    with tenant_scope(tenant):
        dispatch_pending()


def _ivans_deal_on(admin, ivan, *, company=None, contacts=(), title=f"{SECRET} forklifts"):
    """A deal of Ivan's linked to records of Priya's (the admin may link anything)."""
    _, stages = funnel(admin.tenant_id)
    return new_deal(
        admin,
        stages[0],
        title,
        owner=ivan.user,
        amount=Decimal("98765"),
        utm_campaign=f"{SECRET}-campaign",
        company=company,
        contacts=list(contacts),
    )


def _types(entries):
    return [(e.event.type, e.event.subject_repr) for e in entries]


# --- timelines --------------------------------------------------------------------------


def test_a_timeline_leaves_out_events_about_records_the_member_cannot_see(walls):
    tenant, admin, priya, ivan = walls
    acme = new_company(priya, name="Acme Ltd")
    ann = new_contact(priya, first_name="Ann", last_name="Lee", company=acme)
    deal = _ivans_deal_on(admin, ivan, company=acme, contacts=[ann])
    with tenant_scope(tenant, ivan.user):
        deal_services.deal_update(
            actor=ivan, deal=deal, data={"title": f"{SECRET} forklifts x3", "amount": 123456}
        )
    new_task(admin, title=f"{SECRET} call", subject=ann, assignee=ivan.user)
    new_task(admin, title="Priya's call", subject=ann, assignee=priya.user)
    with tenant_scope(tenant, priya.user):
        services.comment_add(actor=priya, subject=ann, body="Met her at the fair")
        services.note_add(actor=priya, subject=ann, body="Prefers email")
    _dispatch(tenant)
    with tenant_scope(tenant):
        everything = _types(selectors.timeline_for(admin, "contact", ann.pk))
        hers = _types(selectors.timeline_for(priya, "contact", ann.pk))
        company = _types(selectors.timeline_for(priya, "company", acme.pk))
    assert ("deal.created", f"{SECRET} forklifts") in everything
    assert ("task.created", f"{SECRET} call") in everything
    assert not [e for e in hers + company if SECRET in e[1]]
    assert [t for t, _ in hers] == [
        "note.added",
        "comment.added",
        "task.created",
        "contact.created",
    ]
    assert ("contact.created", "Ann Lee") in company  # Ann's own events stay on Acme's


def test_a_timeline_keeps_what_was_merged_into_the_record(walls):
    tenant, _admin, priya, _ivan = walls
    ann = new_contact(priya, first_name="Ann", emails="ann@x.example")
    twin = new_contact(priya, first_name="Annie", emails="ann@x.example", _dup=True)
    with tenant_scope(tenant, priya.user):
        contact_services.record_update(actor=priya, record=twin, data={"last_name": "Lee"})
    _dispatch(tenant)  # the twin's timeline exists before the merge moves it
    priya.role.grants["contact"]["actions"].append("delete")  # merging deletes the others
    with tenant_scope(tenant, priya.user):
        contact_services.merge(actor=priya, survivor=ann, others=[twin])
    _dispatch(tenant)
    with tenant_scope(tenant):
        shown = [t for t, _ in _types(selectors.timeline_for(priya, "contact", ann.pk))]
    assert shown.count("contact.created") == 2 and "contact.updated" in shown


def test_a_deleted_colleagues_deal_stays_hidden_but_admins_keep_its_history(walls):
    tenant, admin, priya, ivan = walls
    ann = new_contact(priya, first_name="Ann")
    deal = _ivans_deal_on(admin, ivan, contacts=[ann])
    with tenant_scope(tenant, admin.user):
        deal_services.deal_delete(actor=admin, deal=deal)
    _dispatch(tenant)
    with tenant_scope(tenant):
        hers = _types(selectors.timeline_for(priya, "contact", ann.pk))
        theirs = _types(selectors.timeline_for(admin, "contact", ann.pk))
    assert not [e for e in hers if SECRET in e[1]]
    assert ("deal.deleted", f"{SECRET} forklifts") in theirs


def test_the_timeline_costs_the_same_however_long_it_is(walls, django_assert_num_queries):
    tenant, admin, priya, ivan = walls
    ann = new_contact(priya, first_name="Ann")
    deal = _ivans_deal_on(admin, ivan, contacts=[ann])
    for i in range(15):
        new_task(admin, title=f"Call {i}", subject=ann, assignee=priya.user)
        with tenant_scope(tenant, ivan.user):
            deal_services.deal_update(actor=ivan, deal=deal, data={"amount": 1000 + i})
    _dispatch(tenant)
    with tenant_scope(tenant), django_assert_num_queries(1):
        entries = list(selectors.timeline_for(priya, "contact", ann.pk)[:100])
    assert len(entries) == 16 and all(e.event.actor for e in entries)
    head = add_member(tenant, "head")
    department_headed_by(head, priya)  # sees Priya's records and tasks, not Ivan's
    with tenant_scope(tenant), django_assert_num_queries(1):
        seen = list(selectors.timeline_for(head, "contact", ann.pk)[:100])
    assert [e.pk for e in seen] == [e.pk for e in entries]


# --- comments and mentions --------------------------------------------------------------


def test_the_comment_list_holds_only_comments_on_records_the_reader_can_see(
    walls, django_assert_max_num_queries
):
    tenant, admin, priya, ivan = walls
    ivans = new_contact(ivan, first_name=f"{SECRET} client")
    ann = new_contact(priya, first_name="Ann")
    with tenant_scope(tenant, admin.user):
        hidden = services.comment_add(
            actor=admin, subject=ivans, body=f"@priya {SECRET} wants a discount"
        )
        for i in range(5):
            services.comment_add(actor=admin, subject=ann, body=f"@priya call Ann {i}")
    api = api_client(priya)
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/comments/").json()["results"]
    assert len(listed) == 5 and SECRET not in str(listed)
    assert api.get(f"/api/v1/comments/{hidden.pk}/").status_code == 404
    assert api.get(f"/api/v1/comments/{listed[0]['id']}/").status_code == 200
    mine = api_client(admin).get("/api/v1/comments/").json()["results"]
    assert hidden.pk in [c["id"] for c in mine]


def test_a_comment_on_a_hidden_record_is_not_found_and_changes_nothing(walls, client):
    tenant, _admin, priya, ivan = walls
    ivans = new_contact(ivan, first_name="Ivan's client")
    _, stages = funnel(tenant)
    his_deal = new_deal(ivan, stages[0], "Ivan's deal")
    api = api_client(priya)
    with tenant_scope(tenant):
        events = Event.objects.count()
    for object_type, pk in (("contact", ivans.pk), ("deal", his_deal.pk), ("widget", 1)):
        refused = api.post(
            "/api/v1/comments/",
            {"object_type": object_type, "object_id": pk, "body": "@ivan peek"},
            format="json",
        )
        assert refused.status_code == 404, object_type
    login(client, priya)
    url = reverse("subject_comments", args=["deal", his_deal.pk])
    assert client.post(url, {"body": "peek"}).status_code == 404
    with tenant_scope(tenant):
        assert not Comment.objects.exists() and Event.objects.count() == events


def test_a_mention_on_a_hidden_record_tells_who_but_not_what(
    walls, smtp, django_capture_on_commit_callbacks
):
    tenant, admin, priya, ivan = walls
    ivans = new_contact(ivan, first_name=SECRET, last_name="Holdings")
    ann = new_contact(priya, first_name="Ann", last_name="Lee")
    with tenant_scope(tenant, admin.user):
        services.comment_add(actor=admin, subject=ivans, body=f"@priya {SECRET} pays double")
        services.comment_add(actor=admin, subject=ann, body="@priya Ann pays double")
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        dispatch_pending()
    with tenant_scope(tenant):
        hidden, shown = Notification.objects.filter(recipient=priya.user).order_by("id")
    assert SECRET not in hidden.title and "pays double" not in hidden.title
    assert admin.user.display_name in hidden.title and hidden.url == ""
    assert "Ann Lee" in shown.title and "Ann pays double" in shown.title
    assert shown.url == reverse("contact_card", args=[ann.pk]) + "#comments"
    bodies = smtp.bodies()
    assert len(bodies) == 2 and SECRET not in "".join(m["Subject"] for m in smtp.messages)
    assert SECRET not in bodies[0] and "/contacts/" not in bodies[0]
    assert "Ann pays double" in bodies[1]


def test_notifications_about_records_the_reader_no_longer_sees_are_shown_without_them(
    walls, client, django_assert_max_num_queries
):
    tenant, admin, priya, ivan = walls
    _, stages = funnel(tenant)
    deal = new_deal(admin, stages[0], f"{SECRET} forklifts")
    kept = new_deal(admin, stages[0], "Pallets")
    with tenant_scope(tenant, admin.user):
        for each in (deal, kept):
            deal_services.deal_update(actor=admin, deal=each, data={"owner": priya.user})
        services.comment_add(actor=admin, subject=deal, body=f"@priya {SECRET} again")
    _dispatch(tenant)
    with tenant_scope(tenant, admin.user):
        deal_services.deal_update(actor=admin, deal=deal, data={"owner": ivan.user})
    _dispatch(tenant)
    with tenant_scope(tenant):
        gone = list(
            Notification.objects.filter(recipient=priya.user, kind="deal_assigned").filter(
                event__subject_id=deal.pk
            )
        ) + list(Notification.objects.filter(recipient=priya.user, kind="mention"))
    assert len(gone) == 2 and all(SECRET in n.title for n in gone)  # written while she could
    login(client, priya)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("notifications")).content.decode()
    menu = client.get(reverse("notifications_menu")).content.decode()
    assert SECRET not in page and SECRET not in menu
    assert "Pallets" in page  # the deal she still owns
    for note in gone:
        opened = client.get(reverse("notification_open", args=[note.pk]))
        assert opened.url == reverse("notifications")
    api = api_client(priya)
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/notifications/").json()["results"]
    assert len(listed) == 3 and SECRET not in str(listed)
    hidden = [n for n in listed if n["id"] in {g.pk for g in gone}]
    assert [n["url"] for n in hidden] == ["", ""]
    assert SECRET not in str(api.get(f"/api/v1/notifications/{gone[0].pk}/").json())
    assert kept.pk


# --- tasks about a colleague's record ---------------------------------------------------


@pytest.fixture
def task_on_ivans_deal(walls):
    """A task of Priya's, about a deal of Ivan's (the admin made it)."""
    tenant, admin, priya, ivan = walls
    _, stages = funnel(tenant)
    deal = new_deal(ivan, stages[0], f"{SECRET} forklifts")
    task = new_task(
        admin, title="Bring the brochure", subject=deal, assignee=priya.user,
        hours=1, reminder_minutes_before=15,
    )  # fmt: skip
    return deal, task


def test_my_day_and_the_task_page_show_the_task_but_not_the_hidden_record(
    walls, task_on_ivans_deal, client
):
    _tenant, _admin, priya, _ivan = walls
    deal, task = task_on_ivans_deal
    login(client, priya)
    day = client.get(reverse("tasks")).content.decode()
    assert "Bring the brochure" in day and SECRET not in day
    assert reverse("deal_card", args=[deal.pk]) not in day
    page = client.get(reverse("task_edit", args=[task.pk])).content.decode()
    assert "Bring the brochure" in page and SECRET not in page
    assert reverse("deal_card", args=[deal.pk]) not in page
    week = client.get(reverse("calendar")).content.decode()
    assert "Bring the brochure" in week and SECRET not in week


def test_the_tasks_api_does_not_name_a_hidden_record(
    walls, task_on_ivans_deal, django_assert_max_num_queries
):
    _tenant, admin, priya, ivan = walls
    deal, task = task_on_ivans_deal
    new_task(ivan, title="Ivan's own call", subject=deal)
    api = api_client(priya)
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/tasks/").json()["results"]
    assert [t["title"] for t in listed] == ["Bring the brochure"]
    assert listed[0]["subject_repr"] == "" and SECRET not in str(listed)
    assert api.get(f"/api/v1/tasks/{task.pk}/").json()["subject_repr"] == ""
    assert api.get("/api/v1/tasks/", {"search": SECRET}).json()["results"] == []
    assert api.get("/api/v1/tasks/", {"search": "brochure"}).json()["results"]
    by_deal = api.get("/api/v1/tasks/", {"object_type": "deal", "object_id": deal.pk}).json()
    assert [t["title"] for t in by_deal["results"]] == ["Bring the brochure"]
    assert api.get("/api/v1/tasks/", {"assignee": ivan.user_id}).json()["results"] == []
    theirs = api_client(admin).get(f"/api/v1/tasks/{task.pk}/").json()
    assert theirs["subject_repr"] == f"{SECRET} forklifts"


def test_the_feed_and_the_reminder_do_not_name_a_hidden_record(walls, task_on_ivans_deal, client):
    tenant, _admin, priya, _ivan = walls
    deal, task = task_on_ivans_deal
    with tenant_scope(tenant, priya.user):
        _, raw = services.calendar_feed_regenerate(actor=priya)
    feed = client.get(reverse("calendar_feed", args=[raw]))
    (event,) = Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(event["summary"]) == "Bring the brochure"
    assert SECRET not in feed.content.decode()
    assert str(event["url"]).endswith(reverse("task_edit", args=[task.pk]))
    with tenant_scope(tenant):
        Task.objects.filter(pk=task.pk).update(remind_at=timezone.now())
        assert services.reminders_deliver_due() == 1
        (reminder,) = Notification.objects.filter(kind="reminder")
    assert reminder.url == reverse("task_edit", args=[task.pk])
    assert deal.pk


def test_a_task_moved_off_a_hidden_record_does_not_name_it_on_the_new_ones_card(
    walls, task_on_ivans_deal, client
):
    tenant, admin, priya, _ivan = walls
    _deal, task = task_on_ivans_deal
    ann = new_contact(priya, first_name="Ann")
    with tenant_scope(tenant, admin.user):
        services.task_update(actor=admin, task=task, data={"title": "Brochure"}, subject=ann)
    _dispatch(tenant)
    login(client, priya)
    card = client.get(reverse("contact_card", args=[ann.pk])).content.decode()
    assert "Task changed: Brochure" in card and SECRET not in card


def test_a_manager_cannot_open_a_colleagues_calendar_or_tasks(walls, client):
    _tenant, _admin, priya, ivan = walls
    theirs = new_task(ivan, title=f"{SECRET} meeting", hours=1)
    login(client, priya)
    assert client.get(reverse("calendar"), {"who": ivan.user_id}).status_code == 404
    for view in ("week", "month"):
        page = client.get(reverse("calendar"), {"who": "team", "view": view}).content.decode()
        assert SECRET not in page
    assert SECRET not in client.get(reverse("tasks")).content.decode()
    assert client.get(reverse("task_edit", args=[theirs.pk])).status_code == 404
    panel = reverse("subject_tasks", args=["contact", new_contact(ivan, first_name="X").pk])
    assert client.get(panel).status_code == 404
