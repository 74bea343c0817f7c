"""The rollups' consumers of the event spine: every event that can change a dashboard figure
recomputes the rollup rows of the record it is about (reports.rollups). Recomputing from the
source tables makes a redelivered or late event harmless. A stage reorder or a time-zone
change queues a rebuild of the workspace's rollups (reports.rebuilds)."""

from crm.activity.dispatch import consumer
from crm.activity.models import Event

from . import rebuilds, rollups

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


# Changes that move many rollup rows at once: the whole workspace is rebuilt in the
# background, once per burst (rebuilds.py). A stage added or deleted renumbers the others,
# as a reorder does. The name is stored in EventDelivery.
@consumer(
    "rollups_rebuild",
    types=["pipeline.stages_reordered", "stage.created", "stage.deleted", "workspace.updated"],
)
def rebuild(event: Event) -> None:
    if event.type == "workspace.updated" and "time_zone" not in event.data.get("changes", {}):
        return  # a name, currency or language: no rollup moves
    rebuilds.schedule(event.tenant_id)
