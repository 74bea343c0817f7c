"""Counting calls per minute in Redis (Django's cache, shared by every web worker): the
public endpoints' rate per address (integrations/site.py) and the inbound webhooks' rates
per channel and per address (`webhook_refusal`).

A fixed window of one minute per key: one INCR a call, the key expiring after two minutes.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

WINDOW = 60


def client_ip(request) -> str:
    # The proxy in front (if any) is trusted to set REMOTE_ADDR (gunicorn's forwarded_allow_ips
    # or the proxy protocol), not a header the caller could write.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _name(scope: str, key) -> str:
    return f"rate:{scope}:{key}:{int(time.time() // WINDOW)}"


def count(scope: str, key) -> int:
    """Count one call of `scope` by `key` in this minute; the calls so far, this one too."""
    name = _name(scope, key)
    cache.add(name, 0, timeout=2 * WINDOW)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=2 * WINDOW)
        return 1


def counted(scope: str, key) -> int:
    """The calls of `scope` by `key` counted so far this minute, counting none."""
    return int(cache.get(_name(scope, key)) or 0)


def over_limit(scope: str, key, per_minute: int) -> bool:
    """Count one call; whether it is more than `per_minute` (0: no limit)."""
    return bool(per_minute) and count(scope, key) > per_minute


def retry_after() -> int:
    """Seconds until the current window ends (what Retry-After says)."""
    return WINDOW - int(time.time()) % WINDOW or WINDOW


def too_many() -> HttpResponse:
    """The answer past a webhook's rate: 429 with Retry-After (the far end's retry waits)."""
    response = HttpResponse(
        "Too many requests. Try again later.\n", status=429, content_type="text/plain"
    )
    response["Retry-After"] = str(retry_after())
    return response


# --- inbound webhooks ------------------------------------------------------------------------
#
# Per address, before anything is looked up, two counts: every call (a high limit: Meta or
# Telegram post for every workspace's channels from a few addresses), and refused calls
# (unknown token, bad or missing signature: a low limit, so a guesser or a forger is turned
# away before any lookup or signature check, while a far end that signs correctly never
# is). Per channel (or payment endpoint, named by its URL's token), the verified calls
# only: someone who learnt a URL but cannot sign cannot use up its channel's rate.


def _limits() -> dict:
    return {"channel": 600, "ip": 3000, "ip_refused": 30, **settings.WEBHOOK_RATE_LIMITS}


def webhook_refusal(request) -> HttpResponse | None:
    """A 429 if the caller's address is past its webhook rates, else None; the call is
    counted. Before any lookup."""
    limits, ip = _limits(), client_ip(request)
    if limits["ip_refused"] and counted("webhook-refused", ip) >= limits["ip_refused"]:
        return too_many()
    if over_limit("webhook-ip", ip, limits["ip"]):
        return too_many()
    return None


def webhook_channel_refusal(scope: str, token: str) -> HttpResponse | None:
    """A 429 if the channel (or payment endpoint) `token` of `scope` (a kind of channel, a
    payment provider) is past its rate, else None; a verified call is counted."""
    if over_limit(f"webhook:{scope}", token[:100], _limits()["channel"]):
        return too_many()
    return None


def webhook_refused(request) -> None:
    """Count a refused webhook call (unknown token, forged or missing signature) against
    the caller's address."""
    count("webhook-refused", client_ip(request))
