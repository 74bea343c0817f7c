"""More views of a funnel beside the board and the list (the automation view, say).

An app above deals registers `fn(membership, pipeline) -> [(label, url)]` from its
AppConfig.ready(); the board shows a link per entry the member may see, so deals knows no
app above it.
"""

from __future__ import annotations

LINKS: list = []


def register(fn):
    LINKS.append(fn)
    return fn


def for_board(membership, pipeline) -> list[tuple[str, str]]:
    if pipeline is None:
        return []
    return [entry for fn in LINKS for entry in fn(membership, pipeline)]
