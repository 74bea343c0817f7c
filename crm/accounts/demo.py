"""The demo workspace's data is made by the apps: each registers a seeder from its
`AppConfig.ready()`, and `seed_demo` runs them in order inside the demo workspace's scope.

A seeder is `fn(admin, sellers)`: the admin's membership and the memberships of the
salespeople (managers and heads). It makes its records through the services, so cards have
their history. `order` places it after the seeders whose records it uses (clients 10, deals
20, tasks and comments about them 30).
"""

from __future__ import annotations

from collections.abc import Callable

SEEDERS: list[tuple[int, Callable]] = []


def register(fn: Callable, *, order: int) -> Callable:
    SEEDERS.append((order, fn))
    return fn


def seed(admin, sellers) -> None:
    for _order, fn in sorted(SEEDERS, key=lambda pair: pair[0]):
        fn(admin, sellers)
