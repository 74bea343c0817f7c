"""A short way through for machine-to-machine endpoints (a channel's webhooks).

A webhook is posted by a server, not a browser: it has no session, no login, no language,
no CSRF token and no messages, and reads none of them. It is also the busiest endpoint there
is (a messenger posts one per message), and the middleware and the lookup of its route in
the whole URLconf took more CPU than its own work. An app registers its list of such routes
(the same list its URLconf includes) under their common path prefix, in AppConfig.ready();
LeanViewMiddleware, right after SecurityMiddleware, calls the view a path matches there
without the rest of the middleware. A path with a NUL is refused, as RejectNulMiddleware
would; any other path under the prefix goes the whole way as usual.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import Resolver404, URLResolver
from django.urls.resolvers import RegexPattern

from crm.web import params

_routes: dict[str, URLResolver] = {}


def register(prefix: str, patterns: list) -> None:
    """Serve `patterns` (URLconf entries, relative to the root) without the middleware;
    each path they match starts with `prefix`. Their views read no session, user, language
    or CSRF token: they see a bare request."""
    _routes[prefix] = URLResolver(RegexPattern(r"^/"), patterns)


class LeanViewMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        for prefix, resolver in _routes.items():
            if path.startswith(prefix):
                try:
                    return self._serve(request, resolver.resolve(path))
                except Resolver404:
                    break  # not one of them: the usual way (its 404 page, say)
        return self.get_response(request)

    @staticmethod
    def _serve(request, match):
        if params.has_nul(request.path_info):
            return HttpResponse(status=400)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
