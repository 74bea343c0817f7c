"""Reads about people and access, shared by pages, the API and the middleware."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from crm.tenancy.context import tenant_scope
from crm.web.params import as_id

from . import permissions
from .models import ApiKey, Department, Invitation, Membership, Role, User


def memberships_of(user: User) -> list[Membership]:
    """The user's active memberships in every workspace, with their workspace only: the row
    policy lets a user read their own memberships, but not other workspaces' roles."""
    with tenant_scope(None, user):
        return list(
            Membership.all_tenants.filter(user=user, is_active=True)
            .select_related("tenant")
            .order_by("tenant__name")
        )


def active_membership(user: User) -> Membership | None:
    """The user's active membership in the current workspace, with role and department."""
    return (
        Membership.objects.select_related("tenant", "role", "department")
        .filter(user=user, is_active=True)
        .first()
    )


def api_key_resolve(raw: str) -> ApiKey | None:
    """The live key for a raw key string, looked up inside the workspace it names."""
    parts = raw.split("_", 2)
    tenant_id = as_id(parts[1]) if len(parts) == 3 and parts[0] == "crm" else None
    if tenant_id is None:
        return None
    with tenant_scope(tenant_id):
        key = (
            ApiKey.objects.select_related("user", "tenant")
            .filter(key_hash=ApiKey.hash(raw), revoked_at=None, user__is_active=True)
            .first()
        )
        if key and (
            key.last_used_at is None or key.last_used_at < timezone.now() - timedelta(minutes=1)
        ):
            # Written at most once a minute: a busy key does not write on every request.
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        return key


def members(search: str = "") -> QuerySet[Membership]:
    rows = Membership.objects.select_related("user", "role", "department").order_by(
        "-is_active", "user__first_name", "user__email"
    )
    if search:
        rows = rows.filter(
            Q(user__email__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    return rows


def _active_members():
    return Count("membership", filter=Q(membership__is_active=True))


def roles(with_member_count: bool = False) -> QuerySet[Role]:
    rows = Role.objects.order_by("id")
    return rows.annotate(member_count=_active_members()) if with_member_count else rows


def departments(with_member_count: bool = False) -> QuerySet[Department]:
    rows = Department.objects.select_related("head").order_by("name")
    if with_member_count:
        rows = rows.annotate(member_count=Count("members", filter=Q(members__is_active=True)))
    return rows


def pending_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("role", "invited_by").filter(
        accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )


def api_keys_visible_to(membership: Membership) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.select_related("user").filter(revoked_at=None)
    return keys if membership.role.can_manage_workspace else keys.filter(user=membership.user)


def visible_to(
    queryset: QuerySet, membership: Membership, object_type: str, owner_field: str = "owner"
) -> QuerySet:
    """Records of `object_type` that `membership` may see: the one way lists, cards, search,
    reports, exports and the API reach owned records."""
    role = membership.role
    if not role.can(object_type, "view"):
        return queryset.none()
    visibility = role.visibility(object_type)
    if visibility == permissions.ALL:
        return queryset
    mine = Q(**{f"{owner_field}_id": membership.user_id})
    if visibility == permissions.DEPARTMENT:
        # The departments they head and their own, as a subquery: no query of its own, so a
        # page may apply several visibilities at no extra cost.
        departments = Q(department__head_id=membership.user_id)
        if membership.department_id:
            departments |= Q(department_id=membership.department_id)
        colleagues = Membership.objects.filter(departments).values("user_id")
        return queryset.filter(mine | Q(**{f"{owner_field}_id__in": colleagues}))
    return queryset.filter(mine)
