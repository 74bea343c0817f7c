from celery import shared_task

from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from crm.tenancy.tasks import tenant_task

from . import dispatch


@tenant_task(name="activity.dispatch_event", bind=True, acks_late=True, max_retries=5)
def dispatch_event(self, tenant_id: int, event_id: int) -> bool:
    if dispatch.dispatch(event_id):
        return True
    # A consumer failed: try again with back-off; after that the sweep keeps trying.
    raise self.retry(countdown=min(10 * 2**self.request.retries, 600))


@shared_task(name="activity.sweep_outbox")
def sweep_outbox() -> int:
    """Dispatch events left pending (a lost task, a failed consumer), tenant by tenant."""
    done = 0
    for tenant_id in Tenant.objects.values_list("id", flat=True).iterator():
        with tenant_scope(tenant_id):
            done += dispatch.dispatch_pending(older_than_seconds=30)
    return done
