from .models import AuditEntry, TimelineEntry


def audit_trail():
    return AuditEntry.objects.select_related("actor").order_by("-id")


def timeline_for(object_type: str, object_id: int):
    return (
        TimelineEntry.objects.filter(object_type=object_type, object_id=object_id)
        .select_related("event", "event__actor")
        .order_by("-created_at", "-id")
    )
