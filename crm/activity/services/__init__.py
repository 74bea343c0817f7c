"""Every write of the activity core. Keyword-only, the acting membership first."""

from .calendar import calendar_feed_regenerate, calendar_feed_revoke
from .comments import comment_add, mentioned_users
from .notes import note_add
from .notifications import (
    notification_email_send,
    notification_read,
    notifications_read_all,
    notify,
    preferences_save,
    reminders_deliver_due,
)
from .tasks import (
    task_complete,
    task_create,
    task_delete,
    task_reopen,
    task_reschedule,
    task_update,
)

__all__ = [
    "calendar_feed_regenerate",
    "calendar_feed_revoke",
    "comment_add",
    "mentioned_users",
    "note_add",
    "notification_email_send",
    "notification_read",
    "notifications_read_all",
    "notify",
    "preferences_save",
    "reminders_deliver_due",
    "task_complete",
    "task_create",
    "task_delete",
    "task_reopen",
    "task_reschedule",
    "task_update",
]
