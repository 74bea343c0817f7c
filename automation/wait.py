"""The engine's "Wait" action: it does nothing itself. A rule says "wait 2 days, then ..."
with it: its `delay` (delays.py, as every action's) is when its step falls due, and the
actions after it are scheduled from then (schedule.next_step). A wait without a delay
would wait for nothing, so the spec refuses it on `actions.N.delay` (spec.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from crm import automations, objects
from crm.automations import Action, Params

from . import delays

KEY = "wait"


class WaitParams(Params):
    """None: the delay is the engine's own key of every action."""


def _run(ctx, params) -> dict:
    return {"waited": True}


def describe(delay: dict | None, object_type: str = "") -> str:
    """The delay in words, for a dry run: "Wait 2 days.", "Wait 1 day, until 09:00, to a
    working day.", "Wait until 3 days before Expected close."."""
    d = delays.Delay.model_validate(delay or {})
    span = []
    if d.days:
        span.append(ngettext("%(n)s day", "%(n)s days", abs(d.days)) % {"n": abs(d.days)})
    if d.hours:
        span.append(ngettext("%(n)s hour", "%(n)s hours", d.hours) % {"n": d.hours})
    if d.minutes:
        span.append(ngettext("%(n)s minute", "%(n)s minutes", d.minutes) % {"n": d.minutes})
    span = " ".join(span)
    if d.field:
        spec = objects.get(object_type)
        found = spec.field(d.field) if spec else None
        label = str(found.label) if found else d.field
        if not span:
            text = _("Wait until %(field)s") % {"field": label}
        elif d.days < 0:
            text = _("Wait until %(span)s before %(field)s") % {"span": span, "field": label}
        else:
            text = _("Wait until %(span)s after %(field)s") % {"span": span, "field": label}
    else:
        text = _("Wait %(span)s") % {"span": span} if span else _("Wait")
    if d.at is not None:
        text = _("%(wait)s, until %(time)s") % {"wait": text, "time": d.at.strftime("%H:%M")}
    if d.working_day:
        text = _("%(wait)s, to a working day") % {"wait": text}
    return text + "."


def register() -> None:
    automations.register_action(Action(
        KEY, gettext_lazy("Wait"), WaitParams, _run,
        describe=lambda ctx, params: _("Wait."),  # the dry run says its delay (dryrun.py)
        help=gettext_lazy("Does nothing itself: the actions after it wait for its delay."),
    ))  # fmt: skip
