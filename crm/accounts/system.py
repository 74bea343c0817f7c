"""The workspace acting by itself: automation rules run as the system, not as a person.

`system_actor(tenant)` stands where services take the acting membership: it may do everything
on every registered object type and manages the workspace, it sees every record, and it has
no user, so the events it causes name no actor. Nothing of it is saved.
"""

from __future__ import annotations

from .models import Role
from .permissions import builtin_grants


class SystemActor:
    user = None
    user_id = None
    department = None
    department_id = None
    is_active = True
    pk = None

    def __init__(self, tenant):
        self.tenant = tenant
        self.tenant_id = tenant.pk
        self.role = Role(name="System", key="system", can_manage_workspace=True,
                         grants=builtin_grants("admin"))  # fmt: skip

    def can(self, object_type: str, action: str = "view") -> bool:
        return True

    def __str__(self):
        return "system"


def system_actor(tenant) -> SystemActor:
    return SystemActor(tenant)
