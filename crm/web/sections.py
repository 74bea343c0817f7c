"""Sections of the product that are not built yet: honest empty states, no fake data."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from .context import NAVIGATION
from .decorators import can_view

BLURBS = {
    "inbox": _("Every request from email, messengers, calls and web forms will land here."),
    "reports": _("Reports built in the report designer will be here."),
    "dashboards": _("Sales dynamics, conversion and plans will be charted here."),
}


def section_view(name, label, object_type):
    @can_view(object_type)
    def view(request):
        return render(
            request,
            "web/section_empty.html",
            {
                "section": name,
                "title": label,
                "blurb": BLURBS[name],
            },
        )

    view.__name__ = f"{name}_section"
    return view


BUILT = {"contacts", "companies", "deals", "tasks"}  # sections with their own app now
SECTION_VIEWS = {
    name: section_view(name, label, kind) for name, label, kind in NAVIGATION if name not in BUILT
}
