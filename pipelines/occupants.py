"""What sits in a funnel's stages is another app's business (deals today): pipelines knows
it only through the occupants registered here from their app's `AppConfig.ready()`.

The funnel services call every occupant inside their own transaction, with the pipeline or
stage locked, so an occupant's changes commit or roll back with the set-up change.
"""

from __future__ import annotations

from typing import Protocol


class StageOccupant(Protocol):
    def count_in_pipeline(self, pipeline) -> int:
        """How many records the pipeline holds (a funnel that holds any is archived, not
        deleted)."""

    def count_expression(self, **match):
        """An expression counting the records, to annotate pipelines or stages with:
        `count_expression(stage="pk")`."""

    def locked_in_stage(self, stage) -> list:
        """The stage's records, locked, in their order on the board."""

    def move_off(self, actor, records: list, stage) -> None:
        """Move `records` (from `locked_in_stage`) to `stage`, each move recorded."""

    def kind_changed(self, actor, stage) -> None:
        """The stage became open, won or lost: its records take the new status."""


OCCUPANTS: list[StageOccupant] = []


def register(occupant: StageOccupant) -> None:
    OCCUPANTS.append(occupant)
