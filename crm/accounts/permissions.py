"""What a role may do: per object type, actions and a record visibility.

A role's `grants` is data: {"deal": {"actions": ["view", "create"], "visibility": "own"}}.
The object types are the registry's (crm/objects.py): an app that adds a kind of record
registers it, with what each built-in role gets on it, and the role editor, the API,
`visible_to` and the navigation pick it up.
"""

from django.utils.translation import gettext_lazy as _

from crm import objects

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


def object_types() -> dict:
    """{key: plural label} of every registered object type with a grant of its own (not the
    parts of another type's records), in the registry's order."""
    return {t.key: t.plural for t in objects.all_types() if not t.part_of}


# The roles every new workspace starts with; admins may edit them or add their own. What
# each gets on an object type is the type's `builtin_grants[key]`, else DEFAULT_GRANTS[key].
BUILTIN_ROLES = {
    "admin": {"name": _("Admin"), "can_manage_workspace": True},
    "head": {"name": _("Head of department"), "can_manage_workspace": False},
    "manager": {"name": _("Sales manager"), "can_manage_workspace": False},
    "accountant": {"name": _("Accountant"), "can_manage_workspace": False},
}
DEFAULT_GRANTS = {
    "admin": full(),
    "head": full(DEPARTMENT),
    "manager": full(OWN, ("view", "create", "edit")),
    "accountant": None,
}


def builtin_grants(role_key: str) -> dict:
    """The grants of built-in role `role_key` over every registered object type."""
    grants = {}
    for object_type in objects.all_types():
        if object_type.part_of:
            continue  # its records follow the grant of the type they are parts of
        grant = object_type.builtin_grants.get(role_key, DEFAULT_GRANTS[role_key])
        if role_key == "admin":
            grant = full()  # the admin can do everything, whatever a type says
        if grant:
            grants[object_type.key] = grant
    return grants


def clean_grants(raw) -> dict:
    """Normalise user input to the grants shape; unknown types and actions raise ValueError."""
    if not isinstance(raw, dict):
        raise ValueError(_("Grants must be an object keyed by object type."))
    grants = {}
    for object_type, grant in raw.items():
        if objects.get(object_type) is None or objects.grant_key(object_type) != object_type:
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
