"""Celery tasks that run inside one tenant.

A tenant task takes the tenant id as its first argument (never a model instance) and runs its
body inside that tenant's scope, so the ORM filter and row-level security both apply.
"""

import functools

from celery import shared_task

from .context import tenant_scope


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
