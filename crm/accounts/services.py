"""Every write about workspaces, people, roles and keys. Keyword-only, actor first."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crm import after_commit
from crm.activity.events import changes, emit, snapshot
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant

from . import initialisers, permissions
from .models import ApiKey, Department, Invitation, Membership, Role, User
from .tasks import send_invitation_email
from .tokens import INVITATION_SALT

# --- workspaces -------------------------------------------------------------------------


def _free_slug(name: str) -> str:
    base = slugify(name)[:40].strip("-") or "workspace"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def tenant_create(
    *,
    owner: User,
    name: str,
    slug: str = "",
    currency: str = "USD",
    time_zone: str = "UTC",
    language: str = "",
    country: str = "US",
) -> Tenant:
    """A new workspace with the built-in roles, its owner as Admin."""
    tenant = Tenant(
        name=name,
        slug=slug or _free_slug(name),
        currency=currency,
        time_zone=time_zone,
        language=language or owner.language or settings.LANGUAGE_CODE,
        country=country,
    )
    tenant.full_clean()
    tenant.save()
    with tenant_scope(tenant, owner):
        roles = {
            key: Role.objects.create(
                key=key,
                name=str(spec["name"]),
                can_manage_workspace=spec["can_manage_workspace"],
                grants=permissions.builtin_grants(key),
            )
            for key, spec in permissions.BUILTIN_ROLES.items()
        }
        membership = Membership.objects.create(user=owner, role=roles["admin"])
        emit("workspace.created", actor=owner, subject=membership, data={"workspace": name})
        initialisers.run(membership)  # e.g. the "Sales" funnel, so deals have a home
    return tenant


def workspace_used(*, user: User, tenant_id: int) -> None:
    """Remember the workspace the person chose, so their next session opens there."""
    if user.last_tenant_id != tenant_id:
        user.last_tenant_id = tenant_id
        User.objects.filter(pk=user.pk).update(last_tenant_id=tenant_id)


@transaction.atomic
def user_signup(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str = "",
    workspace_name: str,
    language: str = "",
) -> tuple[User, Tenant]:
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    return user, tenant_create(owner=user, name=workspace_name, language=language)


@transaction.atomic
def workspace_update(*, actor: Membership, tenant: Tenant, **fields) -> Tenant:
    _require_manager(actor)
    before = snapshot(tenant, fields)
    for name, value in fields.items():
        setattr(tenant, name, value)
    tenant.full_clean()
    tenant.save(update_fields=list(fields))
    emit(
        "workspace.updated",
        actor=actor.user,
        subject=actor,
        data={"changes": changes(before, snapshot(tenant, fields))},
    )
    return tenant


# --- profile ----------------------------------------------------------------------------


def profile_update(*, user: User, **fields) -> User:
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(fields))
    return user


# --- members ----------------------------------------------------------------------------


def _require_manager(actor: Membership) -> None:
    if not actor.role.can_manage_workspace:
        raise PermissionDenied(_("Only workspace admins can do this."))


def _lock_admins() -> None:
    """Lock the workspace's active admin memberships, in id order, until the transaction
    ends. Every change that could remove an admin takes this lock before counting, so two
    admins demoting each other at once are counted one after the other: the second sees the
    first's change and is refused, instead of both seeing the other still there."""
    list(
        Membership.objects.select_for_update(of=("self",))
        .filter(is_active=True, role__can_manage_workspace=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _admins_left(excluding: Membership | None = None, excluding_role: Role | None = None) -> int:
    """Active admins other than `excluding` (or than the members of `excluding_role`),
    counted after _lock_admins: a fresh read, so it sees what committed while we waited."""
    _lock_admins()
    admins = Membership.objects.filter(is_active=True, role__can_manage_workspace=True)
    if excluding is not None:
        admins = admins.exclude(pk=excluding.pk)
    if excluding_role is not None:
        admins = admins.exclude(role=excluding_role)
    return admins.count()


@transaction.atomic
def member_update(
    *,
    actor: Membership,
    membership: Membership,
    role: Role | None = None,
    department: Department | bool | None = False,
) -> Membership:
    """Change a member's role and/or department (department=False leaves it as it is)."""
    _require_manager(actor)
    fields = ["role"] + ([] if department is False else ["department"])
    before = snapshot(membership, fields)
    if role is not None:
        if (
            membership.role.can_manage_workspace
            and not role.can_manage_workspace
            and membership.is_active
            and not _admins_left(membership)
        ):
            raise ValidationError(_("The workspace needs at least one admin."))
        membership.role = role
    if department is not False:
        membership.department = department
    membership.save(update_fields=fields)
    diff = changes(before, snapshot(membership, fields))
    if diff:
        emit("member.updated", actor=actor.user, subject=membership, data={"changes": diff})
    return membership


@transaction.atomic
def member_deactivate(*, actor: Membership, membership: Membership) -> Membership:
    _require_manager(actor)
    if membership.role.can_manage_workspace and not _admins_left(membership):
        raise ValidationError(_("The workspace needs at least one admin."))
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    emit(
        "member.deactivated",
        actor=actor.user,
        subject=membership,
        data={"changes": {"is_active": [True, False]}},
    )
    return membership


@transaction.atomic
def member_reactivate(*, actor: Membership, membership: Membership) -> Membership:
    _require_manager(actor)
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    emit(
        "member.reactivated",
        actor=actor.user,
        subject=membership,
        data={"changes": {"is_active": [False, True]}},
    )
    return membership


# --- invitations ------------------------------------------------------------------------


def invitation_from_token(token: str) -> Invitation | None:
    """The pending invitation a token names, looked up inside its tenant; None if invalid."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE)
    except signing.BadSignature:
        return None
    with tenant_scope(data["t"]):
        invitation = (
            Invitation.objects.select_related("tenant", "role", "department", "invited_by")
            .filter(pk=data["i"])
            .first()
        )
    if invitation is None or invitation.status != "pending":
        return None
    return invitation


@transaction.atomic
def invitation_create(
    *, actor: Membership, email: str, role: Role, department: Department | None = None
) -> Invitation:
    _require_manager(actor)
    email = User.objects.normalize_email(email).lower()
    if Membership.objects.filter(user__email__iexact=email, is_active=True).exists():
        raise ValidationError({"email": _("This person is already a member of the workspace.")})
    Invitation.objects.filter(email__iexact=email, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    invitation = Invitation(
        email=email,
        role=role,
        department=department,
        invited_by=actor.user,
        expires_at=timezone.now() + timedelta(seconds=settings.INVITATION_MAX_AGE),
    )
    invitation.full_clean()
    invitation.save()
    emit(
        "invitation.created",
        actor=actor.user,
        subject=invitation,
        data={"changes": {"email": [None, email], "role": [None, role.name]}},
    )
    tenant_id, invitation_id = invitation.tenant_id, invitation.pk

    def send():

        send_invitation_email.delay(tenant_id, invitation_id)

    after_commit.send(send, "an invitation email")
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> Invitation:
    _require_manager(actor)
    if invitation.status == "pending":
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        emit("invitation.revoked", actor=actor.user, subject=invitation)
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    user: User | None = None,
    password: str = "",
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Join the workspace as `user`, or as a new user made from the invitation's email."""
    if user is None:
        user = User.objects.create_user(
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
    elif user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation was sent to another email address."))
    with tenant_scope(invitation.tenant_id, user):
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != "pending":
            raise ValidationError(_("This invitation is no longer valid."))
        membership, created = Membership.objects.get_or_create(
            user=user, defaults={"role": invitation.role, "department": invitation.department}
        )
        if not created:
            membership.is_active = True
            membership.role = invitation.role
            membership.department = invitation.department
            membership.save(update_fields=["is_active", "role", "department"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        emit(
            "member.joined",
            actor=user,
            subject=membership,
            data={"changes": {"role": [None, invitation.role.name]}},
        )
    return membership


# --- roles and departments --------------------------------------------------------------


@transaction.atomic
def role_save(
    *,
    actor: Membership,
    role: Role | None = None,
    name: str,
    grants: dict,
    can_manage_workspace: bool = False,
) -> Role:
    _require_manager(actor)
    creating = role is None
    role = role or Role()
    fields = ["name", "grants", "can_manage_workspace"]
    before = {} if creating else snapshot(role, fields)
    try:
        role.grants = permissions.clean_grants(grants)
    except ValueError as exc:
        raise ValidationError({"grants": str(exc)}) from exc
    if (
        not creating
        and role.can_manage_workspace
        and not can_manage_workspace
        and not _admins_left(excluding_role=role)
    ):
        raise ValidationError(_("The workspace needs at least one admin."))
    role.name = name
    role.can_manage_workspace = can_manage_workspace
    _save_unique(role, "name", _("A role with this name already exists."))
    emit(
        "role.created" if creating else "role.updated",
        actor=actor.user,
        subject=role,
        data={"changes": changes(before, snapshot(role, fields))},
    )
    return role


@transaction.atomic
def role_delete(*, actor: Membership, role: Role) -> None:
    _require_manager(actor)
    if Membership.objects.filter(role=role).exists():
        raise ValidationError(_("Move the members of this role to another role first."))
    emit("role.deleted", actor=actor.user, subject=role)
    role.delete()


@transaction.atomic
def department_save(
    *,
    actor: Membership,
    department: Department | None = None,
    name: str,
    head: User | None = None,
) -> Department:
    _require_manager(actor)
    creating = department is None
    department = department or Department()
    before = {} if creating else snapshot(department, ["name", "head"])
    department.name = name
    department.head = head
    _save_unique(department, "name", _("A department with this name already exists."))
    emit(
        "department.created" if creating else "department.updated",
        actor=actor.user,
        subject=department,
        data={"changes": changes(before, snapshot(department, ["name", "head"]))},
    )
    return department


@transaction.atomic
def department_delete(*, actor: Membership, department: Department) -> None:
    _require_manager(actor)
    emit("department.deleted", actor=actor.user, subject=department)
    department.delete()


def _save_unique(obj, field: str, message: str) -> None:
    obj.full_clean(exclude=["tenant"], validate_constraints=False)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError({field: message}) from exc


# --- API keys ---------------------------------------------------------------------------

KEY_PREFIX = "crm"


def api_key_create(*, actor: Membership, name: str) -> tuple[ApiKey, str]:
    """A new key for the acting member. The raw key is returned once and never stored."""
    # The key names its workspace so a request can be scoped before the key is looked up.
    raw = f"{KEY_PREFIX}_{actor.tenant_id}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey(user=actor.user, name=name, prefix=raw[:14], key_hash=ApiKey.hash(raw))
        key.full_clean(exclude=["tenant"])
        key.save()
        emit("api_key.created", actor=actor.user, subject=key)
    return key, raw


@transaction.atomic
def api_key_revoke(*, actor: Membership, key: ApiKey) -> ApiKey:
    if key.user_id != actor.user_id and not actor.role.can_manage_workspace:
        raise PermissionDenied(_("You can revoke only your own keys."))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        emit("api_key.revoked", actor=actor.user, subject=key)
    return key
