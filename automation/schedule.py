"""A run's next step: its row, due when the action's delay says, or the run's end."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from . import delays
from .models import Run, Step


def next_step(
    run: Run, actions: list, index: int, *, start, zone: str, save_run: bool = True
) -> Step | None:
    """Write step `index` of the run (due per its delay from `start`), or end the run when
    there is none. A delay on an empty date field skips its step and goes on."""
    while index < len(actions):
        action = actions[index]
        due = delays.due_at(action.get("delay"), start=start, zone_name=zone,
                            object_type=run.object_type, object_id=run.object_id)  # fmt: skip
        if due is not None:
            return Step.objects.create(run=run, index=index, action=action["type"], due_at=due)
        Step.objects.create(
            run=run, index=index, action=action["type"], due_at=start, status=Step.SKIPPED,
            error=_("The date field it waits for is empty."), done_at=timezone.now(),
        )  # fmt: skip
        index += 1
    finish(run, Run.DONE, save=save_run)
    return None


RUN_FIELDS = ["status", "error", "finished_at"]


def finish(run: Run, status: str, error: str = "", *, save: bool = True) -> None:
    """End the run (with `save=False` the caller writes it, with others, in one statement)."""
    run.status, run.error, run.finished_at = status, error[:2000], timezone.now()
    if save:
        run.save(update_fields=RUN_FIELDS)
