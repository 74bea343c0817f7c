"""Workspaces made before the inbox get the built-in roles' grant on conversations, so the
Inbox appears for them (integrations/migrations/0002_conversation_grants.py)."""

import importlib

import pytest
from django.apps import apps

from crm.accounts import permissions
from crm.accounts.models import Role
from crm.tenancy.context import tenant_scope

pytestmark = pytest.mark.django_db
migration = importlib.import_module("integrations.migrations.0002_conversation_grants")


def test_existing_built_in_roles_get_their_conversation_grant(workspace, other_workspace):
    custom = {"contact": {"actions": ["view"], "visibility": "own"}}
    for tenant, _owner in (workspace, other_workspace):
        with tenant_scope(tenant):
            for role in Role.objects.all():
                role.grants.pop("conversation", None)
                role.save(update_fields=["grants"])
            Role.objects.create(name="Custom", grants=custom)
    migration.grant(apps, None)
    for tenant, _owner in (workspace, other_workspace):
        with tenant_scope(tenant):
            grants = {r.key or r.name: r.grants.get("conversation") for r in Role.objects.all()}
        assert grants["admin"]["visibility"] == "all"
        assert grants["head"]["visibility"] == "department"
        assert grants["manager"] == {"actions": ["view", "create", "edit"], "visibility": "own"}
        assert grants["accountant"] is None and grants["Custom"] is None


def test_the_migration_gives_what_a_new_workspace_gets():
    for key, grant in migration.GRANTS.items():
        assert permissions.builtin_grants(key)["conversation"] == grant
