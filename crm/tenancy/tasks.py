"""Celery tasks that run inside one tenant.

A tenant task takes the tenant id as its first argument (never a model instance) and runs its
body inside that tenant's scope, so the ORM filter and row-level security both apply.
"""

import functools

from celery import shared_task

from .context import tenant_scope


def tenant_task(**options):
    def decorate(fn):
        @functools.wraps(fn)
        def run_in_tenant(tenant_id, *args, **kwargs):
            with tenant_scope(tenant_id):
                return fn(tenant_id, *args, **kwargs)

        return shared_task(**options)(run_in_tenant)

    return decorate
