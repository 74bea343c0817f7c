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
