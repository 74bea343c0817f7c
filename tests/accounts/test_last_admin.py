"""The last-admin guard under concurrency: two admins demoting each other at the same moment
must leave one admin, in two real transactions on two connections."""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from crm.accounts import services
from crm.accounts.models import Membership, Role
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, make_workspace


def _both_at_once(monkeypatch, calls):
    """Run each call in its own thread and transaction. Each save of a membership waits (up to
    a second) for the other thread to reach its save too, so without a lock both checks run
    before either change is committed."""
    barrier = threading.Barrier(len(calls))
    original = Membership.save

    def save_together(self, *args, **kwargs):
        # A broken barrier: the other thread waits for our lock, so carry on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Membership, "save", save_together)
    outcomes = []

    def run(call):
        try:
            call()
            outcomes.append("done")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _admins(tenant) -> int:
    with tenant_scope(tenant):
        return Membership.objects.filter(is_active=True, role__can_manage_workspace=True).count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["demote", "deactivate"])
def test_two_admins_removing_each_other_at_once_leave_one(monkeypatch, how):
    tenant, first = make_workspace("Racing")
    second = add_member(tenant, "admin")
    with tenant_scope(tenant):
        manager = Role.objects.get(key="manager")

    def remove(actor_id, target_id):
        def call():
            with tenant_scope(tenant):
                actor = Membership.objects.select_related("role", "user", "tenant").get(pk=actor_id)
                target = Membership.objects.select_related("role").get(pk=target_id)
            with tenant_scope(tenant, actor.user):
                if how == "demote":
                    services.member_update(actor=actor, membership=target, role=manager)
                else:
                    services.member_deactivate(actor=actor, membership=target)

        return call

    outcomes = _both_at_once(
        monkeypatch, [remove(first.pk, second.pk), remove(second.pk, first.pk)]
    )
    assert sorted(outcomes) == ["The workspace needs at least one admin.", "done"], outcomes
    assert _admins(tenant) == 1
