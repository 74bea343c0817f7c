"""The activity core's events: tasks, comments, notes and calendar feeds."""

from django.utils.translation import gettext_lazy as _

from .catalogue import MANAGERS, declare


def declare_all() -> None:
    task = ("assignee_id", "due", "kind", "changes", "note")
    declare("task.created", _("Task created"), subject="task", payload=task)
    declare("task.updated", _("Task changed"), subject="task", payload=task)
    declare("task.completed", _("Task completed"), subject="task", payload=task)
    declare("task.reopened", _("Task reopened"), subject="task", payload=task)
    declare("task.deleted", _("Task deleted"), subject="task", payload=task)
    # Beat (overdue.py): past its due time and not done, once (again after a new due time).
    declare("task.overdue", _("Task overdue"), subject="task", payload=task)
    declare(
        "comment.added",
        _("Comment added"),
        subject="comment",
        payload=("body", "mentions", "object_type", "object_id", "subject_repr"),
    )
    declare("note.added", _("Note added"), subject="note", payload=("body",))
    declare(
        "calendar_feed.regenerated",
        _("Calendar feed link renewed"),
        subject="calendarfeed",
        audience=MANAGERS,
    )
    declare(
        "calendar_feed.revoked",
        _("Calendar feed link turned off"),
        subject="calendarfeed",
        audience=MANAGERS,
    )
