"""The deals' events: their life through the funnel, their contacts, products and files;
and the product catalogue's."""

from django.utils.translation import gettext_lazy as _

from crm.activity.catalogue import MEMBERS, declare

STATUS = ("changes", "amount", "reason", "note", "stage", "stage_kind_changed")


def declare_all() -> None:
    declare(
        "deal.created",
        _("Deal created"),
        subject="deal",
        payload=("pipeline", "stage", "pipeline_id", "stage_id", "amount", "currency"),
    )
    declare("deal.updated", _("Deal changed"), subject="deal", payload=("changes",))
    declare("deal.deleted", _("Deal deleted"), subject="deal")
    declare("deal.assigned", _("Deal assigned"), subject="deal", payload=("changes", "owner_id"))
    declare(
        "deal.stage_changed",
        _("Deal moved to another stage"),
        subject="deal",
        payload=("changes", "from", "to"),
    )
    # Beat's sweep (deals/idle.py): in its stage for `days` days since `stage_entered_at`,
    # once per stage entry, for the days an active rule asks about.
    declare(
        "deal.idle",
        _("Deal idle in its stage"),
        subject="deal",
        payload=("pipeline_id", "stage_id", "stage_entered_at", "days"),
    )
    declare("deal.won", _("Deal won"), subject="deal", payload=STATUS)
    declare("deal.lost", _("Deal lost"), subject="deal", payload=STATUS)
    declare("deal.reopened", _("Deal reopened"), subject="deal", payload=STATUS)
    for verb, label in (
        ("added", _("Contact added to a deal")),
        ("updated", _("Contact's role in a deal changed")),
        ("removed", _("Contact removed from a deal")),
    ):
        declare(
            f"deal.contact_{verb}", label, subject="deal", payload=("contact", "role", "changes")
        )
    for verb, label in (
        ("added", _("Product added to a deal")),
        ("updated", _("Product in a deal changed")),
        ("removed", _("Product removed from a deal")),
    ):
        declare(
            f"deal.line_item_{verb}",
            label,
            subject="deal",
            payload=("changes", "line_item", "name"),
        )
    declare(
        "deal.attachment_added",
        _("File attached to a deal"),
        subject="deal",
        payload=("name", "size"),
    )
    declare(
        "deal.attachment_deleted", _("File removed from a deal"), subject="deal", payload=("name",)
    )
    for verb, label in (
        ("created", _("Product added to the catalogue")),
        ("updated", _("Product changed")),
        ("deleted", _("Product deleted")),
    ):
        declare(
            f"product.{verb}",
            label,
            subject="product",
            payload=("changes", "name"),
            audience=MEMBERS,
        )
