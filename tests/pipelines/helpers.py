"""Shared by the funnel and deal tests: the default funnel's stages, deals made through the
services, and a logged-in browser in a chosen workspace."""

from __future__ import annotations

from crm.tenancy.context import tenant_scope
from deals import services
from deals.models import Deal
from pipelines.models import Pipeline, Stage


def funnel(tenant) -> tuple[Pipeline, dict[str, Stage]]:
    """The workspace's default "Sales" funnel and its stages by name."""
    with tenant_scope(tenant):
        pipeline = Pipeline.objects.get(name="Sales")
        return pipeline, {s.name: s for s in pipeline.stages.all()}


def new_deal(actor, **data) -> Deal:
    data.setdefault("title", "Deal")
    with tenant_scope(actor.tenant_id, actor.user):
        return services.deal_create(actor=actor, data=data)


def reload(obj):
    """refresh_from_db inside the record's workspace (row-level security hides it outside)."""
    with tenant_scope(obj.tenant_id):
        obj.refresh_from_db()
    return obj
