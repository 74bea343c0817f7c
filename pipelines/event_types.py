"""The funnels' set-up events: pipelines, stages and lost reasons (every member works with
them, so every member may see them)."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import MEMBERS, declare


def declare_all() -> None:
    pipeline = ("changes", "name")
    for verb, label in (
        ("created", _("Funnel created")),
        ("updated", _("Funnel renamed")),
        ("archived", _("Funnel archived")),
        ("restored", _("Funnel restored")),
        ("deleted", _("Funnel deleted")),
        ("stages_reordered", _("Funnel stages reordered")),
    ):
        declare(f"pipeline.{verb}", label, subject="pipeline", payload=pipeline, audience=MEMBERS)
    stage = ("changes", "name", "pipeline", "moved_deals", "moved_to")
    declare("stage.created", _("Stage created"), subject="stage", payload=stage, audience=MEMBERS)
    declare("stage.updated", _("Stage changed"), subject="stage", payload=stage, audience=MEMBERS)
    declare("stage.deleted", _("Stage deleted"), subject="stage", payload=stage, audience=MEMBERS)
    for verb, label in (
        ("created", _("Lost reason added")),
        ("updated", _("Lost reason changed")),
        ("deleted", _("Lost reason deleted")),
    ):
        declare(
            f"lost_reason.{verb}",
            label,
            subject="lostreason",
            payload=("changes", "name"),
            audience=MEMBERS,
        )
