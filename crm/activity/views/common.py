from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from crm.web.forms import errors_to_form


def require(request, action: str = "view", object_type: str = "task") -> None:
    if not request.membership.can(object_type, action):
        raise PermissionDenied


def tz():
    """The time zone pages show times in (the user's, else the workspace's; set by the
    preferences middleware)."""
    return timezone.get_current_timezone()


def safe_next(request, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return default


def task_errors_to_form(form, exc: ValidationError) -> None:
    """A task's `due_at` is typed in the form's `due_time`."""
    errors_to_form(form, exc, rename=lambda name: "due_time" if name == "due_at" else name)
