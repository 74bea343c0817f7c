from crm import objects


def navigation(membership) -> list[tuple[str, str, str]]:
    """(URL name, label, badge URL name) of each section the member may see: the registered
    object types that have a list page (crm/objects.py), in their order. A section not built
    yet has no type registered, so it is not there."""
    return [
        (t.section, t.plural, t.badge)
        for t in objects.all_types()
        if t.section and membership.can(t.key, "view")
    ]


def shell(request):
    """What the base layout needs: the navigation this member may see, the workspaces."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    nav = navigation(membership)
    return {
        "section": request.path.split("/")[1],
        "can_search": membership.can("contact") or membership.can("company"),
        "nav": nav,
        "current_tenant": request.tenant,
        "current_membership": membership,
        "workspaces": request.memberships,
    }
