"""Reminders the way production delivers them: Celery beat schedules the sweep, a real
worker on the test Redis runs it and then the email task, and the mail reaches a real SMTP
server."""

import threading
import time

import pytest
from celery.beat import PersistentScheduler, Service

from crm.activity.models import Notification, Task
from crm.celery import app
from crm.tenancy.context import tenant_scope
from tests.activity.helpers import new_task
from tests.conftest import make_workspace, wait_for


@pytest.fixture
def beat(tmp_path):
    """The real beat scheduler, in a thread, with the reminder sweep every half second."""
    saved = app.conf.beat_schedule
    app.conf.beat_schedule = {
        "task-reminders": {"task": "activity.send_due_reminders", "schedule": 0.5},
    }
    service = Service(
        app,
        max_interval=0.5,
        schedule_filename=str(tmp_path / "celerybeat-schedule"),
        scheduler_cls=PersistentScheduler,
        remote_control=False,
    )
    thread = threading.Thread(target=service.start, name="beat", daemon=True)
    thread.start()
    try:
        yield service
    finally:
        service.stop()
        thread.join(timeout=10)
        app.conf.beat_schedule = saved


def test_beat_and_a_worker_deliver_a_reminder_once_in_the_app_and_by_email(
    celery_worker_real, smtp, beat
):
    # given: a task due in ten minutes, with a reminder fifteen minutes before
    tenant, owner = make_workspace("Reminded")
    task = new_task(
        owner, title="Call Ivan about the offer", hours=1 / 6, reminder_minutes_before=15
    )

    # when: beat ticks and the worker runs the sweep, then the email task
    wait_for(lambda: smtp.messages, timeout=20)

    # then: one notification, one email, and later ticks add nothing
    with tenant_scope(tenant):
        notes = list(Notification.objects.filter(kind="reminder"))
        assert [n.recipient_id for n in notes] == [owner.user_id]
        assert "Call Ivan about the offer" in notes[0].title
        wait_for(lambda: Notification.objects.get().emailed_at is not None)
        assert Task.objects.get(pk=task.pk).reminded_at is not None
    (message,) = smtp.messages
    assert message["To"] == owner.user.email
    assert "Reminder: Call Ivan about the offer" in message["Subject"]
    time.sleep(1.5)  # three more beat ticks
    with tenant_scope(tenant):
        assert Notification.objects.count() == 1
    assert len(smtp.messages) == 1
