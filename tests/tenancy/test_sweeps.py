"""Beat sweeps run inside each workspace in turn (for_each_tenant); tasks go to their queues."""

import pytest
from django.conf import settings

from crm.celery import app
from crm.tenancy.context import current_tenant_id
from crm.tenancy.tasks import for_each_tenant
from tests.conftest import make_workspace

pytestmark = pytest.mark.django_db


def test_for_each_tenant_enters_every_workspace_and_sums():
    a, _ = make_workspace("A")
    b, _ = make_workspace("B")
    seen = []

    def sweep(tenant_id):
        seen.append((tenant_id, current_tenant_id()))
        return 2

    assert for_each_tenant(sweep) >= 4
    assert (a.pk, a.pk) in seen and (b.pk, b.pk) in seen


def test_one_failing_workspace_does_not_starve_the_others():
    a, _ = make_workspace("A")
    b, _ = make_workspace("B")
    seen = []

    def sweep(tenant_id):
        seen.append(tenant_id)
        if tenant_id == a.pk:
            raise RuntimeError("broken workspace")
        return 1

    with pytest.raises(RuntimeError, match="broken workspace"):
        for_each_tenant(sweep)
    assert b.pk in seen


def test_each_kind_of_work_has_its_queue():
    route = app.amqp.router.route
    assert route({}, "activity.dispatch_event")["queue"].name == "events"
    assert route({}, "activity.send_notification_email")["queue"].name == "mail"
    assert route({}, "contacts.import_contacts")["queue"].name == "heavy"
    assert set(settings.CELERY_QUEUES_BY_KIND) == {"ingest", "events", "mail", "heavy"}
