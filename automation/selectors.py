"""Reads of rules and runs, shared by the API and (to come) the board's automation view."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.web.params import as_id

from . import services
from .models import Rule, Run


def rules_for(membership) -> QuerySet[Rule]:
    """Every rule of the workspace to admins and roles granted "automation"; none to
    others."""
    rules = Rule.objects.select_related("version").order_by("position", "id")
    return rules if services.can(membership, "view") else rules.none()


def runs_for(membership, params=None) -> QuerySet[Run]:
    runs = Run.objects.select_related("rule", "version").prefetch_related("steps")
    if not services.can(membership, "view"):
        return runs.none()
    params = params or {}
    if "rule" in params:
        runs = runs.filter(rule_id=as_id(params["rule"]))
    if params.get("status") in dict(Run.STATUSES):
        runs = runs.filter(status=params["status"])
    if "object_type" in params and "object_id" in params:
        runs = runs.filter(object_type=params["object_type"][:40],
                           object_id=as_id(params["object_id"]))  # fmt: skip
    return runs.order_by("-id")
