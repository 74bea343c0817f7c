from celery import shared_task

from crm.tenancy.tasks import for_each_tenant, tenant_task

from . import dispatch, services


@tenant_task(name="activity.dispatch_event", bind=True, acks_late=True, max_retries=5)
def dispatch_event(self, tenant_id: int, event_id: int) -> bool:
    if dispatch.dispatch(event_id):
        return True
    # A consumer failed: try again with back-off; after that the sweep keeps trying.
    raise self.retry(countdown=min(10 * 2**self.request.retries, 600))


@tenant_task(name="activity.dispatch_events", acks_late=True)
def dispatch_events(tenant_id: int, event_ids: list[int]) -> int:
    """Several events of one change, in order; one that fails is left to the outbox sweep,
    which retries it (dispatch is idempotent per consumer)."""
    return sum(dispatch.dispatch(event_id) for event_id in event_ids)


# An event younger than this is left to the task its commit sent (it is likely on its way).
SWEEP_AFTER_SECONDS = 30


@shared_task(name="activity.sweep_outbox")
def sweep_outbox() -> int:
    """Dispatch events left pending (a lost task, a failed consumer), tenant by tenant."""
    return for_each_tenant(
        lambda _tenant: dispatch.dispatch_pending(older_than_seconds=SWEEP_AFTER_SECONDS)
    )


@shared_task(name="activity.send_due_reminders")
def send_due_reminders() -> int:
    """Beat, every minute: due task reminders, tenant by tenant (row-level security stays on;
    one indexed query per workspace finds its due reminders)."""
    return for_each_tenant(lambda _tenant: services.reminders_deliver_due())


@shared_task(name="activity.mark_overdue_tasks")
def mark_overdue_tasks() -> int:
    """Beat, every minute: task.overdue once per task past due, workspace by workspace."""
    from . import overdue

    return for_each_tenant(lambda _tenant: overdue.mark_overdue())


@tenant_task(
    name="activity.send_notification_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_notification_email(tenant_id: int, notification_id: int) -> bool:
    """One notification (messages queued before notifications were mailed in batches)."""
    return services.notification_email_send(notification_id=notification_id)


@tenant_task(
    name="activity.send_notification_emails",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_notification_emails(tenant_id: int, notification_ids: list[int]) -> int:
    """The notifications one transaction made, mailed in one task. A retry after a failure
    midway sends only the rest: each is guarded by its `emailed_at`."""
    return sum(services.notification_email_send(notification_id=pk) for pk in notification_ids)
