"""One JSON shape for every API error:

{"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

`fields` (the refused fields) and `details` (what a client needs to act on the error, such as
a 409 duplicate's candidates) are there only when they say something.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(
    status: int, code: str, message: str, fields: dict | None = None, details: dict | None = None
) -> dict:
    body = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    if details:
        body["details"] = details
    return {"error": body}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            response.status_code, "invalid", _("Some fields are not valid."), detail
        )
    else:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        response.data = error_body(
            response.status_code,
            codes if isinstance(codes, str) else "error",
            str(exc.detail) if hasattr(exc, "detail") else str(exc),
        )
    return response


def json_error(request, status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, code, message), status=status)
