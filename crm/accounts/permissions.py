"""What a role may do: per object type, actions and a record visibility.

A role's `grants` is data: {"deal": {"actions": ["view", "create"], "visibility": "own"}}.
Object types are listed here once; a feature that adds a model adds its type here and the
role editor, the API and `visible_to` pick it up.
"""

from django.utils.translation import gettext_lazy as _

OBJECT_TYPES = {
    "conversation": _("Inbox"),
    "deal": _("Deals"),
    "contact": _("Contacts"),
    "company": _("Companies"),
    "task": _("Tasks"),
    "invoice": _("Invoices"),
    "report": _("Reports"),
}
ACTIONS = {
    "view": _("View"),
    "create": _("Create"),
    "edit": _("Edit"),
    "delete": _("Delete"),
    "export": _("Export"),
}
OWN, DEPARTMENT, ALL = "own", "department", "all"
VISIBILITIES = {OWN: _("Own records"), DEPARTMENT: _("Department's records"), ALL: _("All records")}


def full(visibility=ALL, actions=tuple(ACTIONS)):
    return {"actions": list(actions), "visibility": visibility}


# The roles every new workspace starts with; admins may edit them or add their own.
BUILTIN_ROLES = {
    "admin": {
        "name": _("Admin"),
        "can_manage_workspace": True,
        "grants": {t: full() for t in OBJECT_TYPES},
    },
    "head": {
        "name": _("Head of department"),
        "can_manage_workspace": False,
        "grants": {t: full(DEPARTMENT) for t in OBJECT_TYPES},
    },
    "manager": {
        "name": _("Sales manager"),
        "can_manage_workspace": False,
        "grants": {
            **{
                t: full(OWN, ("view", "create", "edit"))
                for t in ("conversation", "deal", "contact", "company", "task")
            },
            "invoice": full(OWN, ("view",)),
            "report": full(OWN, ("view",)),
        },
    },
    "accountant": {
        "name": _("Accountant"),
        "can_manage_workspace": False,
        "grants": {
            "invoice": full(ALL),
            "deal": full(ALL, ("view",)),
            "company": full(ALL, ("view",)),
            "contact": full(ALL, ("view",)),
            "report": full(ALL, ("view", "export")),
        },
    },
}


def clean_grants(raw) -> dict:
    """Normalise user input to the grants shape; unknown types and actions raise ValueError."""
    if not isinstance(raw, dict):
        raise ValueError(_("Grants must be an object keyed by object type."))
    grants = {}
    for object_type, grant in raw.items():
        if object_type not in OBJECT_TYPES:
            raise ValueError(_("Unknown object type: %(type)s") % {"type": object_type})
        if not isinstance(grant, dict):
            raise ValueError(_("Each grant must be an object with actions and visibility."))
        actions = grant.get("actions", [])
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise ValueError(_('Actions must be a list of names, such as ["view", "edit"].'))
        unknown = set(actions) - set(ACTIONS)
        if unknown:
            raise ValueError(_("Unknown actions: %(a)s") % {"a": ", ".join(sorted(unknown))})
        visibility = grant.get("visibility", OWN)
        if not isinstance(visibility, str) or visibility not in VISIBILITIES:
            raise ValueError(_("Visibility must be one of: %(v)s") % {"v": ", ".join(VISIBILITIES)})
        if actions and "view" not in actions:
            actions = ["view", *actions]
        grants[object_type] = {
            "actions": [a for a in ACTIONS if a in actions],
            "visibility": visibility,
        }
    return grants
