"""Panels other apps add to the deal card, without deals importing them.

An app registers `fn(request, deal) -> str` from its `AppConfig.ready()` (invoices adds its
"Invoices" panel); the card renders what each returns, in the order registered, and an
empty string shows nothing (the member may not see that app's records)."""

from __future__ import annotations

from collections.abc import Callable

PANELS: list[Callable] = []


def register(fn: Callable) -> Callable:
    PANELS.append(fn)
    return fn


def render_all(request, deal) -> list[str]:
    return [html for html in (fn(request, deal) for fn in PANELS) if html]
