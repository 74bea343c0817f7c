"""The event catalogue: every type declared once, emit refuses the rest, consumers get
only the types they subscribe to."""

import ast
import re
from pathlib import Path

import pytest
from django.db import transaction

from crm.activity import catalogue, dispatch
from crm.activity.events import emit, emit_many
from crm.tenancy.context import tenant_scope

ROOT = Path(__file__).resolve().parents[2]
APPS = ["crm", "contacts", "pipelines", "deals", "integrations", "reports"]


def _emitted_types():
    """Every event type named in an `emit(...)` call of the project's code: a string, or
    an f-string (as a pattern), with the file it is in."""
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", "")) == "emit"
                    and node.args
                ):
                    continue
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    yield path, re.escape(arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    parts = [
                        re.escape(v.value) if isinstance(v, ast.Constant) else r"[a-z_]+"
                        for v in arg.values
                    ]
                    yield path, "".join(parts)


def test_every_type_the_code_emits_is_declared():
    emitted = list(_emitted_types())
    assert len(emitted) > 40
    declared = set(catalogue.EVENT_TYPES)
    missing = [
        (str(path.relative_to(ROOT)), pattern)
        for path, pattern in emitted
        if not any(re.fullmatch(pattern, t) for t in declared)
    ]
    assert missing == []


def test_every_declared_type_has_a_label_and_a_subject():
    for spec in catalogue.EVENT_TYPES.values():
        assert str(spec.label) and spec.subject, spec.type
        assert spec.audience in (catalogue.SUBJECT, catalogue.MEMBERS, catalogue.MANAGERS)


def test_consumers_subscribe_to_declared_types():
    for name, subscription in dispatch.SUBSCRIPTIONS.items():
        assert catalogue.unknown_in(subscription) == [], name
    assert dispatch.SUBSCRIPTIONS["audit"] == catalogue.ALL


@pytest.mark.django_db
def test_emit_refuses_an_undeclared_type_and_payload(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user), transaction.atomic():
        with pytest.raises(catalogue.UndeclaredEvent, match="not declared"):
            emit("deal.teleported", actor=owner.user, subject=owner)
        with pytest.raises(catalogue.UndeclaredEvent, match="payload"):
            emit("test.happened", actor=owner.user, subject=owner, data={"secret": 1})


@pytest.mark.django_db
def test_a_consumer_gets_only_the_types_it_subscribes_to(workspace, monkeypatch):
    tenant, owner = workspace
    seen = []
    monkeypatch.setitem(dispatch.CONSUMERS, "spy", lambda event: seen.append(event.type))
    monkeypatch.setitem(dispatch.SUBSCRIPTIONS, "spy", frozenset({"test.*"}))
    with tenant_scope(tenant, owner.user):
        dispatch.dispatch_pending()
        seen.clear()
        with transaction.atomic():
            wanted = emit("test.happened", actor=owner.user, subject=owner)
            other = emit("member.updated", actor=owner.user, subject=owner)
        assert dispatch.dispatch(wanted.pk) and dispatch.dispatch(other.pk)
    assert seen == ["test.happened"]


def test_a_batch_carries_its_records_as_id_ranges():
    assert catalogue.id_ranges([9, 3, 5, 4, 4]) == [[3, 5], [9, 9]]
    assert catalogue.id_ranges([]) == []
    batch = catalogue.get("contact.imported")
    assert batch.expands_to == "contact.created" and "ids" in batch.payload


@pytest.mark.django_db
def test_emit_many_writes_one_event_per_subject_and_dispatches_them(
    workspace, monkeypatch, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    seen = []
    monkeypatch.setitem(dispatch.CONSUMERS, "spy", lambda event: seen.append(event.subject_id))
    monkeypatch.setitem(dispatch.SUBSCRIPTIONS, "spy", frozenset({"test.happened"}))
    with tenant_scope(tenant, owner.user):
        with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
            events = emit_many(
                "test.happened", actor=owner.user, subjects=[owner, owner.user], related=[owner]
            )
        assert [e.subject_type for e in events] == ["membership", "user"]
        assert all(e.related == [["membership", owner.pk]] for e in events)
    # One task, run eagerly in the tests, dispatched both on commit.
    assert len(callbacks) == 1
    assert sorted(seen) == sorted([owner.pk, owner.user.pk])
