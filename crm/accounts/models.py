from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.tenancy.models import CURRENT_USER, TIME_ZONES, TenantModel, languages

from . import permissions


def normalize_login(email) -> str:
    """Emails are stored in lower case: what someone types to log in is read the same way."""
    return (email or "").strip().lower()


class EmailUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Login (ModelBackend) finds the user here: "Ann@Example.com" is ann@example.com.
        return self.get(**{self.model.USERNAME_FIELD: normalize_login(username)})

    def _create_user(self, email, password, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        return self._create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractUser):
    """A person. Global: one login may belong to several workspaces (Membership)."""

    username = None
    email = models.EmailField(_("email"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=languages,
        help_text=_("Empty: the browser's language."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        choices=TIME_ZONES,
        help_text=_("Empty: the workspace's time zone."),
    )
    # The workspace a new session opens in: the one the person used last.
    last_tenant_id = models.BigIntegerField(null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = EmailUserManager()

    class Meta:
        verbose_name = _("user")

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Department(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="department_unique_name"),
        ]
        verbose_name = _("department")

    def __str__(self):
        return self.name


class Role(TenantModel):
    name = models.CharField(_("name"), max_length=80)
    # Built-in roles keep their key so code and translations can recognise them.
    key = models.CharField(max_length=20, blank=True, editable=False)
    can_manage_workspace = models.BooleanField(
        _("manages the workspace"),
        default=False,
        help_text=_("Users, roles, departments, channels and other settings."),
    )
    grants = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("name"), name="role_unique_name"),
        ]
        verbose_name = _("role")

    def __str__(self):
        return self.name

    # A type that is part of another (a deal's line items) follows that type's grant.
    def can(self, object_type: str, action: str = "view") -> bool:
        grant = self.grants.get(objects.grant_key(object_type), {})
        return action in grant.get("actions", ())

    def visibility(self, object_type: str) -> str:
        grant = self.grants.get(objects.grant_key(object_type), {})
        return grant.get("visibility", permissions.OWN)


class Membership(TenantModel):
    """A user in a workspace, with a role and (optionally) a department."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    is_active = models.BooleanField(_("active"), default=True)
    joined_at = models.DateTimeField(default=timezone.now)

    # A user may list their own memberships in every workspace (the workspace switcher).
    rls_read_extra = f"user_id = {CURRENT_USER}"

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user"),
        ]
        indexes = [models.Index(fields=["tenant", "department"], name="membership_department")]
        verbose_name = _("member")

    def __str__(self):
        return str(self.user)

    def can(self, object_type: str, action: str = "view") -> bool:
        return self.role.can(object_type, action)


class Invitation(TenantModel):
    email = models.EmailField(_("email"))
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.CASCADE)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "email"], name="invitation_email")]
        verbose_name = _("invitation")

    def __str__(self):
        return self.email

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class ApiKey(TenantModel):
    """A key for one user in one workspace. Only a hash is kept; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key_hash"], name="apikey_unique_hash"),
        ]
        indexes = [models.Index(fields=["tenant", "user"], name="apikey_user")]
        verbose_name = _("API key")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw_key: str) -> str:
        # Keys are long random secrets, so a fast hash is enough (no dictionary to attack).
        return hashlib.sha256(raw_key.encode()).hexdigest()
