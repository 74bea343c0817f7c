"""Panels other apps add to the contact and company cards, without contacts importing them.

An app registers `fn(request, kind, record) -> str` from its `AppConfig.ready()` (the inbox
adds its "Conversations" panel); the card renders what each returns, in the order
registered, and an empty string shows nothing (the member may not see that app's records)."""

from __future__ import annotations

from collections.abc import Callable

PANELS: list[Callable] = []


def register(fn: Callable) -> Callable:
    PANELS.append(fn)
    return fn


def render_all(request, kind: str, record) -> list[str]:
    return [html for html in (fn(request, kind, record) for fn in PANELS) if html]
