"""The base of every routed API viewset: the queryset comes from one place.

A viewset says how its records are scoped (`scope`) and gives `scoped_queryset(membership)`:
the member's records through the app's selector (built on `visible_to` for owned records).
`get_queryset` is final: it refuses a request without a member, and a subclass that
defines its own `get_queryset` fails at import, so no viewset can read around its
selector. tests/isolation/ walks every route by its declared scope.
"""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated

OWNED = "owned"  # records with an owner (or assignee): the role's visibility decides
PERSONAL = "personal"  # each member's own: notifications, API keys, feeds, imports
WORKSPACE = "workspace"  # set-up every member reads; only those who manage it change it
MANAGERS = "managers"  # only those who manage the workspace
SCOPES = (OWNED, PERSONAL, WORKSPACE, MANAGERS)


class ScopedViewSetMixin:
    scope: str = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} defines get_queryset: define scoped_queryset(membership)"
            )
        if cls.scope and cls.scope not in SCOPES:
            raise TypeError(f"{cls.__name__}.scope must be one of {SCOPES}")

    def get_queryset(self):
        membership = getattr(self.request, "membership", None)
        if membership is None:
            raise NotAuthenticated
        return self.scoped_queryset(membership)

    def scoped_queryset(self, membership):
        raise NotImplementedError(f"{type(self).__name__} must define scoped_queryset")
