"""Keeping each client's last activity and last purchase current, from the event spine:
notes, tasks, comments and deals on a contact or company (or naming it as related)."""

from django.db.models import Q

from crm.activity.dispatch import consumer

from .models import Company, Contact

PURCHASE = ("deal.won",)


@consumer("client_activity", types=["note.*", "task.*", "comment.*", "deal.*"])
def touch_clients(event) -> None:
    targets = [(event.subject_type, event.subject_id), *((k, int(i)) for k, i in event.related)]
    when = event.created_at
    for model, kind in ((Contact, "contact"), (Company, "company")):
        ids = [pk for t, pk in targets if t == kind]
        if not ids:
            continue
        # Only forward in time, so a late event cannot move a date back.
        model.objects.filter(pk__in=ids).filter(
            Q(last_activity_at__lt=when) | Q(last_activity_at=None)
        ).update(last_activity_at=when)
        if event.type in PURCHASE:
            model.objects.filter(pk__in=ids).filter(
                Q(last_purchase_at__lt=when) | Q(last_purchase_at=None)
            ).update(last_purchase_at=when)
