"""The automation catalogue: the triggers, condition fields and actions rules are made of.

The platform knows no app, and the engine (`automation/`) imports none: each app registers
its entries here from `AppConfig.ready()` (its `automations.py`), and the engine, the rule
editor and the API read this registry only.

- A **trigger** listens to event types of the event catalogue (crm/activity/catalogue.py)
  and says which records of one object type a rule acts on for an event (a deal that
  entered a stage; the deal of an invoice that was paid). Its parameters are a pydantic
  model; `key(params)` and `event_key(event)` let the engine index rules (by stage, say) so
  an event looks at the few rules that can match it, not at all of them.
- **Conditions** read the fields of the object-type registry (crm/objects.py), the
  workspace's custom fields included: nothing to register for a new field.
- An **action** has a key, a label, a pydantic model of its parameters, a `validate` that
  checks every id it names (stage, user, template, channel) against the current workspace
  (when a rule is saved, and again when it runs), an idempotent `run(ctx, params)` that
  returns what it did (JSON), and an optional `describe(ctx, params)` for dry runs.

A validator raises `Invalid(field, message)`: the field is the parameter's name, and the
engine prefixes it with where the parameter sits in the rule ("actions.0.stage").
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """The base of every trigger's and action's parameters: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class Invalid(ValueError):
    """A rule names something that is not there, or not allowed: which field, and why."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


class Stopped(Exception):
    """An action decides not to act (the record is gone, the stage it was for was left):
    the step ends `skipped` with this reason, which is not a failure."""


@dataclass
class Context:
    """What an action runs with: the workspace's system actor (a Membership-like object
    allowed everything, with no user), the record, the event that started the run and the
    rule. `key` is unique per (run, step): the idempotency key for work outside the
    database. With `dry_run`, only `describe` is called."""

    actor: Any
    object_type: str
    object_id: int | None
    event: Any = None
    rule_id: int | None = None
    rule_name: str = ""
    run_id: int | None = None
    step: int = 0
    dry_run: bool = False
    # How many runs of this rule came before this one (round robin), asked only when needed.
    count_earlier_runs: Callable[[], int] | None = field(default=None, repr=False)
    # Shared by the steps of one batch, in one transaction: what an action looked up that
    # does not change with the record (a member's account by id), read once per batch.
    memo: dict = field(default_factory=dict, repr=False)
    _record: Any = field(default=None, repr=False)

    def sequence(self) -> int:
        return self.count_earlier_runs() if self.count_earlier_runs else 0

    @property
    def key(self) -> str:
        return f"automation:{self.run_id}:{self.step}"

    def record(self, *, lock: bool = False):
        """The record the rule acts on, as it is now (None when it is gone)."""
        from crm import objects

        spec = objects.get(self.object_type)
        if spec is None or spec.model is None or self.object_id is None:
            return None
        if lock:
            return (
                spec.model.objects.select_for_update(of=("self",)).filter(pk=self.object_id).first()
            )
        if self._record is None:
            self._record = spec.model.objects.filter(pk=self.object_id).first()
        return self._record


def _subject_records(event, params) -> list[int]:
    return [event.subject_id]


def _no_key(params) -> Hashable | None:
    return None


def _no_event_key(event) -> Hashable | None:
    return None


def _nothing_to_check(params) -> None:
    return None


@dataclass(frozen=True)
class Trigger:
    key: str  # "deal.stage_entered"
    label: Any
    events: tuple[str, ...]  # event types it listens to
    object_type: str  # the records its rules act on ("deal")
    params: type[Params] = Params
    # The ids of the records an event concerns for these parameters ([] when it does not
    # match): cheap, on the event's data where it can be.
    records: Callable[[Any, Any], list[int]] = _subject_records
    # Index: a rule is filed under index(params), an event looks up event_index(event), a
    # key or a list of keys (and the rules filed under None, which take every event).
    index: Callable[[Any], Hashable | None] = _no_key
    event_index: Callable[[Any], Hashable | None] = _no_event_key
    validate: Callable[[Any], None] = _nothing_to_check
    # The funnel and stage a rule of this trigger belongs to ((None, None): workspace-wide).
    scope: Callable[[Any], tuple[int | None, int | None]] = lambda params: (None, None)
    # For a dry run on a record: the event as if the record had just had it, as
    # {"type": ..., "data": {...}} (by default the trigger's first event type, no data).
    simulate: Callable[[Any], dict] | None = None
    help: Any = ""
    # A trigger on time passing rather than on a change ("idle in the stage for N days"):
    # beat calls sweep(params of the workspace's active rules of this trigger) in the
    # workspace's scope, and it emits the events that are due, once each; how many.
    sweep: Callable[[list[Any]], int] | None = None
    # As Action.choices: the workspace's ids its parameters may name ({"channel": [...]}).
    choices: Callable[[], dict[str, list]] | None = None


@dataclass(frozen=True)
class Action:
    key: str  # "task.create"
    label: Any
    params: type[Params]
    run: Callable[[Context, Any], dict]
    validate: Callable[[Any], None] = _nothing_to_check
    describe: Callable[[Context, Any], str] | None = None
    object_types: tuple[str, ...] = ()  # the record types it acts on; () for any
    # The funnel (and stage) it sends records to, if any: a rule of one funnel may not
    # send them into another's stages.
    scope: Callable[[Any], tuple[int | None, int | None]] = lambda params: (None, None)
    help: Any = ""
    # The workspace's ids its parameters may name, for an editor's selects, read when asked:
    # {"channel": [(id, label), ...]} (stages, users, roles... the editor knows itself).
    choices: Callable[[], dict[str, list]] | None = None


TRIGGERS: dict[str, Trigger] = {}
ACTIONS: dict[str, Action] = {}


def register_trigger(trigger: Trigger) -> Trigger:
    if trigger.key in TRIGGERS:
        raise ValueError(f"automation trigger {trigger.key!r} is registered twice")
    TRIGGERS[trigger.key] = trigger
    return trigger


def register_action(action: Action) -> Action:
    if action.key in ACTIONS:
        raise ValueError(f"automation action {action.key!r} is registered twice")
    ACTIONS[action.key] = action
    return action


def trigger(key: str) -> Trigger | None:
    return TRIGGERS.get(key)


def action(key: str) -> Action | None:
    return ACTIONS.get(key)


# Work an action sent after its step committed, refused later (a channel refusing a
# message), is reported by its ctx.key; the engine fails that step so the run history shows
# it and it can be retried.
_delivery_failure_handler: list[Callable[[str, str], bool]] = []


def on_delivery_failure(handler: Callable[[str, str], bool]) -> None:
    _delivery_failure_handler[:] = [handler]


def delivery_failed(key: str, error) -> bool:
    """Report that the work keyed `key` (a Context.key) was refused, with why."""
    if not _delivery_failure_handler:
        return False
    return _delivery_failure_handler[0](key, str(error))


def event_types() -> frozenset[str]:
    """Every event type some trigger listens to: what the engine subscribes to."""
    return frozenset(t for trig in TRIGGERS.values() for t in trig.events)


def triggers_of(event_type: str) -> list[Trigger]:
    return [t for t in TRIGGERS.values() if event_type in t.events]
