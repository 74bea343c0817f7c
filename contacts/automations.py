"""What the client base adds to the automation catalogue (crm/automations.py): a workspace
rule on a new contact (typed in, imported, made from an inbox request), and the actions
that give a contact its owner and tag it.

The actions act through the contact services as the workspace's system actor."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import Field

from crm import assigning, automations
from crm.automations import Action, Params, Trigger

from . import services
from .models import Contact


class NewContactParams(Params):
    """No parameters: every new contact (conditions narrow it down)."""


def _owned(pool: list[int]) -> dict[int, int]:
    return dict(
        Contact.objects.filter(owner_id__in=pool)
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def _assign(ctx, params) -> dict:
    from crm.accounts.models import User

    contact = ctx.record()
    user = User.objects.get(pk=assigning.choose(ctx, params, _owned))
    if contact.owner_id != user.pk:
        services.record_update(actor=ctx.actor, record=contact, data={"owner": user})
    return {"owner": user.pk}


def _describe_assign(ctx, params) -> str:
    return assigning.describe(params, _("Make the member with the fewest contacts the owner."))


class TagParams(Params):
    tag: str = Field(..., min_length=1, max_length=50, description="The tag.")


def _add_tag(ctx, params) -> dict:
    contact = ctx.record()
    tag = params.tag.strip()
    if tag not in contact.tags:
        services.record_update(actor=ctx.actor, record=contact,
                               data={"tags": [*contact.tags, tag]})  # fmt: skip
    return {"tags": contact.tags}


def register() -> None:
    automations.register_trigger(Trigger(
        "contact.created", gettext_lazy("Contact created"), ("contact.created",), "contact",
        NewContactParams,
        help=gettext_lazy("A workspace rule: a contact added by hand, imported or made from "
                          "an inbox request."),
    ))  # fmt: skip
    automations.register_action(Action(
        "contact.assign", gettext_lazy("Assign the contact's owner"), assigning.AssignParams,
        _assign, validate=assigning.check, describe=_describe_assign, object_types=("contact",),
    ))  # fmt: skip
    automations.register_action(Action(
        "contact.add_tag", gettext_lazy("Tag the contact"), TagParams, _add_tag,
        describe=lambda ctx, p: _("Add the tag «%(tag)s».") % {"tag": p.tag},
        object_types=("contact",),
    ))  # fmt: skip
