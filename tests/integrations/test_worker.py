"""The whole way with a real Celery worker on the test Redis: the webhook answers at once,
the worker (consuming the "ingest" queue, where the task is routed) ingests the update, and
the message shows in the API."""

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django.test import Client

from crm.tenancy.context import tenant_scope
from integrations.models import Conversation, Message, RawDelivery
from tests.conftest import api_client, make_workspace, wait_for

from .conftest import connect_channel
from .stand_in import update
from .test_telegram import deliver


def test_the_ingest_task_is_routed_to_the_ingest_queue():
    assert settings.CELERY_TASK_ROUTES["integrations.ingest_delivery"] == {"queue": "ingest"}
    assert settings.CELERY_TASK_ROUTES["integrations.ingest_pending"] == {"queue": "ingest"}


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


def test_concurrent_redeliveries_give_exactly_one_message_each(transactional_db, telegram):
    """Ten updates, each delivered three times at once from six threads (each its own
    database connection, ingestion running in the request as the eager worker does): the
    unique constraints leave exactly ten messages and ten deliveries."""
    tenant, owner = make_workspace("Concurrent")
    channel = connect_channel(owner, telegram)

    def post(update_id):
        try:
            payload = update(update_id, chat_id=100 + update_id % 3, message_id=update_id)
            return deliver(Client(), channel, payload).status_code
        finally:
            connection.close()

    jobs = [i for i in range(1, 11) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(post, jobs))
    assert set(statuses) == {200}
    with tenant_scope(tenant):
        assert Message.objects.count() == 10
        assert RawDelivery.objects.count() == 10
        assert Conversation.objects.count() == 3
        assert sum(Conversation.objects.values_list("unread", flat=True)) == 10
