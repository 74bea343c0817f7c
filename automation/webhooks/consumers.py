"""The event spine's consumer for outgoing webhooks: it only records the deliveries and
enqueues them (delivery.record); posting happens in a task, outside the event's lock."""

from crm.activity.dispatch import consumer

from . import delivery


# The name is stored in EventDelivery: never rename it. Every type: endpoints choose theirs.
@consumer("webhooks")
def record_deliveries(event):
    delivery.record(event)
