"""When records are merged, every app moves its rows from the merged ids to the survivor.

An app registers `fn(object_type, from_ids, to_id)` with `@relinker`; the merge service of the
record's app calls `relink_all` inside its transaction.
"""

from collections.abc import Callable

from . import subjects
from .models import Comment, Note, Task, TimelineEntry

RELINKERS: list[Callable[[str, list[int], int], None]] = []


def relinker(fn):
    RELINKERS.append(fn)
    return fn


def relink_all(object_type: str, from_ids: list[int], to_id: int) -> None:
    for fn in RELINKERS:
        fn(object_type, from_ids, to_id)


@relinker
def _notes_and_timeline(object_type, from_ids, to_id):

    Note.objects.filter(object_type=object_type, object_id__in=from_ids).update(object_id=to_id)
    entries = TimelineEntry.objects.filter(object_type=object_type)
    # An event already on the survivor's timeline stays once.
    already = entries.filter(object_id=to_id).values("event_id")
    entries.filter(object_id__in=from_ids, event_id__in=already).delete()
    entries.filter(object_id__in=from_ids).update(object_id=to_id)


@relinker
def _tasks_and_comments(object_type, from_ids, to_id):

    moved = Task.objects.filter(object_type=object_type, object_id__in=from_ids).update(
        object_id=to_id
    )
    Comment.objects.filter(object_type=object_type, object_id__in=from_ids).update(object_id=to_id)
    if moved:
        subjects.changed(object_type, to_id)
