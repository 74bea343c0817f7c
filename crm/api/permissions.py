from rest_framework import permissions


class IsTenantMember(permissions.BasePermission):
    """Every API call acts inside one workspace, as one of its active members."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.membership)


class ManagesWorkspaceOrReadOnly(IsTenantMember):
    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or (
            request.membership.role.can_manage_workspace
        )


class ManagesWorkspace(IsTenantMember):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and (
            request.membership.role.can_manage_workspace
        )


class RolePermission(IsTenantMember):
    """The member's role decides, per object type (the view's `object_type`): reading needs
    view; POST create; PUT/PATCH edit; DELETE delete. Which records is visible_to's job."""

    ACTIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "create",
               "PUT": "edit", "PATCH": "edit", "DELETE": "delete"}  # fmt: skip

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        action = self.ACTIONS.get(request.method, "edit")
        if getattr(view, "action", None) in {"merge", "bulk"}:
            action = "edit"
        return request.membership.can(view.object_type, action)
