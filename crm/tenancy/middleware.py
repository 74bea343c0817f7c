"""Resolve every request to exactly one tenant (or none), for its whole duration.

A request with `Authorization: Bearer <key>` belongs to the key's workspace and user. A
browser session belongs to the workspace chosen in the session (the switcher), if the user is
an active member there, else to the workspace the user used last, else to their first. The
scope is reset when the request ends, whatever happens.
"""

from django.contrib.auth.models import AnonymousUser

from crm.accounts.selectors import active_membership, api_key_resolve, memberships_of
from crm.tenancy.context import activate, deactivate

SESSION_KEY = "tenant_id"


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = request.membership = request.api_key = None
        request.memberships = []
        auth = request.headers.get("Authorization", "")
        tenant_id = None
        if auth.startswith("Bearer "):
            request.api_key = api_key_resolve(auth[7:].strip())
            request.user = request.api_key.user if request.api_key else AnonymousUser()
            tenant_id = request.api_key.tenant_id if request.api_key else None
        elif request.user.is_authenticated:
            tenant_id = self._session_tenant(request)
        token = activate(tenant_id, request.user.pk if request.user.is_authenticated else None)
        try:
            if tenant_id is not None:
                self._enter(request)
            return self.get_response(request)
        finally:
            deactivate(token)

    def _session_tenant(self, request) -> int | None:
        """The session's workspace; a new session opens the one the person used last."""
        request.memberships = memberships_of(request.user)
        wanted = request.session.get(SESSION_KEY)
        tenant_ids = [m.tenant_id for m in request.memberships]
        if wanted not in tenant_ids:
            last = request.user.last_tenant_id
            wanted = last if last in tenant_ids else (tenant_ids[0] if tenant_ids else None)
            request.session[SESSION_KEY] = wanted
        return wanted

    def _enter(self, request) -> None:
        membership = active_membership(request.user)
        if membership is None:  # a key whose owner has left the workspace
            request.user, request.api_key = AnonymousUser(), None
            return
        membership.user = request.user
        request.membership, request.tenant = membership, membership.tenant
        if request.api_key:
            request.memberships = [membership]
