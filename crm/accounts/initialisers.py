"""What a new workspace starts with, beyond its roles and its owner: apps register a
function from their `AppConfig.ready()` (the sales funnel comes from pipelines), and
`services.tenant_create` runs them inside the new workspace's scope and transaction, in the
order registered. The platform knows no app; the apps know this list."""

from __future__ import annotations

from collections.abc import Callable

INITIALISERS: list[Callable] = []


def register(fn: Callable) -> Callable:
    """`fn(owner_membership)`: make the workspace's starting set-up. No events of its own:
    "workspace.created" tells it."""
    INITIALISERS.append(fn)
    return fn


def run(owner_membership) -> None:
    for fn in INITIALISERS:
        fn(owner_membership)
