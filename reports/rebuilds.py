"""A workspace's rollups rebuilt in the background after a change that moves many of their
rows at once: a funnel's stages reordered (what a deal "reached" follows stage positions) or
the workspace's time zone changed (every local day moves). The consumer (consumers.py) asks;
`reports.rebuild_rollups` (the "heavy" queue) rebuilds.

Once per burst: the first change after the last rebuild began sets a pending mark (Redis,
`cache.add`, after the change's commit) and queues the task a few seconds later; changes
while it is pending add nothing. The task clears the mark before it rebuilds, so a change
made during a rebuild queues one more. A rebuild is idempotent (it recomputes every row from
the source tables under the tenant's exclusive lock), so a task delivered twice only costs
time. While a rebuild is pending or running the sales dashboard says its figures are being
recalculated (`busy`: one cache read, no query)."""

from __future__ import annotations

from django.core.cache import cache

from crm import after_commit

from . import rollups

DELAY_SECONDS = 5  # a burst of reorders lands in one rebuild
# A mark outlives a lost task or a dead worker by this much at most, then a change queues
# a rebuild again.
MARK_SECONDS = 15 * 60


def _pending(tenant_id: int) -> str:
    return f"rollups:rebuild:pending:{tenant_id}"


def _running(tenant_id: int) -> str:
    return f"rollups:rebuild:running:{tenant_id}"


def schedule(tenant_id: int) -> None:
    """Queue a rebuild of the workspace's rollups once the current transaction commits,
    unless one is already waiting to start."""

    def queue():
        if cache.add(_pending(tenant_id), 1, timeout=MARK_SECONDS):
            from .tasks import rebuild_rollups

            rebuild_rollups.apply_async((tenant_id,), countdown=DELAY_SECONDS)

    after_commit.send(queue, "a rollups rebuild")


def run(tenant_id: int) -> None:
    """The task's work, inside the workspace's scope."""
    cache.set(_running(tenant_id), 1, timeout=MARK_SECONDS)
    cache.delete(_pending(tenant_id))  # a change from now on asks for another rebuild
    try:
        rollups.rebuild(tenant_id)
    finally:
        cache.delete(_running(tenant_id))


def busy(tenant_id: int) -> bool:
    """A rebuild is waiting or running: the dashboard's figures may be about to change."""
    return bool(cache.get_many([_pending(tenant_id), _running(tenant_id)]))
