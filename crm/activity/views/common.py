from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme


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


def errors_to_form(form, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in errors.items():
        if field == "due_at":
            field = "due_time" if "due_time" in form.fields else None
        form.add_error(field if field in form.fields else None, messages)
