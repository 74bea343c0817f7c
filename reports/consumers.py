"""The rollups' consumer of the event spine: every event that can change a dashboard figure
recomputes the rollup rows of the record it is about (reports.rollups). Recomputing from the
source tables makes a redelivered or late event harmless."""

from crm.activity.dispatch import consumer
from crm.activity.models import Event

from . import rollups

DEAL_EVENTS = [
    "deal.created", "deal.updated", "deal.assigned", "deal.stage_changed", "deal.won",
    "deal.lost", "deal.reopened", "deal.deleted", "deal.line_item_added",
    "deal.line_item_updated", "deal.line_item_removed",
]  # fmt: skip
TASK_EVENTS = ["task.completed", "task.reopened", "task.updated", "task.deleted"]
CALL_EVENTS = ["call.ended", "call.missed"]


# The name is stored in EventDelivery: never rename it.
@consumer("rollups", types=[*DEAL_EVENTS, *TASK_EVENTS, *CALL_EVENTS])
def count(event: Event) -> None:
    if event.type in DEAL_EVENTS:
        rollups.refresh_deal(event.subject_id)
    elif event.type in TASK_EVENTS:
        rollups.refresh_task(event.subject_id)
    elif event.data.get("message"):
        rollups.refresh_call(int(event.data["message"]))
