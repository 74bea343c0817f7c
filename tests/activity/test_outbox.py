import contextlib
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections, transaction

from crm.accounts import services
from crm.activity import dispatch
from crm.activity.events import emit
from crm.activity.models import AuditEntry, Event, EventDelivery, TimelineEntry
from crm.activity.selectors import timeline_for
from crm.tenancy.context import tenant_scope
from tests.conftest import make_workspace, wait_for
from tests.testapp.models import Widget


@contextlib.contextmanager
def queued_not_run():
    """Tasks go to Redis instead of running inline, and are purged after."""
    from crm.celery import app

    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True
        app.control.purge()


def test_emit_outside_a_transaction_is_refused(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant), pytest.raises(RuntimeError, match="inside the transaction"):
        transaction.get_connection().in_atomic_block = False
        try:
            emit("x.y", actor=owner.user, subject=owner)
        finally:
            transaction.get_connection().in_atomic_block = True


def test_dispatch_delivers_each_event_once_to_each_consumer(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        dept = services.department_save(actor=owner, name="East")
        assert dispatch.dispatch_pending() >= 2
        assert dispatch.dispatch_pending() == 0
        events = Event.objects.count()
        assert AuditEntry.objects.count() == events
        # Each event reached each consumer subscribed to its type, once.
        expected = sum(
            len(dispatch.consumers_of(t)) for t in Event.objects.values_list("type", flat=True)
        )
        assert EventDelivery.objects.count() == expected
        entries = timeline_for(owner, "department", dept.pk)
        assert [e.event.type for e in entries] == ["department.created"]


def test_a_failing_consumer_is_retried_alone(workspace, monkeypatch):
    tenant, owner = workspace
    calls = []

    def flaky(event):
        calls.append(event.pk)
        if len(calls) == 1:
            raise ValueError("downstream is down")

    with tenant_scope(tenant):
        dispatch.dispatch_pending()
        monkeypatch.setitem(dispatch.CONSUMERS, "flaky", flaky)
        with transaction.atomic():
            event = emit("test.happened", actor=owner.user, subject=owner)
        assert dispatch.dispatch(event.pk) is False
        event.refresh_from_db()
        assert event.dispatched_at is None
        assert AuditEntry.objects.filter(event=event).count() == 1
        event.refresh_from_db()
        assert event.attempts == 1 and "downstream is down" in event.last_error
        assert dispatch.dispatch(event.pk) is True
        assert AuditEntry.objects.filter(event=event).count() == 1
        assert calls == [event.pk, event.pk]


def test_an_event_failing_again_and_again_stops_being_swept(workspace, monkeypatch):
    tenant, owner = workspace

    def broken(event):
        raise ValueError("always")

    with tenant_scope(tenant):
        dispatch.dispatch_pending()
        monkeypatch.setitem(dispatch.CONSUMERS, "broken", broken)
        with transaction.atomic():
            event = emit("test.happened", actor=owner.user, subject=owner)
        for _ in range(dispatch.MAX_ATTEMPTS):
            assert event.pk in dispatch.pending_event_ids()
            dispatch.dispatch(event.pk)
        assert event.pk not in dispatch.pending_event_ids()
        event.refresh_from_db()
        assert event.attempts == dispatch.MAX_ATTEMPTS and event.dispatched_at is None


@pytest.mark.django_db(transaction=True)
def test_killing_the_dispatcher_midway_loses_nothing_and_repeats_nothing(tmp_path, monkeypatch):
    """A real process dispatches, is SIGKILLed inside a consumer's transaction, and a second
    run finishes the job: every consumer has every event exactly once."""
    tenant, owner = make_workspace("Killable")
    with tenant_scope(tenant), queued_not_run():
        for i in range(6):
            services.department_save(actor=owner, name=f"Dept {i}")
    with tenant_scope(tenant):
        Event.objects.filter(type="workspace.created").delete()
        event_ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    stuck_on = event_ids[3]
    marker = Path(tmp_path) / "inside"

    def slow(event):
        Widget.objects.create(name=f"slow-{event.pk}", owner_id=event.actor_id)
        if event.pk == stuck_on and os.environ.get("CRM_TEST_CHILD"):
            marker.write_text("x")
            time.sleep(60)  # killed here, inside the open transaction

    monkeypatch.setitem(dispatch.CONSUMERS, "slow", slow)
    connections.close_all()
    pid = os.fork()
    if pid == 0:  # the doomed dispatcher
        os.environ["CRM_TEST_CHILD"] = "1"
        try:
            with tenant_scope(tenant):
                dispatch.dispatch_pending()
        finally:
            os._exit(0)
    wait_for(marker.exists, timeout=20)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)

    with tenant_scope(tenant):
        assert Event.objects.filter(dispatched_at__isnull=True).count() == len(event_ids) - 3
        dispatch.dispatch_pending()
        assert not Event.objects.filter(dispatched_at__isnull=True).exists()
        types = dict(Event.objects.values_list("id", "type"))
        for consumer in dispatch.CONSUMERS:
            delivered = EventDelivery.objects.filter(consumer=consumer)
            wanted = [
                e for e in event_ids if consumer in {n for n, *_ in dispatch.consumers_of(types[e])}
            ]
            assert sorted(delivered.values_list("event_id", flat=True)) == wanted, consumer
        audited = AuditEntry.objects.exclude(event=None).values_list("event_id", flat=True)
        assert sorted(audited) == event_ids
        assert sorted(Widget.objects.values_list("name", flat=True)) == sorted(
            f"slow-{i}" for i in event_ids
        )
        assert TimelineEntry.objects.count() == len(event_ids)


def test_a_real_worker_dispatches_committed_events(celery_worker_real):
    tenant, owner = make_workspace("Worked")
    with tenant_scope(tenant):
        services.department_save(actor=owner, name="Queued")
        wait_for(lambda: AuditEntry.objects.filter(action="department.created").exists())
        wait_for(lambda: not Event.objects.filter(dispatched_at__isnull=True).exists())


def test_the_sweep_dispatches_what_the_queue_lost(transactional_db):
    from crm.activity.tasks import sweep_outbox

    with queued_not_run():  # as if the enqueued tasks were lost
        tenant, _ = make_workspace("Swept")
    with tenant_scope(tenant):
        assert AuditEntry.objects.count() == 0
        Event.objects.update(created_at=Event.objects.get().created_at - timedelta(minutes=5))
    assert sweep_outbox() == 1
    with tenant_scope(tenant):
        assert AuditEntry.objects.count() == Event.objects.count() == 1
