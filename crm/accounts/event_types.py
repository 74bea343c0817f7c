"""The workspace's own events: the workspace, its members, roles, departments, invitations
and API keys. Managers see them (the audit trail)."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import MANAGERS, declare

CHANGES = ("changes",)


def declare_all() -> None:
    declare(
        "workspace.created",
        _("Workspace created"),
        subject="membership",
        payload=("workspace",),
        audience=MANAGERS,
    )
    declare(
        "workspace.updated",
        _("Workspace settings changed"),
        subject="tenant",
        payload=CHANGES,
        audience=MANAGERS,
    )
    for verb, label in (
        ("joined", _("Member joined")),
        ("updated", _("Member changed")),
        ("deactivated", _("Member deactivated")),
        ("reactivated", _("Member reactivated")),
    ):
        declare(f"member.{verb}", label, subject="membership", payload=CHANGES, audience=MANAGERS)
    for kind, subject, created, updated, deleted in (
        ("role", "role", _("Role created"), _("Role changed"), _("Role deleted")),
        (
            "department",
            "department",
            _("Department created"),
            _("Department changed"),
            _("Department deleted"),
        ),
    ):
        declare(f"{kind}.created", created, subject=subject, payload=CHANGES, audience=MANAGERS)
        declare(f"{kind}.updated", updated, subject=subject, payload=CHANGES, audience=MANAGERS)
        declare(f"{kind}.deleted", deleted, subject=subject, payload=CHANGES, audience=MANAGERS)
    declare(
        "invitation.created",
        _("Invitation sent"),
        subject="invitation",
        payload=CHANGES,
        audience=MANAGERS,
    )
    declare("invitation.revoked", _("Invitation revoked"), subject="invitation", audience=MANAGERS)
    declare("api_key.created", _("API key created"), subject="apikey", audience=MANAGERS)
    declare("api_key.revoked", _("API key revoked"), subject="apikey", audience=MANAGERS)
