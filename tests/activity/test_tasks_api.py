"""/api/v1/tasks/: CRUD through the services, filters, complete and reopen, the walls."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.activity.models import Event, Task
from crm.tenancy.context import tenant_scope
from tests.activity.helpers import department_headed_by, new_task
from tests.conftest import add_member, api_client
from tests.contacts.conftest import new_contact

pytestmark = pytest.mark.django_db


def test_create_read_update_delete(workspace):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann", last_name="Lee")
    priya = add_member(tenant, "manager")
    api = api_client(owner)
    due = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    created = api.post(
        "/api/v1/tasks/",
        {
            "title": "Call Ann",
            "kind": "call",
            "due_at": due.isoformat(),
            "assignee": priya.user_id,
            "object_type": "contact",
            "object_id": ann.pk,
            "reminder_minutes_before": 30,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["subject_repr"] == "Ann Lee" and body["assignee"] == priya.user_id
    assert body["created_by"] == owner.user_id and body["overdue"] is False
    url = f"/api/v1/tasks/{body['id']}/"
    moved = api.patch(url, {"all_day": True, "due_date": "2031-02-03"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["due_at"] is None and moved.json()["due_date"] == "2031-02-03"
    unlinked = api.patch(url, {"object_type": ""}, format="json").json()
    assert unlinked["object_type"] == "" and unlinked["object_id"] is None
    assert api.get(url).json()["title"] == "Call Ann"
    assert api.delete(url).status_code == 204
    with tenant_scope(tenant):
        assert not Task.objects.exists()
        assert list(
            Event.objects.filter(subject_type="task").order_by("id").values_list("type", flat=True)
        ) == ["task.created", "task.updated", "task.updated", "task.deleted"]


def test_validation_errors_have_the_usual_shape(workspace, other_workspace):
    _, owner = workspace
    _, stranger = other_workspace
    theirs = new_contact(stranger, first_name="Globex client")
    api = api_client(owner)
    no_due = api.post("/api/v1/tasks/", {"title": "When?"}, format="json")
    assert no_due.status_code == 400 and "due_at" in no_due.json()["error"]["fields"]
    elsewhere = api.post(
        "/api/v1/tasks/",
        {
            "title": "x",
            "all_day": True,
            "due_date": "2031-01-01",
            "object_type": "contact",
            "object_id": theirs.pk,
        },
        format="json",
    )
    assert elsewhere.status_code == 400 and "object_id" in elsewhere.json()["error"]["fields"]
    stranger_assignee = api.post(
        "/api/v1/tasks/",
        {"title": "x", "all_day": True, "due_date": "2031-01-01", "assignee": stranger.user_id},
        format="json",
    )
    assert stranger_assignee.status_code == 400
    too_early = api.post(
        "/api/v1/tasks/",
        {"title": "x", "due_at": "2031-01-01T10:00:00Z", "reminder_minutes_before": 10**9},
        format="json",
    )
    assert too_early.status_code == 400
    assert "reminder_minutes_before" in too_early.json()["error"]["fields"]


def test_filters(workspace, django_assert_max_num_queries):
    tenant, owner = workspace
    priya = add_member(tenant, "manager")
    ann = new_contact(owner, first_name="Ann")
    today = timezone.localdate()
    late = new_task(owner, title="Late", hours=-5)
    about_ann = new_task(owner, title="About Ann", day=today + dt.timedelta(days=2), subject=ann)
    hers = new_task(owner, title="Hers", day=today + dt.timedelta(days=10), assignee=priya.user)
    done = new_task(owner, title="Done", hours=1)
    with tenant_scope(tenant):
        from crm.activity import services

        services.task_complete(actor=owner, task=done)
        Task.objects.bulk_create(
            [
                Task(title=f"Bulk {i}", assignee=owner.user, all_day=True, due_date=today)
                for i in range(40)
            ]
        )
    api = api_client(owner)

    def ids(**params):
        rows = api.get("/api/v1/tasks/", {"page_size": 200, **params}).json()["results"]
        return {r["title"] for r in rows if not r["title"].startswith("Bulk")}

    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/tasks/", {"page_size": 200}).status_code == 200
    assert ids(overdue="true") == {late.title}
    assert late.title not in ids(overdue="false")
    assert ids(done="true") == {done.title}
    assert ids(assignee=priya.user_id) == {hers.title}
    assert ids(object_type="contact", object_id=ann.pk) == {about_ann.title}
    window = {"due_after": today + dt.timedelta(days=1), "due_before": today + dt.timedelta(days=3)}
    assert ids(**window) == {about_ann.title}
    assert ids(due_after=today + dt.timedelta(days=5)) == {hers.title}


def test_complete_and_reopen_actions(workspace):
    _tenant, owner = workspace
    task = new_task(owner)
    api = api_client(owner)
    done = api.post(f"/api/v1/tasks/{task.pk}/complete/", {"note": "Went well"}, format="json")
    assert done.status_code == 200 and done.json()["completion_note"] == "Went well"
    assert done.json()["done_at"] is not None
    reopened = api.post(f"/api/v1/tasks/{task.pk}/reopen/")
    assert reopened.status_code == 200 and reopened.json()["done_at"] is None


def test_a_manager_sees_and_changes_only_their_own_tasks(workspace):
    tenant, _owner = workspace
    priya = add_member(tenant, "manager")
    ivan = add_member(tenant, "manager")
    mine = new_task(priya, title="Mine")
    theirs = new_task(ivan, title="Ivan's")
    api = api_client(priya)
    listed = api.get("/api/v1/tasks/").json()["results"]
    assert [r["id"] for r in listed] == [mine.pk]
    for method, path in [
        ("get", f"/api/v1/tasks/{theirs.pk}/"),
        ("patch", f"/api/v1/tasks/{theirs.pk}/"),
        ("post", f"/api/v1/tasks/{theirs.pk}/complete/"),
        ("post", f"/api/v1/tasks/{theirs.pk}/reopen/"),
    ]:
        assert getattr(api, method)(path, {"title": "x"}, format="json").status_code == 404
    # Managers may not delete tasks at all: 403 before anything is looked up.
    assert api.delete(f"/api/v1/tasks/{mine.pk}/").status_code == 403


def test_a_head_sees_the_teams_tasks_in_the_api(workspace):
    tenant, _owner = workspace
    head = add_member(tenant, "head")
    priya = add_member(tenant, "manager")
    sarah = add_member(tenant, "manager")
    department_headed_by(head, priya)
    team = new_task(priya, title="Team")
    new_task(sarah, title="Other department")
    titles = {r["title"] for r in api_client(head).get("/api/v1/tasks/").json()["results"]}
    assert titles == {team.title}


def test_a_role_without_tasks_gets_403(workspace):
    tenant, _ = workspace
    accountant = add_member(tenant, "accountant")
    api = api_client(accountant)
    assert api.get("/api/v1/tasks/").status_code == 403
    assert (
        api.post(
            "/api/v1/tasks/", {"title": "x", "all_day": True, "due_date": "2031-01-01"}
        ).status_code
        == 403
    )
