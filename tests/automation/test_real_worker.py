"""Rules the way production runs them: a real Celery worker on the test Redis dispatches the
events and runs the steps, and real beat schedules the sweep of delayed steps."""

import contextlib
import threading
from datetime import timedelta

import pytest
from celery.beat import PersistentScheduler, Service
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from automation.models import Run, Step
from crm.activity.models import Task
from crm.celery import app
from crm.tenancy.context import tenant_scope
from tests.conftest import api_client, make_workspace, wait_for
from tests.pipelines.helpers import funnel, new_deal

from .helpers import call_task_on


@contextlib.contextmanager
def worker():
    app.conf.task_always_eager = False
    queues = ["default", *settings.CELERY_QUEUES_BY_KIND]
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                          queues=queues):  # fmt: skip
            yield
    finally:
        app.conf.task_always_eager = True


@contextlib.contextmanager
def beat(schedule_file):
    """Real beat in a thread, sweeping the steps every half second."""
    saved = app.conf.beat_schedule
    app.conf.beat_schedule = {
        "automation-steps": {"task": "automation.sweep_steps", "schedule": 0.5},
    }
    service = Service(app, max_interval=0.5, scheduler_cls=PersistentScheduler,
                      schedule_filename=str(schedule_file),
                      remote_control=False)  # fmt: skip
    thread = threading.Thread(target=service.start, name="beat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        service.stop()
        thread.join(timeout=10)
        app.conf.beat_schedule = saved


def test_a_deal_moved_over_the_api_gets_its_task_within_seconds(celery_worker_real):
    tenant, owner = make_workspace("Real")
    _, stages = funnel(tenant)
    client = api_client(owner)
    rule = client.post("/api/v1/automation/rules/",
                       {"name": "Call on Qualified", **call_task_on(stages["Qualified"])},
                       format="json").json()  # fmt: skip
    deal = new_deal(owner, title="Fleet renewal")

    moved = client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Qualified"].pk})
    assert moved.status_code == 200
    tasks = wait_for(lambda: client.get("/api/v1/tasks/").json()["results"], timeout=10)
    assert [(t["title"], t["kind"]) for t in tasks] == [("Call the client", "call")]

    # Again later: the rule runs again, once.
    client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Proposal"].pk})
    client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Qualified"].pk})
    wait_for(lambda: len(client.get("/api/v1/tasks/").json()["results"]) == 2, timeout=10)

    def statuses():
        runs = client.get("/api/v1/automation/runs/", {"rule": rule["id"]}).json()["results"]
        return [r["status"] for r in runs]

    wait_for(lambda: statuses() == ["done", "done"])
    assert len(client.get("/api/v1/tasks/").json()["results"]) == 2


@pytest.mark.django_db(transaction=True)
def test_a_delayed_step_survives_a_restart_of_the_worker_and_beat(tmp_path):
    # given: a rule that calls an hour after a deal enters Qualified, worker and beat up
    tenant, owner = make_workspace("Restarted")
    _, stages = funnel(tenant)
    client = api_client(owner)
    client.post("/api/v1/automation/rules/",
                {"name": "Call later", **call_task_on(stages["Qualified"],
                                                      delay={"hours": 1})},
                format="json")  # fmt: skip
    deal = new_deal(owner)
    with worker(), beat(tmp_path / "first-schedule"):
        client.patch(f"/api/v1/deals/{deal.pk}/", {"stage": stages["Qualified"].pk})

        def waiting():
            with tenant_scope(tenant):
                return Step.objects.filter(status="pending").first()

        step = wait_for(waiting)
        assert step.due_at > timezone.now() + timedelta(minutes=55)

    # when: everything is down while the hour passes, then comes back
    with tenant_scope(tenant):
        Step.objects.filter(pk=step.pk).update(due_at=timezone.now() - timedelta(seconds=1))
        assert Task.objects.count() == 0
    with worker(), beat(tmp_path / "second-schedule"):

        def done():
            with tenant_scope(tenant):
                return Step.objects.filter(pk=step.pk, status="done").exists()

        wait_for(done, timeout=20)

    # then: the task exists once, and the run is done
    with tenant_scope(tenant):
        assert Task.objects.filter(object_id=deal.pk).count() == 1
        assert Run.objects.get().status == "done"
