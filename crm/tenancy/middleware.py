"""Resolve every request to exactly one tenant (or none), for its whole duration.

A request with `Authorization: Bearer <key>` belongs to the key's workspace and user. A
browser session belongs to the workspace chosen in the session (the switcher), if the user is
an active member there, else to the user's first workspace. The scope is reset when the
request ends, whatever happens.
"""

from django.contrib.auth.models import AnonymousUser

from crm.accounts.selectors import api_key_resolve, memberships_of
from crm.tenancy.context import activate, deactivate

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = request.membership = request.api_key = None
        request.memberships = []
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            self._from_key(request, auth[7:].strip())
        elif request.user.is_authenticated:
            self._from_session(request)
        token = activate(
            request.tenant.pk if request.tenant else None,
            request.user.pk if request.user.is_authenticated else None,
        )
        try:
            return self.get_response(request)
        finally:
            deactivate(token)

    def _from_key(self, request, raw):
        key = api_key_resolve(raw)
        request.user = AnonymousUser()
        if key is None:
            return  # the API's authentication answers 401
        for membership in memberships_of(key.user):
            if membership.tenant_id == key.tenant_id:
                request.user, request.api_key = key.user, key
                request.tenant, request.membership = membership.tenant, membership
                request.memberships = [membership]
                membership.user = key.user

    def _from_session(self, request):
        request.memberships = memberships_of(request.user)
        if not request.memberships:
            return
        wanted = request.session.get(SESSION_KEY)
        chosen = next((m for m in request.memberships if m.tenant_id == wanted), None)
        if chosen is None:
            chosen = request.memberships[0]
            request.session[SESSION_KEY] = chosen.tenant_id
        chosen.user = request.user
        request.tenant, request.membership = chosen.tenant, chosen
