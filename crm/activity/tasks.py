from celery import shared_task

from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from crm.tenancy.tasks import tenant_task

from . import dispatch, services


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


@shared_task(name="activity.send_due_reminders")
def send_due_reminders() -> int:
    """Beat, every minute: due task reminders, tenant by tenant (row-level security stays on;
    one indexed query per workspace finds its due reminders)."""
    sent = 0
    for tenant_id in Tenant.objects.values_list("id", flat=True).iterator():
        with tenant_scope(tenant_id):
            sent += services.reminders_deliver_due()
    return sent


@tenant_task(
    name="activity.send_notification_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_notification_email(tenant_id: int, notification_id: int) -> bool:
    return services.notification_email_send(notification_id=notification_id)
