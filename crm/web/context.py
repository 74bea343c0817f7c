from django.utils.translation import gettext_lazy as _

# The main navigation: (url name, label, object type whose view permission shows it).
NAVIGATION = [
    ("inbox", _("Inbox"), "conversation"),
    ("deals", _("Deals"), "deal"),
    ("contacts", _("Contacts"), "contact"),
    ("companies", _("Companies"), "company"),
    ("tasks", _("Tasks"), "task"),
    ("reports", _("Reports"), "report"),
    ("dashboards", _("Dashboards"), "report"),
]


def shell(request):
    """What the base layout needs: the navigation this member may see, the workspaces."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    nav = [(name, label) for name, label, kind in NAVIGATION if membership.can(kind, "view")]
    return {
        "section": request.path.split("/")[1],
        "can_search": membership.can("contact") or membership.can("company"),
        "nav": nav,
        "current_tenant": request.tenant,
        "current_membership": membership,
        "workspaces": request.memberships,
    }
