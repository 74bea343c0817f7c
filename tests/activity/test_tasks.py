"""Tasks: the services, who sees what, My day, quick add, done toggles, the record panels."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts import services as contact_services
from crm.activity import selectors, services, subjects
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Event, Task
from crm.activity.selectors import timeline_for
from crm.tenancy.context import tenant_scope
from tests.activity.helpers import department_headed_by, new_task
from tests.conftest import add_member, login, make_user
from tests.contacts.conftest import new_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks(monkeypatch):
    """Record every subjects.changed call."""
    calls = []
    monkeypatch.setitem(subjects.HOOKS, "contact", [lambda pk: calls.append(("contact", pk))])
    monkeypatch.setitem(subjects.HOOKS, "company", [lambda pk: calls.append(("company", pk))])
    return calls


# --- services ---------------------------------------------------------------------------


def test_a_task_about_a_contact_reaches_its_timeline(workspace, hooks):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann", last_name="Lee")
    task = new_task(owner, title="Call Ann about the offer", subject=ann, kind="call")
    assert (task.object_type, task.object_id, task.subject_repr) == ("contact", ann.pk, "Ann Lee")
    assert task.assignee == owner.user and task.created_by == owner.user
    assert hooks == [("contact", ann.pk)]
    with tenant_scope(tenant):
        event = Event.objects.get(type="task.created")
        assert event.related == [["contact", ann.pk]]
        assert event.data["assignee_id"] == owner.user.pk
        dispatch_pending()
        assert "task.created" in [e.event.type for e in timeline_for(owner, "contact", ann.pk)]


def test_a_task_is_due_at_a_moment_or_on_a_whole_day(workspace):
    tenant, owner = workspace
    day = timezone.localdate() + dt.timedelta(days=3)
    whole = new_task(owner, day=day)
    assert whole.all_day and whole.due_date == day and whole.due_at is None
    with tenant_scope(tenant), pytest.raises(ValidationError) as err:
        services.task_create(actor=owner, title="When?")
    assert "due_at" in err.value.message_dict
    with tenant_scope(tenant), pytest.raises(ValidationError):
        services.task_create(actor=owner, title="", due_at=timezone.now())


def test_roles_decide_who_creates_and_deletes(workspace):
    tenant, owner = workspace
    accountant = add_member(tenant, "accountant")
    manager = add_member(tenant, "manager")
    with tenant_scope(tenant), pytest.raises(PermissionDenied):
        services.task_create(actor=accountant, title="x", due_at=timezone.now())
    task = new_task(manager)
    with tenant_scope(tenant), pytest.raises(PermissionDenied):
        services.task_delete(actor=manager, task=task)  # managers may not delete tasks
    with tenant_scope(tenant):
        services.task_delete(actor=owner, task=task)
        assert not Task.objects.filter(pk=task.pk).exists()
        assert Event.objects.filter(type="task.deleted", subject_id=task.pk).exists()


def test_the_assignee_is_an_active_member_of_this_workspace(workspace, other_workspace):
    tenant, owner = workspace
    _, stranger = other_workspace
    gone = add_member(tenant, "manager")
    with tenant_scope(tenant):
        gone.is_active = False
        gone.save()
        for user in (stranger.user, gone.user, make_user()):
            with pytest.raises(ValidationError) as err:
                services.task_create(actor=owner, title="x", due_at=timezone.now(), assignee=user)
            assert "assignee" in err.value.message_dict


def test_rescheduling_moves_the_reminder_and_reminds_again(workspace, hooks):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann")
    task = new_task(owner, hours=5, reminder_minutes_before=30, subject=ann)
    assert task.remind_at == task.due_at - dt.timedelta(minutes=30)
    with tenant_scope(tenant):
        Task.objects.filter(pk=task.pk).update(reminded_at=timezone.now())
        task.refresh_from_db()
        later = task.due_at + dt.timedelta(days=1)
        task = services.task_update(actor=owner, task=task, data={"due_at": later})
        assert task.remind_at == later - dt.timedelta(minutes=30)
        assert task.reminded_at is None
        event = Event.objects.filter(type="task.updated").get()
        assert set(event.data["changes"]) == {"due_at"}
        # No reminder at all for a task that is already due.
        task = services.task_update(
            actor=owner, task=task, data={"due_at": timezone.now() - dt.timedelta(hours=1)}
        )
        assert task.remind_at is None
    assert hooks.count(("contact", ann.pk)) == 3


def test_a_whole_day_task_is_reminded_at_nine_in_the_assignees_zone(workspace):
    _tenant, owner = workspace
    owner.user.time_zone = "Asia/Ulaanbaatar"
    owner.user.save()
    day = timezone.localdate() + dt.timedelta(days=2)
    task = new_task(owner, day=day, reminder_minutes_before=60)
    zone = zoneinfo.ZoneInfo("Asia/Ulaanbaatar")
    assert task.remind_at == dt.datetime.combine(day, dt.time(8), tzinfo=zone)


def test_moving_a_task_to_another_record(workspace, hooks):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann")
    bob = new_contact(owner, first_name="Bob")
    task = new_task(owner, subject=ann)
    with tenant_scope(tenant):
        services.task_update(actor=owner, task=task, data={}, subject=bob)
        event = Event.objects.get(type="task.updated")
        assert sorted(event.related) == [["contact", ann.pk], ["contact", bob.pk]]
    assert hooks[-2:] == [("contact", ann.pk), ("contact", bob.pk)]


def test_complete_and_reopen(workspace, hooks):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann")
    task = new_task(owner, subject=ann, reminder_minutes_before=15)
    with tenant_scope(tenant):
        done = services.task_complete(actor=owner, task=task, note="Agreed on a demo")
        assert done.done_at and done.completion_note == "Agreed on a demo"
        again = services.task_complete(actor=owner, task=done, note="twice")
        assert again.completion_note == "Agreed on a demo"  # the second click does nothing
        assert Event.objects.filter(type="task.completed").count() == 1
        reopened = services.task_reopen(actor=owner, task=done)
        assert reopened.done_at is None and reopened.completion_note == ""
        assert Event.objects.filter(type="task.reopened").count() == 1
    assert hooks.count(("contact", ann.pk)) == 3


def test_next_activity_of_a_record(workspace):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann")
    soon = new_task(owner, subject=ann, hours=3)
    new_task(owner, subject=ann, hours=30)
    with tenant_scope(tenant):
        assert selectors.next_activity_at("contact", ann.pk) == soon.due_at
        services.task_complete(actor=owner, task=soon)
        assert selectors.next_activity_at("contact", ann.pk) > soon.due_at
        assert selectors.next_activity_at("contact", ann.pk + 1000) is None


def test_merging_contacts_moves_their_tasks_and_comments(workspace):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann", emails="ann@x.example")
    twin = new_contact(owner, first_name="Ann", emails="ann@x.example", _dup=True)
    task = new_task(owner, subject=twin)
    with tenant_scope(tenant):
        services.comment_add(actor=owner, subject=twin, body="Same person")
        contact_services.merge(actor=owner, survivor=ann, others=[twin])
        task.refresh_from_db()
        assert task.object_id == ann.pk
        assert selectors.comments_on("contact", ann.pk).count() == 1


# --- visibility -------------------------------------------------------------------------


def test_a_manager_sees_only_their_own_tasks(workspace, client):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    ivan = add_member(tenant, "manager")
    mine = new_task(priya, title="Priya's call")
    theirs = new_task(ivan, title="Ivan's call")
    with tenant_scope(tenant):
        assert list(selectors.tasks_visible_to(priya)) == [mine]
        assert set(selectors.tasks_visible_to(owner)) == {mine, theirs}
    login(client, priya)
    page = client.get(reverse("tasks")).content.decode()
    assert "Priya&#x27;s call" in page and "Ivan&#x27;s call" not in page
    for name in ("task_edit", "task_toggle", "task_move", "task_delete"):
        method = client.get if name == "task_edit" else client.post
        assert method(reverse(name, args=[theirs.pk])).status_code == 404, name


def test_a_head_sees_the_teams_tasks(workspace):
    tenant, _owner = workspace
    head = add_member(tenant, "head")
    priya = add_member(tenant, "manager")
    sarah = add_member(tenant, "manager")
    department_headed_by(head, priya)
    team_task = new_task(priya)
    other_task = new_task(sarah)
    with tenant_scope(tenant):
        seen = set(selectors.tasks_visible_to(head))
    assert team_task in seen and other_task not in seen


def test_pages_answer_404_for_another_workspaces_records(workspace, other_workspace, client):
    _, owner = workspace
    _, stranger = other_workspace
    ann = new_contact(stranger, first_name="Ann")
    task = new_task(stranger, subject=ann)
    login(client, owner)
    gets = [
        reverse("task_edit", args=[task.pk]),
        reverse("subject_tasks", args=["contact", ann.pk]),
        reverse("subject_comments", args=["contact", ann.pk]),
        reverse("task_new") + f"?object_type=contact&object_id={ann.pk}",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("task_toggle", args=[task.pk]), {}),
        (reverse("task_move", args=[task.pk]), {"day": "2030-01-01"}),
        (reverse("task_delete", args=[task.pk]), {}),
        (reverse("subject_comments", args=["contact", ann.pk]), {"body": "hi"}),
        (
            reverse("task_new"),
            {"title": "x", "due_date": "2030-01-01", "object_type": "contact", "object_id": ann.pk},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    with tenant_scope(stranger.tenant_id):
        task.refresh_from_db()
        assert task.done_at is None and task.due_date is None
        assert selectors.comments_on("contact", ann.pk).count() == 0


def test_a_role_without_tasks_gets_403(workspace, client):
    tenant, _ = workspace
    accountant = add_member(tenant, "accountant")
    login(client, accountant)
    assert client.get(reverse("tasks")).status_code == 403
    assert client.get(reverse("calendar")).status_code == 403
    assert client.post(reverse("task_new"), {"title": "x"}).status_code == 403


# --- My day -----------------------------------------------------------------------------


def test_my_day_sorts_tasks_into_overdue_today_upcoming_and_done(
    workspace, client, django_assert_max_num_queries
):
    tenant, owner = workspace
    today = timezone.localdate()
    new_task(owner, title="Late call", hours=-30)
    new_task(owner, title="Whole day today", day=today)
    later_today = new_task(owner, title="Soon", hours=0.02)
    new_task(owner, title="Next week", day=today + dt.timedelta(days=6))
    done = new_task(owner, title="Finished", hours=1)
    with tenant_scope(tenant):
        services.task_complete(actor=owner, task=done)
        Task.objects.bulk_create(
            [
                Task(title=f"Bulk {i}", assignee=owner.user, all_day=True, due_date=today)
                for i in range(60)
            ]
        )
    login(client, owner)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("tasks"))
    assert response.status_code == 200
    day = response.context["day"]
    assert [t.title for t in day.overdue] == ["Late call"]
    today_titles = [t.title for t in day.today]
    assert today_titles[0] == "Whole day today" or today_titles[0].startswith("Bulk")
    if later_today.due_at.date() == timezone.localtime(later_today.due_at).date():
        assert "Soon" in today_titles
    assert [t.title for t in day.upcoming] == ["Next week"]
    assert [t.title for t in day.done] == ["Finished"]
    page = response.content.decode()
    assert 'data-testid="tasks-overdue"' in page and 'data-testid="tasks-done"' in page


def test_quick_add_and_the_done_toggle_rerender_my_day(workspace, client):
    tenant, owner = workspace
    login(client, owner)
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "my-day"}
    today = timezone.localdate()
    response = client.post(
        reverse("task_new"),
        {
            "title": "Send the offer",
            "kind": "task",
            "due_date": today.isoformat(),
            "due_time": "23:59",
            "reminder_minutes_before": "15",
        },
        **htmx,
    )
    assert response.status_code == 200
    assert 'id="my-day"' in response.content.decode()
    assert "Send the offer" in response.content.decode()
    with tenant_scope(tenant):
        task = Task.objects.get(title="Send the offer")
    local = timezone.localtime(task.due_at)
    assert (local.date(), local.hour, local.minute) == (today, 23, 59)
    assert task.reminder_minutes_before == 15 and not task.all_day
    toggled = client.post(reverse("task_toggle", args=[task.pk]), **htmx)
    assert 'data-testid="tasks-done"' in toggled.content.decode()
    with tenant_scope(tenant):
        task.refresh_from_db()
        assert task.done_at is not None
    client.post(reverse("task_toggle", args=[task.pk]), **htmx)
    with tenant_scope(tenant):
        task.refresh_from_db()
        assert task.done_at is None
    invalid = client.post(reverse("task_new"), {"title": "", "due_date": ""}, **htmx)
    assert invalid.status_code == 200 and "errors" in invalid.content.decode()


def test_without_javascript_the_forms_redirect(workspace, client):
    tenant, owner = workspace
    login(client, owner)
    response = client.post(
        reverse("task_new"), {"title": "Plain", "kind": "call", "due_date": "2031-05-04"}
    )
    assert response.status_code == 302 and response.url == reverse("tasks")
    with tenant_scope(tenant):
        task = Task.objects.get(title="Plain")
    assert task.all_day and task.due_date == dt.date(2031, 5, 4) and task.kind == "call"
    edit = client.get(reverse("task_edit", args=[task.pk]))
    assert edit.status_code == 200 and b"Plain" in edit.content
    saved = client.post(
        reverse("task_edit", args=[task.pk]),
        {
            "title": "Plain, moved",
            "kind": "meeting",
            "due_date": "2031-05-06",
            "due_time": "10:30",
            "duration_minutes": "45",
            "assignee": owner.user.pk,
            "reminder_minutes_before": "",
        },
    )
    assert saved.status_code == 302
    with tenant_scope(tenant):
        task.refresh_from_db()
    assert task.title == "Plain, moved" and not task.all_day and task.duration_minutes == 45
    deleted = client.post(reverse("task_delete", args=[task.pk]))
    assert deleted.status_code == 302
    with tenant_scope(tenant):
        assert not Task.objects.filter(pk=task.pk).exists()


def test_tasks_panel_on_a_contact_card(workspace, client, django_capture_on_commit_callbacks):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann", last_name="Lee")
    login(client, owner)
    card = client.get(reverse("contact_card", args=[ann.pk])).content.decode()
    assert 'data-testid="tasks-panel"' in card and 'data-testid="comments-panel"' in card
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("task_new"),
            {
                "title": "Demo for Ann",
                "kind": "meeting",
                "due_date": "2031-01-10",
                "object_type": "contact",
                "object_id": ann.pk,
                "panel": f"contact:{ann.pk}",
            },
            HTTP_HX_REQUEST="true",
        )
    panel = response.content.decode()
    assert 'data-testid="tasks-panel"' in panel and "Demo for Ann" in panel
    with tenant_scope(tenant):
        task = Task.objects.get()
    assert (task.object_type, task.object_id) == ("contact", ann.pk)
    card = client.get(reverse("contact_card", args=[ann.pk])).content.decode()
    assert "Demo for Ann" in card and "Task added: Demo for Ann" in card
    invalid = client.post(
        reverse("task_new"),
        {
            "title": "",
            "due_date": "2031-01-10",
            "due_time": "25:99",
            "object_type": "contact",
            "object_id": ann.pk,
            "panel": f"contact:{ann.pk}",
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-testid="tasks-panel"' in invalid and 'class="errors"' in invalid
    assert 'value="2031-01-10"' in invalid  # what was typed stays


def test_moving_on_the_calendar_keeps_the_time_of_day(workspace, client):
    tenant, owner = workspace
    task = new_task(owner, hours=48)
    before = timezone.localtime(task.due_at)
    login(client, owner)
    target = before.date() + dt.timedelta(days=3)
    response = client.post(reverse("task_move", args=[task.pk]), {"day": target.isoformat()})
    assert response.status_code == 200 and response.json()["day"] == target.isoformat()
    with tenant_scope(tenant):
        task.refresh_from_db()
    after = timezone.localtime(task.due_at)
    assert after.date() == target and after.time() == before.time()
    assert client.post(reverse("task_move", args=[task.pk]), {"day": "soon"}).status_code == 400


def test_a_deals_next_activity_follows_its_tasks(workspace, client):
    """The deals app registers a subjects hook; tasks about a deal keep its next activity."""
    from deals import services as deal_services
    from deals.models import Deal

    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        deal = deal_services.deal_create(actor=owner, data={"title": "Big order"})
    first = new_task(owner, title="Call about the big order", subject=deal, hours=5)
    new_task(owner, title="Later", subject=deal, hours=50)
    with tenant_scope(tenant):
        assert Deal.objects.get(pk=deal.pk).next_activity_at == first.due_at
        services.task_complete(actor=owner, task=first)
        assert Deal.objects.get(pk=deal.pk).next_activity_at > first.due_at
    login(client, owner)
    page = client.get(reverse("tasks")).content.decode()
    assert f'href="{reverse("deal_card", args=[deal.pk])}"' in page  # the task links its deal
