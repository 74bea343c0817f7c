"""Work handed to Celery (or Redis) once the transaction that asked for it has committed.

The change is already saved when the callback runs. If Redis is down at that moment, an
exception would turn the saved change into an error page (and the user who tries again
would save it twice), and it would skip the transaction's other callbacks. So a broker or
Redis that does not answer is logged, not raised. Work kept in the database is done later
by its recovery sweep: a pending event, a queued import or export, an automation step, a
webhook delivery, a channel's received delivery. A message of the moment (an invitation,
an invoice or notification email, an autoreply) is not sent, and the log says which.
docs/reliability.md lists each kind. Any other exception is a bug and is raised as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

UNREACHABLE = (BrokerError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def send(callback: Callable[[], object], what: str) -> None:
    """Run `callback` (a task's `.delay(...)`, a cache write) after the commit; a Redis that
    is down is logged, not raised."""
    transaction.on_commit(guard(callback, what))


def guard(callback: Callable[[], object], what: str) -> Callable[[], None]:
    """`callback`, with a Redis that does not answer logged instead of raised."""

    def guarded():
        try:
            callback()
        except UNREACHABLE:
            logger.warning("Redis is not answering: %s was not queued (the change is saved)",
                           what, exc_info=True)  # fmt: skip

    return guarded
