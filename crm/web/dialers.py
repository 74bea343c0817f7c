"""Ways to place a phone call from a card, besides the phone's own `tel:` link.

An app that can ask a PBX to call (integrations' telephony channels) registers a function
`fn(membership) -> [(label, url)]` from its AppConfig.ready(); a card shows one link per
entry, with `?<record type>=<id>` appended, so the platform and the card know no app. The
answer is kept on the request: a page asks once, however many numbers it shows.
"""

from __future__ import annotations

DIALERS: list = []


def register(fn):
    DIALERS.append(fn)
    return fn


def for_request(request) -> list[tuple[str, str]]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    cached = getattr(request, "_dialers", None)
    if cached is None:
        cached = [entry for fn in DIALERS for entry in fn(membership)]
        request._dialers = cached
    return cached
