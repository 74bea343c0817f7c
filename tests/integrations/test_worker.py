"""The whole way with a real Celery worker on the test Redis: the webhook answers at once,
the worker (consuming the "ingest" queue, where the task is routed) ingests the update, and
the message shows in the API."""

from django.conf import settings
from django.test import Client

from crm.tenancy.context import tenant_scope
from integrations.models import Message
from tests.conftest import api_client, make_workspace, wait_for

from .conftest import connect_channel
from .stand_in import update
from .test_telegram import deliver


def test_the_ingest_task_is_routed_to_the_ingest_queue():
    assert settings.CELERY_TASK_ROUTES["integrations.ingest_delivery"] == {"queue": "ingest"}


def test_a_real_worker_ingests_the_update_and_it_shows_in_the_api(celery_worker_real, telegram):
    _tenant, owner = make_workspace("Worked")
    channel = connect_channel(owner, telegram)
    for _ in range(3):  # delivered three times: one message
        assert deliver(Client(), channel, update(31, text="From the worker")).status_code == 200
    api = api_client(owner)

    def listed():
        rows = api.get("/api/v1/conversations/").json()["results"]
        return rows and api.get(f"/api/v1/conversations/{rows[0]['id']}/messages/").json()

    thread = wait_for(lambda: (listed() or {}).get("results"))
    assert [m["text"] for m in thread] == ["From the worker"]
    with tenant_scope(owner.tenant_id):
        wait_for(lambda: Message.objects.count() == 1)
        assert Message.objects.count() == 1
