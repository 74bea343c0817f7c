"""Celery tasks that run inside one tenant.

A tenant task takes the tenant id as its first argument (never a model instance) and runs its
body inside that tenant's scope, so the ORM filter and row-level security both apply.
"""

import functools
from collections.abc import Callable

from celery import shared_task

from .context import tenant_scope
from .models import Tenant


def tenant_task(**options):
    """Like shared_task; with bind=True the task itself comes first, then the tenant id."""
    bound = options.get("bind", False)

    def decorate(fn):
        if bound:

            @functools.wraps(fn)
            def run_bound(task, tenant_id, *args, **kwargs):
                with tenant_scope(tenant_id):
                    return fn(task, tenant_id, *args, **kwargs)

            return shared_task(**options)(run_bound)

        @functools.wraps(fn)
        def run_in_tenant(tenant_id, *args, **kwargs):
            with tenant_scope(tenant_id):
                return fn(tenant_id, *args, **kwargs)

        return shared_task(**options)(run_in_tenant)

    return decorate


def for_each_tenant(fn: Callable[[int], int]) -> int:
    """A beat sweep's loop: `fn(tenant_id)` inside each workspace's scope in turn (row-level
    security stays on), summing what it returns. One workspace's failure is raised after the
    others have had their turn, so a broken workspace does not starve the rest."""
    total, failure = 0, None
    for tenant_id in Tenant.objects.values_list("id", flat=True).order_by("id").iterator():
        try:
            with tenant_scope(tenant_id):
                total += fn(tenant_id) or 0
        except Exception as exc:  # re-raised below, after the other tenants have had theirs
            failure = failure or exc
    if failure is not None:
        raise failure
    return total
