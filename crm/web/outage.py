"""A database or Redis that is down answers 503, with a page that says so (the API's error
shape under /api/), instead of a 500; and the next request finds them again by itself.

Django turns an exception raised anywhere in the request (a view, the session or tenant
middleware, a cache read) into a call of handler500 while the exception is being handled:
`crm.web.views.error_500` asks `outage_of` what it was. The database connections are closed
at once, so the next request opens new ones (CONN_HEALTH_CHECKS would also find them broken),
and the Redis clients' pools reconnect on their own.
"""

from __future__ import annotations

import contextlib
import errno

import psycopg2
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from crm import after_commit
from crm.api.exceptions import error_body

DATABASE = (OperationalError, InterfaceError, psycopg2.OperationalError, psycopg2.InterfaceError)
REDIS = after_commit.UNREACHABLE
RETRY_AFTER = "30"


def outage_of(exc: BaseException | None) -> str | None:
    """ "database", "redis", "disk" or None: what the exception (or one it came from) says is
    down (or full)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "disk"
        if isinstance(exc, DATABASE):
            return "database"
        if isinstance(exc, REDIS):
            return "redis"
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def outage_response(request, what: str) -> HttpResponse:
    if what == "database":
        for connection in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):
                connection.close()
    status, code = (507, "insufficient_storage") if what == "disk" else (503, "service_unavailable")
    if what == "disk":
        message = _(
            "The server has no room left for files. Nothing of this file was kept; try again "
            "later, and tell your administrator."
        )
    else:
        message = _(
            "A part of the service is not answering right now. Nothing you saved before is "
            "lost; try again in a minute."
        )
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(status, code, message), status=status)
    else:
        # No request context: its processors would ask the database or the session again.
        page = loader.get_template("errors/503.html").render({"message": message})
        response = HttpResponse(page, status=status)
    response["Retry-After"] = RETRY_AFTER
    response["Cache-Control"] = "no-store"
    return response
