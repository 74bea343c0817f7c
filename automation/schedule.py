"""A run's next step: its row, due when the action's delay says, or the run's end. Steps are
numbered over the flattened actions, branches' arms included (plan.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from . import delays, plan
from .models import Run, Step


def next_step(
    run: Run, actions: list, index: int | None, *, start, zone: str, save_run: bool = True
) -> Step | None:
    """Write step `index` of the run (due per its delay from `start`), or end the run when
    there is none (None). A delay on an empty date field skips its step and goes on."""
    nodes = plan.flatten(actions)
    while index is not None and index < len(nodes):
        action = nodes[index].raw
        due = delays.due_at(action.get("delay"), start=start, zone_name=zone,
                            object_type=run.object_type, object_id=run.object_id)  # fmt: skip
        if due is not None:
            return Step.objects.create(run=run, index=index, action=action["type"], due_at=due)
        Step.objects.create(
            run=run, index=index, action=action["type"], due_at=start, status=Step.SKIPPED,
            error=_("The date field it waits for is empty."), done_at=timezone.now(),
        )  # fmt: skip
        index = nodes[index].next  # a branch waiting for it is skipped whole
    finish(run, Run.DONE, save=save_run)
    return None


def resume(
    run: Run, actions: list, index: int | None, *, start, zone: str, save_run: bool = True
) -> Step | None:
    """Go on from step `index` after a retried step, when the run may have gone further
    before it failed (a message refused after its step was done): steps that acted are
    passed, following their arm; one that never acted (pending, or skipped because the run
    had ended) or failed is due again; the first step with no row is written as usual."""
    existing = {s.index: s for s in Step.objects.select_for_update().filter(run=run)}
    while index is not None and index in existing:
        step = existing[index]
        # Not acted, or failed too (a later step that failed on its own): due again.
        if step.status in (Step.PENDING, Step.FAILED) or (step.result or {}).get("not_run"):
            step.status, step.error, step.result, step.done_at = Step.PENDING, "", {}, None
            step.due_at = start
            step.save(update_fields=["status", "error", "result", "done_at", "due_at"])
            return step
        index = plan.after(actions, index, (step.result or {}).get("branch"))
    return next_step(run, actions, index, start=start, zone=zone, save_run=save_run)


RUN_FIELDS = ["status", "error", "finished_at"]


def finish(run: Run, status: str, error: str = "", *, save: bool = True) -> None:
    """End the run (with `save=False` the caller writes it, with others, in one statement)."""
    run.status, run.error, run.finished_at = status, error[:2000], timezone.now()
    if save:
        run.save(update_fields=RUN_FIELDS)
