""" "automation" in the object-type registry: not a list of records, but the right a role
editor grants (view / create / edit / delete rules). Admins always have it; the other
built-in roles start without it."""

from django.utils.translation import gettext_lazy as _

from crm import objects

from .models import Rule


def register() -> None:
    objects.register(
        objects.ObjectType(
            key="automation",
            label=_("Automation rule"),
            plural=_("Automation"),
            model=Rule,
            nav_order=200,
            builtin_grants={"head": None, "manager": None, "accountant": None},
        )
    )
