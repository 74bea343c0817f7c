"""Running a saved report as the viewer: the definition is cleaned against the type as it is
today, so a field that has gone since gives a message, never a 500."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import spec, types
from .compiler import Compiler, Result


@dataclass
class Outcome:
    result: Result | None = None
    problems: list[str] = field(default_factory=list)
    spec: spec.Spec | None = None
    fields: dict = field(default_factory=dict)


def prepare(report_type_key: str, definition: dict) -> Outcome:
    report_type = types.get(report_type_key)
    if report_type is None:
        return Outcome(problems=[_('The report type "%(key)s" no longer exists.')
                                 % {"key": report_type_key}])  # fmt: skip
    fields = report_type.fields()
    try:
        cleaned = spec.clean(definition, fields, report_type.relations())
    except spec.SpecError as exc:
        return Outcome(problems=[m for ms in exc.errors.values() for m in ms], fields=fields)
    return Outcome(spec=cleaned, fields=fields)


def compiler_for(report_type_key: str, definition: dict, membership, time_zone: str):
    """(outcome, compiler): the compiler is None when the definition has problems."""
    outcome = prepare(report_type_key, definition)
    if outcome.spec is None:
        return outcome, None
    return outcome, Compiler(types.get(report_type_key), outcome.spec, membership, time_zone)


def run(report_type_key: str, definition: dict, membership, time_zone: str, *, page=1,
        page_size=100, drill=None) -> Outcome:  # fmt: skip
    outcome, compiler = compiler_for(report_type_key, definition, membership, time_zone)
    if compiler is None:
        return outcome
    outcome.result = compiler.run(page=page, page_size=page_size, drill=drill)
    return outcome
