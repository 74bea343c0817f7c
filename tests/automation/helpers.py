"""Shared by the automation tests: rules made through the services, the events of a change
dispatched as the worker would, and the steps that fall due run as the sweep would."""

from __future__ import annotations

from automation import executor, services
from crm.activity.dispatch import dispatch_pending
from crm.tenancy.context import tenant_scope


def call_task_on(stage, **extra) -> dict:
    """The contract's rule: a call task for the owner on entering `stage`."""
    return {
        "trigger": {"type": "deal.stage_entered", "stage": stage.pk},
        "actions": [{"type": "task.create", "title": "Call the client", "kind": "call",
                     "assignee": "owner", "due_in_minutes": 60, **extra}],
    }  # fmt: skip


def new_rule(actor, name="Call on Qualified", spec=None, **kwargs):
    with tenant_scope(actor.tenant_id, actor.user):
        return services.rule_create(actor=actor, name=name, spec=spec, **kwargs)


def settle(tenant, rounds: int = 10) -> None:
    """Dispatch pending events and run due steps until nothing is left (what the worker
    and the sweep do)."""
    with tenant_scope(tenant):
        for _ in range(rounds):
            dispatched = dispatch_pending()
            ran = executor.run_due()
            if not dispatched and not ran:
                return
