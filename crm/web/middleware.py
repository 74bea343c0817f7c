"""Guards every request passes before a view (or the CSRF check) reads its input.

Both work in process_view, in this order, before CsrfViewMiddleware (which reads request.POST):
an upload handler can only be added before the body is parsed, and the NUL check parses it.
"""

from __future__ import annotations

from crm.web import params
from crm.web.uploads import LimitedUploadHandler
from crm.web.views import error_400


class UploadLimitMiddleware:
    """A view marked with crm.web.uploads.upload_limit gets its files cut off at the limit
    while they arrive (nothing past it reaches the disk); the view reads
    `request.upload_refused` to say so."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        limit = getattr(view_func, "upload_limit", None)
        if limit is not None and request.method == "POST":
            request.upload_handlers.insert(0, LimitedUploadHandler(request, limit()))
        return None


class RejectNulMiddleware:
    """A NUL character in the path, a query parameter or a form field (name or value) answers
    400 before any view runs.

    PostgreSQL cannot store NUL in text (nor compare text with it), so a NUL that reaches a
    query or a save is a 500. Forms' CharFields refuse it, but many values are read raw (a
    search box, a filter, a note's body, the API's query parameters), and more will be: one
    check here covers them all, today's and tomorrow's, which a base form or a filter field
    cannot. JSON bodies are checked by the API's parser (crm.api.parsers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if params.has_nul(request.path_info):
            return _refuse(request, "path")
        name = _nul_in(request.GET)
        if name is None and request.method == "POST":
            name = _nul_in(request.POST)
        return None if name is None else _refuse(request, name)


def _nul_in(query) -> str | None:
    """The name of the first parameter with a NUL in its name or a value, else None."""
    for key, values in query.lists():
        if params.has_nul(key) or any(params.has_nul(v) for v in values):
            return key.replace("\x00", "")
    return None


def _refuse(request, name: str):

    return error_400(request, params.InvalidParameter(name, params.nul_message()))
