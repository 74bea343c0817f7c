import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from crm.api.exceptions import error_body, json_error
from crm.celery import app

from .context import navigation
from .outage import outage_of, outage_response


def home(request):
    """The first page after login: the member's work. My day (their tasks) for whoever
    has tasks, else the first section their role shows."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.membership is None:
        return redirect("workspace_new")
    sections = [name for name, _label, _badge in navigation(request.membership)]
    if "tasks" in sections:
        return redirect("tasks")
    return redirect(sections[0] if sections else "profile")


@never_cache
def healthz(request):
    """The state of the database, Redis and the Celery workers: 200 when all are up."""
    checks = {"database": _check_database(), "redis": _check_redis(), "celery": _check_celery()}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503
    )


@never_cache
def livez(request):
    """Liveness of this web process: the database and Redis, not the workers, so a worker
    outage does not take every web host out of a load balancer."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503
    )


def _check_database():
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}


def _check_redis():
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}


def _check_celery():

    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": bool(replies), "workers": len(replies)}


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def _problems(exception) -> list[tuple[str, str]]:
    """(parameter, message) pairs of a refused parameter (crm.web.params.InvalidParameter)."""
    if not isinstance(exception, ValidationError):
        return []
    if not hasattr(exception, "error_dict"):
        return [("", m) for m in exception.messages]
    return [(name, m) for name, errors in exception.message_dict.items() for m in errors]


def _too_big(request):
    """A body past DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses it from its Content-Length,
    before reading it (RequestDataTooBig, a SuspiciousOperation, so it comes here)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    message = _("The request body is larger than the limit of %(limit)s MB.") % {
        "limit": f"{limit:.1f}".removesuffix(".0")
    }
    if _wants_json(request):
        return json_error(request, 413, "too_large", message)
    return render(request, "errors/400.html", {"problems": [("", message)]}, status=413)


def error_400(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return _too_big(request)
    problems = _problems(exception)
    if _wants_json(request):
        fields: dict[str, list[str]] = {}
        for name, message in problems:
            fields.setdefault(name or "non_field_errors", []).append(message)
        body = error_body(400, "invalid", _("Some parameters are not valid."), fields)
        return JsonResponse(body, status=400)
    return render(request, "errors/400.html", {"problems": problems}, status=400)


def error_403(request, exception=None):
    if _wants_json(request):
        return json_error(request, 403, "permission_denied", "You do not have access to this.")
    return render(request, "errors/403.html", status=403)


def error_404(request, exception=None):
    if _wants_json(request):
        return json_error(request, 404, "not_found", "Not found.")
    return render(request, "errors/404.html", status=404)


def error_500(request):
    # Called while the exception is handled: a database or Redis that is down is a 503.
    what = outage_of(sys.exc_info()[1])
    if what is not None:
        return outage_response(request, what)
    if _wants_json(request):
        return json_error(request, 500, "server_error", "Something went wrong on our side.")
    return render(request, "errors/500.html", status=500)
