"""Webhooks with real commits: a real Celery worker posts, the beat sweep's retry reaches
it, and a row another worker holds is skipped, not waited for."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from automation.models import WebhookDelivery
from automation.webhooks import delivery, services
from automation.webhooks.tasks import sweep_webhooks
from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from tests.conftest import make_workspace, wait_for

from .webhook_receiver import Receiver


def _status(tenant):
    with tenant_scope(tenant):
        return list(WebhookDelivery.objects.values_list("status", "attempts", "response_code"))


def test_a_real_worker_posts_and_the_sweep_retries(celery_worker_real, settings):
    settings.WEBHOOK_RETRY_DELAYS = [0]
    tenant, admin = make_workspace()
    with Receiver(500, 200) as receiver:
        with tenant_scope(tenant, admin.user):
            services.endpoint_create(actor=admin, url=receiver.url, events=["deal.*"])
            deal_services.deal_create(actor=admin, data={"title": "Worker deal", "amount": 5})
        # The event's dispatch and the first post run in the worker, after the commit.
        wait_for(lambda: _status(tenant) == [("pending", 1, 500)])
        assert sweep_webhooks() == 1  # what beat runs every few seconds
        wait_for(lambda: _status(tenant) == [("delivered", 2, 200)])
    assert len(receiver.received) == 2


@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_a_row_another_worker_holds(settings):
    settings.WEBHOOK_RETRY_DELAYS = [0]
    tenant, admin = make_workspace()
    with Receiver(500) as receiver, tenant_scope(tenant, admin.user):
        services.endpoint_create(actor=admin, url=receiver.url, events=["deal.*"])
        deal_services.deal_create(actor=admin, data={"title": "Held", "amount": 5})
    assert _status(tenant) == [("pending", 1, 500)]  # failed once, due again at once

    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with tenant_scope(tenant), transaction.atomic():
                WebhookDelivery.objects.select_for_update().get()
                held.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with tenant_scope(tenant):
            assert delivery.sweep() == 0  # skipped at once, not waited for
    finally:
        release.set()
        holder.join(10)
    with tenant_scope(tenant):
        # Swept now; the retry's post cannot reach the receiver, which is gone.
        assert delivery.sweep() == 1
