"""Notifications: what makes them (assignments, deals, reminders), email preferences, the
notification centre and its API."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from crm.activity import services
from crm.activity.dispatch import dispatch_pending
from crm.activity.events import emit
from crm.activity.models import Notification, NotificationPreference, Task
from crm.activity.records import Ref
from crm.activity.tasks import send_due_reminders
from crm.tenancy.context import tenant_scope
from tests.activity.helpers import new_task
from tests.conftest import add_member, api_client, login, make_workspace
from tests.deals.test_board import funnel, new_deal

pytestmark = pytest.mark.django_db


def _notes(tenant, **filters):
    with tenant_scope(tenant):
        return list(Notification.objects.filter(**filters).order_by("id"))


def _prefer(membership, kind, email):
    with tenant_scope(membership.tenant_id):
        services.preferences_save(actor=membership, email={kind: email})


# --- what makes notifications -----------------------------------------------------------


def test_assigning_a_task_to_someone_else_notifies_them(workspace):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    task = new_task(owner, title="Prepare the offer", assignee=priya.user)
    new_task(owner, title="My own")
    with tenant_scope(tenant):
        dispatch_pending()
    (note,) = _notes(tenant)
    assert note.recipient_id == priya.user_id and note.kind == "assignment"
    assert "assigned you a task: Prepare the offer" in note.title
    assert note.url == reverse("task_edit", args=[task.pk])


def test_reassigning_notifies_the_new_assignee_only(workspace):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    ivan = add_member(tenant, "manager")
    task = new_task(priya, title="Follow up")
    with tenant_scope(tenant):
        services.task_update(actor=owner, task=task, data={"title": "Follow up today"})
        services.task_update(actor=owner, task=task, data={"assignee": ivan.user})
        dispatch_pending()
    assert [n.recipient_id for n in _notes(tenant)] == [ivan.user_id]


def test_a_deal_assigned_to_someone_notifies_them_unless_they_took_it(workspace):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    _, stages = funnel(tenant)
    deal = new_deal(owner, stages[0], "Forklifts", owner=priya.user)
    with tenant_scope(tenant), transaction.atomic():
        emit("deal.assigned", actor=owner.user, subject=deal, data={"owner_id": priya.user_id})
        emit("deal.assigned", actor=priya.user, subject=deal, data={"owner_id": priya.user_id})
    with tenant_scope(tenant):
        dispatch_pending()
    (note,) = _notes(tenant)
    assert note.kind == "deal_assigned" and note.recipient_id == priya.user_id
    assert "assigned you the deal Forklifts" in note.title
    assert note.url == reverse("deal_card", args=[deal.pk])


def test_a_deal_the_new_owner_may_not_open_is_not_named(workspace):
    """A role without deals (here: a custom one) is told that a deal came, not which."""
    tenant, owner = workspace
    clerk = add_member(tenant, "manager")
    with tenant_scope(tenant):
        clerk.role.grants.pop("deal")
        clerk.role.save()
    with tenant_scope(tenant), transaction.atomic():
        emit("deal.assigned", actor=owner.user, subject=Ref("deal", 4242),
             data={"owner_id": clerk.user_id})  # fmt: skip
    with tenant_scope(tenant):
        dispatch_pending()
    (note,) = _notes(tenant)
    assert note.title == f"{owner.user.display_name} assigned you a deal that you cannot open."
    assert note.url == ""


def test_people_who_left_get_no_notifications(workspace):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    new_task(owner, assignee=priya.user)
    with tenant_scope(tenant):
        priya.is_active = False
        priya.save()
        dispatch_pending()
    assert _notes(tenant) == []


# --- reminders --------------------------------------------------------------------------


def _due_reminder(actor, **extra):
    """A task due in 10 minutes with a reminder 15 minutes before: the reminder is due."""
    return new_task(actor, hours=1 / 6, reminder_minutes_before=15, **extra)


def test_due_reminders_are_delivered_once_in_the_app_and_by_email(
    workspace, smtp, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    task = _due_reminder(owner, title="Call Ivan")
    new_task(owner, hours=5, reminder_minutes_before=15, title="Later")  # not yet
    done = _due_reminder(owner, title="Already done")
    with tenant_scope(tenant):
        services.task_complete(actor=owner, task=done)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due_reminders() == 0
    (note,) = _notes(tenant, kind="reminder")
    assert note.recipient_id == owner.user_id and "Reminder: Call Ivan" in note.title
    assert note.emailed_at is not None
    with tenant_scope(tenant):
        assert Task.objects.get(pk=task.pk).reminded_at is not None
    (message,) = smtp.messages
    assert message["To"] == owner.user.email and "Reminder: Call Ivan" in message["Subject"]
    assert "Call Ivan" in smtp.bodies()[0] and "/tasks/" in smtp.bodies()[0]


def test_no_email_when_the_person_turned_it_off(
    workspace, smtp, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    _prefer(owner, "reminder", False)
    _prefer(priya, "assignment", False)
    _due_reminder(owner, title="Quiet reminder")
    with django_capture_on_commit_callbacks(execute=True):
        new_task(owner, title="Quiet assignment", assignee=priya.user)
        send_due_reminders()
    assert {n.kind for n in _notes(tenant)} == {"reminder", "assignment"}  # in the app: always
    assert smtp.messages == []
    _prefer(priya, "assignment", True)
    with django_capture_on_commit_callbacks(execute=True):
        new_task(owner, title="Loud assignment", assignee=priya.user)
    (message,) = smtp.messages
    assert message["To"] == priya.user.email and "Loud assignment" in message["Subject"]


def test_an_email_is_sent_once_however_often_the_task_runs(
    workspace, smtp, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    _due_reminder(owner)
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders()
    (note,) = _notes(tenant)
    with tenant_scope(tenant):
        assert services.notification_email_send(notification_id=note.pk) is False
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_reminder_being_delivered_elsewhere_is_skipped_not_waited_for():
    """select_for_update(skip_locked): a second sweep passes over a task another holds."""
    tenant, owner = make_workspace("Locked")
    task = _due_reminder(owner)
    locked, release = threading.Event(), threading.Event()

    def hold():
        with tenant_scope(tenant), transaction.atomic():
            Task.objects.select_for_update().get(pk=task.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        with tenant_scope(tenant):
            assert services.reminders_deliver_due() == 0
    finally:
        release.set()
        holder.join()
    with tenant_scope(tenant):
        assert services.reminders_deliver_due() == 1
        assert services.reminders_deliver_due() == 0


# --- the notification centre ------------------------------------------------------------


def _notify(membership, title="Something happened", url="/tasks/"):
    with tenant_scope(membership.tenant_id), transaction.atomic():
        return services.notify(recipient=membership.user, kind="mention", title=title, url=url)


def test_the_bell_shows_the_unread_count_on_every_page(workspace, client):
    _tenant, owner = workspace
    login(client, owner)
    page = client.get(reverse("tasks")).content.decode()
    assert 'data-testid="notifications"' in page and "bell-count zero" in page
    _notify(owner)
    _notify(owner, "Another")
    bell = client.get(reverse("notifications_bell")).content.decode()
    assert ">2</span>" in bell.replace("\n", "")
    menu = client.get(reverse("notifications_menu")).content.decode()
    assert "Another" in menu and "Something happened" in menu


def test_opening_and_marking_read(workspace, client, django_assert_max_num_queries):
    tenant, owner = workspace
    first = _notify(owner, "First", url="/contacts/")
    second = _notify(owner, "Second")
    for i in range(60):
        _notify(owner, f"Bulk {i}")
    login(client, owner)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("notifications"))
    assert page.status_code == 200 and page.context["has_next"]
    opened = client.get(reverse("notification_open", args=[first.pk]))
    assert opened.status_code == 302 and opened.url == "/contacts/"
    row = client.post(reverse("notification_read", args=[second.pk]), HTTP_HX_REQUEST="true")
    assert row["HX-Trigger"] == "notifications-changed" and b"Mark read" not in row.content
    assert len(_notes(tenant, read_at=None)) == 60
    done = client.post(reverse("notifications_read_all"), {"from": "menu"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and b"Mark all read" in done.content
    assert _notes(tenant, read_at=None) == []
    unread = client.get(reverse("notifications"), {"unread": "1"})
    assert unread.context["rows"] == []


def test_an_off_site_url_is_not_followed(workspace, client):
    _, owner = workspace
    evil = _notify(owner, url="https://evil.example/")
    login(client, owner)
    response = client.get(reverse("notification_open", args=[evil.pk]))
    assert response.url == reverse("notifications")


def test_nobody_reads_another_persons_notifications(workspace, other_workspace, client):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    _, stranger = other_workspace
    mine = _notify(owner, "For the owner")
    theirs = _notify(stranger, "For Globex")
    login(client, priya)
    for note in (mine, theirs):
        assert client.get(reverse("notification_open", args=[note.pk])).status_code == 404
        assert client.post(reverse("notification_read", args=[note.pk])).status_code == 404
    client.post(reverse("notifications_read_all"))
    assert len(_notes(tenant, read_at=None)) == 1
    assert b"For the owner" not in client.get(reverse("notifications")).content


def test_preferences_page_saves_email_choices(workspace, client):
    tenant, owner = workspace
    login(client, owner)
    page = client.get(reverse("notification_settings"))
    assert page.status_code == 200 and b"Task reminders" in page.content
    response = client.post(
        reverse("notification_settings"),
        {"email_mention": "on", "email_assignment": "on", "email_deal_assigned": "on"},
    )
    assert response.status_code == 302
    with tenant_scope(tenant):
        prefs = dict(NotificationPreference.objects.values_list("kind", "email"))
    assert prefs == {
        "mention": True,
        "assignment": True,
        "reminder": False,
        "deal_assigned": True,
        "automation": False,  # automation rules' messages: a kind of its own
        "webhook_disabled": False,
    }
    settings_nav = client.get(reverse("profile")).content.decode()
    assert reverse("notification_settings") in settings_nav


def test_preferences_are_per_workspace(workspace):
    tenant, owner = workspace
    second, _ = make_workspace("Second", owner=owner.user)
    _prefer(owner, "mention", False)
    with tenant_scope(tenant):
        from crm.activity import selectors

        assert selectors.email_wanted(owner.user_id, "mention") is False
    with tenant_scope(second):
        assert selectors.email_wanted(owner.user_id, "mention") is True


def test_the_notifications_api(workspace, other_workspace, django_assert_max_num_queries):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    _, stranger = other_workspace
    mine = [_notify(owner, f"N{i}") for i in range(5)]
    hers = _notify(priya, "For Priya")
    theirs = _notify(stranger, "For Globex")
    api = api_client(owner)
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/notifications/").json()["results"]
    assert [n["id"] for n in listed] == [n.pk for n in reversed(mine)]
    assert api.get(f"/api/v1/notifications/{hers.pk}/").status_code == 404
    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    read = api.post(f"/api/v1/notifications/{mine[0].pk}/read/").json()
    assert read["read"] is True
    assert len(api.get("/api/v1/notifications/", {"unread": "true"}).json()["results"]) == 4
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 4}
    assert api.get("/api/v1/notifications/", {"unread": "true"}).json()["results"] == []
    assert len(_notes(tenant, recipient=priya.user, read_at=None)) == 1


def test_a_reminder_for_a_whole_day_task_reads_its_day(workspace):
    tenant, owner = workspace
    day = timezone.localdate() + dt.timedelta(days=1)
    task = new_task(owner, day=day, reminder_minutes_before=60 * 24)
    with tenant_scope(tenant):
        Task.objects.filter(pk=task.pk).update(remind_at=timezone.now())
        assert services.reminders_deliver_due() == 1
    (note,) = _notes(tenant)
    assert note.title.startswith("Reminder: Call the client")


def test_the_notifications_of_one_transaction_are_mailed_by_one_task(
    workspace, smtp, django_capture_on_commit_callbacks
):
    """A rule notifying many people enqueues one mailing, not one per person; each is still
    mailed once, and one from a savepoint rolled back is neither kept nor mailed."""
    from celery.signals import task_prerun

    tenant, owner = workspace
    priya, ivan = add_member(tenant, "manager"), add_member(tenant, "manager")
    ran = []

    def count(sender=None, **kwargs):
        ran.append(sender.name)

    task_prerun.connect(count)
    try:
        with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
            for member in (owner, priya, ivan):
                services.notify(recipient=member.user, kind="automation", title="Big deal")
            try:
                with transaction.atomic():
                    services.notify(recipient=ivan.user, kind="automation", title="Undone")
                    raise RuntimeError
            except RuntimeError:
                pass
    finally:
        task_prerun.disconnect(count)
    assert ran.count("activity.send_notification_emails") == 1
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        m.user.email for m in (owner, priya, ivan)
    )
    assert [n.title for n in _notes(tenant)] == ["Big deal"] * 3
