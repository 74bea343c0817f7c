"""Access checks for pages. Missing and forbidden records both give 404 (get_object_or_404
inside the workspace); a section the role may not see gives 403."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


def member_required(view):
    """Logged in and an active member of the current workspace."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.membership is None:
            return redirect("workspace_new")
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """A member whose role manages the workspace."""

    @member_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.role.can_manage_workspace:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def can_view(object_type):
    def decorate(view):
        @member_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.membership.can(object_type, "view"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
