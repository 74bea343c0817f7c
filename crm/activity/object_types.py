"""The "task" object type for the registry (crm/objects.py): calls, meetings and to-dos,
visible by their assignee."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.objects import Field

from .models import Task
from .selectors import tasks_visible_to

FIELDS = (
    Field("title", _("Title"), sortable=True),
    Field("kind", _("Kind"), objects.CHOICE, choices=tuple(Task.KINDS), filterable=True,
          groupable=True),
    Field("due_at", _("Due"), objects.DATETIME, filterable=True, sortable=True),
    Field("due_date", _("Due date"), objects.DATE, filterable=True, sortable=True),
    Field("assignee", _("Assignee"), objects.USER, filterable=True, groupable=True),
    Field("created_by", _("Created by"), objects.USER, groupable=True),
    Field("done_at", _("Done"), objects.DATETIME, filterable=True, groupable=True),
)  # fmt: skip


def _relations() -> tuple[objects.Relation, ...]:
    """A record's tasks, for every type tasks hang on ("deals with or without tasks")."""
    return tuple(
        objects.Relation("tasks", _("Tasks"), key, "task", "object_id", (("object_type", key),))
        for key in objects.with_activity()
    )


def register() -> None:
    objects.register(
        objects.ObjectType(
            key="task",
            label=_("Task"),
            plural=_("Tasks"),
            model=Task,
            records=tasks_visible_to,
            card="task_edit",
            section="tasks",
            nav_order=50,
            fields=FIELDS,
            relations=_relations,
        )
    )
