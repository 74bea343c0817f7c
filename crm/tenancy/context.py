"""The current tenant (and acting user) of this request or task, and nothing else.

Middleware sets it for a request, `tenant_task` for a Celery task, `tenant_scope` for code
that runs outside both (commands, tests). The database backend reads it before every query
so row-level security sees the same tenant as the ORM.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    tenant_id: int | None = None
    user_id: int | None = None


NO_SCOPE = Scope()  # frozen, so sharing it as the default is safe
_scope: contextvars.ContextVar[Scope] = contextvars.ContextVar("crm_scope", default=NO_SCOPE)


class NoTenantError(RuntimeError):
    """A tenant-owned table was queried with no current tenant."""


def current_scope() -> Scope:
    return _scope.get()


def current_tenant_id() -> int | None:
    return _scope.get().tenant_id


def require_tenant_id() -> int:
    tenant_id = _scope.get().tenant_id
    if tenant_id is None:
        raise NoTenantError(
            "No current tenant: wrap the code in tenant_scope(), or use the all_tenants "
            "manager in an operator command."
        )
    return tenant_id


def activate(tenant_id: int | None, user_id: int | None = None) -> contextvars.Token:
    return _scope.set(Scope(tenant_id, user_id))


def deactivate(token: contextvars.Token) -> None:
    _scope.reset(token)


@contextlib.contextmanager
def tenant_scope(tenant, user=None):
    """Run the block as `tenant` (a Tenant or its id), optionally acting as `user`."""
    tenant_id = getattr(tenant, "pk", tenant)
    user_id = getattr(user, "pk", user)
    token = activate(tenant_id, user_id)
    try:
        yield
    finally:
        deactivate(token)


def keep_scope(iterator):
    """Iterate `iterator` in the scope that is current now. A streaming response is iterated
    after the middleware has left the request's scope; this carries the scope along."""
    scope = current_scope()

    def scoped():
        token = activate(scope.tenant_id, scope.user_id)
        try:
            yield from iterator
        finally:
            deactivate(token)

    return scoped()
