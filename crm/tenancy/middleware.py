"""Resolve every request to exactly one tenant (or none), for its whole duration.

A request with `Authorization: Bearer <key>` belongs to the key's workspace and user. A
browser session belongs to the workspace chosen in the session (the switcher), if the user is
an active member there, else to the user's first workspace. The scope is reset when the
request ends, whatever happens.
"""

from django.contrib.auth.models import AnonymousUser

from crm.accounts.selectors import api_key_resolve, membership_detail, memberships_of
from crm.tenancy.context import activate, deactivate

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = request.membership = request.api_key = None
        request.memberships = []
        auth = request.headers.get("Authorization", "")
        chosen = None
        if auth.startswith("Bearer "):
            chosen = self._from_key(request, auth[7:].strip())
        elif request.user.is_authenticated:
            chosen = self._from_session(request)
        user_id = request.user.pk if request.user.is_authenticated else None
        token = activate(chosen.tenant_id if chosen else None, user_id)
        try:
            if chosen:
                request.membership = membership_detail(chosen.pk)
                request.membership.user = request.user
                request.tenant = request.membership.tenant
            return self.get_response(request)
        finally:
            deactivate(token)

    def _from_key(self, request, raw):
        key = api_key_resolve(raw)
        request.user = AnonymousUser()
        if key is None:
            return None  # the API's authentication answers 401
        for membership in memberships_of(key.user):
            if membership.tenant_id == key.tenant_id:
                request.user, request.api_key = key.user, key
                request.memberships = [membership]
                return membership
        return None

    def _from_session(self, request):
        request.memberships = memberships_of(request.user)
        if not request.memberships:
            return None
        wanted = request.session.get(SESSION_KEY)
        chosen = next((m for m in request.memberships if m.tenant_id == wanted), None)
        if chosen is None:
            chosen = request.memberships[0]
            request.session[SESSION_KEY] = chosen.tenant_id
        return chosen
