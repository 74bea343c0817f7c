"""A test-only automation action: it writes a note on the record, then fails its first
attempts (as many as the rule says), the way an action whose worker dies midway would."""

from django.core.cache import cache
from pydantic import Field

from crm import automations
from crm.automations import Action, Params


class FlakyParams(Params):
    failures: int = Field(1, ge=0, le=10)


def _flaky(ctx, params) -> dict:
    from crm.activity.models import Note

    note = Note.objects.create(object_type=ctx.object_type, object_id=ctx.object_id,
                               body=f"flaky {ctx.key}")  # fmt: skip
    tries = cache.get_or_set(f"tests:flaky:{ctx.key}", 0)
    cache.set(f"tests:flaky:{ctx.key}", tries + 1)
    if tries < params.failures:
        raise RuntimeError("the worker died midway")
    return {"note": note.pk}


def register() -> None:
    automations.register_action(Action("test.flaky", "Flaky", FlakyParams, _flaky))
