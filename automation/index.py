"""The active rules of a workspace, indexed by what can start them, cached per process.

An event looks up its type, then the trigger's index key (a stage, say): with a thousand
rules in a workspace, an event that matches none costs a dictionary lookup and one Redis
read (the workspace's rules generation), not a query. Saving, switching or deleting a rule
bumps the generation on commit (`invalidate`), and every process reloads on its next event.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from crm import after_commit, automations

from . import spec as specs
from .models import Rule

MAX_TENANTS = 500  # workspaces whose index a process keeps (least recently used go)


@dataclass(frozen=True)
class Compiled:
    rule_id: int
    version_id: int
    name: str
    position: int
    pipeline_id: int | None
    stage_id: int | None
    trigger: automations.Trigger
    params: Any
    conditions: dict | None
    actions: list


class Index:
    def __init__(self, rules: list[Compiled]):
        self.by_event: dict[str, dict] = defaultdict(lambda: defaultdict(list))
        # The rules of triggers on time passing (Trigger.sweep), for beat's trigger sweep.
        self.swept: dict[str, list[Compiled]] = defaultdict(list)
        for rule in rules:
            if rule.trigger.sweep is not None:
                self.swept[rule.trigger.key].append(rule)
            key = rule.trigger.index(rule.params)
            for event_type in rule.trigger.events:
                self.by_event[event_type][(rule.trigger.key, key)].append(rule)
        self.by_event = {k: dict(v) for k, v in self.by_event.items()}
        self.swept = dict(self.swept)

    def candidates(self, event) -> list[Compiled]:
        buckets = self.by_event.get(event.type)
        if not buckets:
            return []
        found = []
        for trigger in automations.triggers_of(event.type):
            found += buckets.get((trigger.key, None), ())
            keys = trigger.event_index(event)
            if keys is None:
                continue
            for key in keys if isinstance(keys, list | tuple | set | frozenset) else (keys,):
                found += buckets.get((trigger.key, key), ())
        return sorted(found, key=lambda r: (r.position, r.rule_id))


_indexes: OrderedDict[int, tuple[str, Index]] = OrderedDict()


def _key(tenant_id: int) -> str:
    return f"automation:rules:{tenant_id}"


def generation(tenant_id: int) -> str:
    value = cache.get(_key(tenant_id))
    if value is None:  # never set, or evicted: a new one makes every process reload
        cache.add(_key(tenant_id), uuid.uuid4().hex, None)
        value = cache.get(_key(tenant_id))
    return value


def invalidate(tenant_id: int) -> None:
    """Every process reloads the workspace's rules on its next event (after the commit)."""
    after_commit.send(
        lambda: cache.set(_key(tenant_id), uuid.uuid4().hex, None), "the rules' index mark"
    )


def load() -> Index:
    """The current workspace's active rules, compiled (stored specs are valid)."""
    compiled = []
    rows = Rule.objects.filter(is_active=True, version__isnull=False).select_related("version")
    for rule in rows:
        spec = rule.version.spec
        if spec["trigger"]["type"] not in automations.TRIGGERS:
            continue  # its app is gone: the rule waits, it does not break the others
        trigger, params = specs.trigger_of(spec)
        compiled.append(
            Compiled(rule.pk, rule.version_id, rule.name, rule.position, rule.pipeline_id,
                     rule.stage_id, trigger, params, spec.get("conditions"), spec["actions"])
        )  # fmt: skip
    return Index(compiled)


def for_tenant(tenant_id: int) -> Index:
    current = generation(tenant_id)
    cached = _indexes.get(tenant_id)
    if cached is not None and cached[0] == current:
        _indexes.move_to_end(tenant_id)
        return cached[1]
    index = load()
    _indexes[tenant_id] = (current, index)
    _indexes.move_to_end(tenant_id)
    while len(_indexes) > MAX_TENANTS:
        _indexes.popitem(last=False)
    return index
