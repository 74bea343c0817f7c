"""Canned responses: prepared answers with placeholders, shared by the workspace or a
member's own, inserted into a reply with the placeholders filled in for the conversation.

Placeholders are a fixed whitelist (`PLACEHOLDERS`), substituted by a regular expression:
the text a member writes never reaches a template engine, so it can reach no attribute
beyond the list. An unknown placeholder is refused on save, by name.

Who sees which: every member who may see conversations sees the shared ones and their own;
a personal one is its owner's alone (even an admin does not see a colleague's). Shared ones
are written by those who manage the workspace; personal ones by their owner.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.selectors import companies_for, contacts_for
from crm.accounts.models import Membership
from deals.models import Deal
from deals.selectors import deals_for

from . import selectors
from .models import CannedResponse, Conversation

# {{ name }}: the name is what lies between the braces, blanks trimmed.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

PLACEHOLDERS = {
    "contact.first_name": gettext_lazy("The client's first name"),
    "contact.last_name": gettext_lazy("The client's last name"),
    "contact.full_name": gettext_lazy("The client's full name"),
    "company.name": gettext_lazy("The client's company"),
    "manager.first_name": gettext_lazy("The manager's first name"),
    "manager.full_name": gettext_lazy("The manager's full name"),
    "deal.title": gettext_lazy("The client's latest open deal"),
    "deal.amount": gettext_lazy("That deal's amount"),
}
MAX_TITLE, MAX_TEXT = 120, 4096


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders of `text` not in the whitelist, in order, once each."""
    seen: list[str] = []
    for match in PLACEHOLDER.finditer(text or ""):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def substitute(text: str, values: dict[str, str]) -> str:
    """`text` with each known placeholder replaced by its value ("" when the conversation
    has none: no client linked, no open deal); anything else is left as written."""

    def value(match):
        name = match.group(1)
        return values.get(name, "") if name in PLACEHOLDERS else match.group(0)

    return PLACEHOLDER.sub(value, text)


def values_for(actor: Membership, conversation: Conversation) -> dict[str, str]:
    """The placeholders' values for a conversation, as `actor` may see them: a client, a
    company or a deal the actor cannot open gives empty values, never its name. The manager
    is the conversation's assignee, or the actor while it is unassigned (answering takes
    it). At most three queries."""
    values = dict.fromkeys(PLACEHOLDERS, "")
    manager = conversation.assignee if conversation.assignee_id else actor.user
    if manager is not None:  # the system (a rule) answering an unassigned one is nobody
        values["manager.first_name"] = manager.first_name or manager.display_name
        values["manager.full_name"] = manager.display_name
    if not conversation.contact_id:
        return values
    contact = contacts_for(actor).filter(pk=conversation.contact_id).first()
    if contact is None:
        return values
    values["contact.first_name"] = contact.first_name
    values["contact.last_name"] = contact.last_name
    values["contact.full_name"] = contact.full_name
    if contact.company_id:
        company = companies_for(actor).filter(pk=contact.company_id).values("name").first()
        values["company.name"] = company["name"] if company else ""
    deal = (
        deals_for(actor)
        .filter(contacts=contact, status=Deal.OPEN)
        .order_by("-created_at", "-id")
        .values("title", "amount", "currency")
        .first()
    )
    values["deal.title"] = deal["title"] if deal else ""
    values["deal.amount"] = _amount(deal["amount"], deal["currency"]) if deal else ""
    return values


def _amount(amount, currency: str) -> str:
    return f"{amount:,.2f} {currency}".replace(",", "\u00a0")


def values_for_record(actor: Membership, deal: Deal | None, contact) -> dict[str, str]:
    """The placeholders' values for a rule's record: the deal (its title, amount, and its
    owner as the manager) and its client; for a contact alone, the client, its latest open
    deal, and the contact's owner. Read as `actor` sees them (the system sees all)."""
    values = dict.fromkeys(PLACEHOLDERS, "")
    if contact is not None:
        values["contact.first_name"] = contact.first_name
        values["contact.last_name"] = contact.last_name
        values["contact.full_name"] = contact.full_name
        if contact.company_id:
            company = companies_for(actor).filter(pk=contact.company_id).values("name").first()
            values["company.name"] = company["name"] if company else ""
    if deal is None and contact is not None:
        deal = (
            deals_for(actor)
            .filter(contacts=contact, status=Deal.OPEN)
            .select_related("owner")
            .order_by("-created_at", "-id")
            .first()
        )
    if deal is not None:
        values["deal.title"] = deal.title
        values["deal.amount"] = _amount(deal.amount, deal.currency)
    owner = deal.owner if deal is not None else getattr(contact, "owner", None)
    if owner is not None:
        values["manager.first_name"] = owner.first_name or owner.display_name
        values["manager.full_name"] = owner.display_name
    return values


def render(actor: Membership, response: CannedResponse, conversation: Conversation) -> str:
    return substitute(response.text, values_for(actor, conversation))


# --- reads --------------------------------------------------------------------------------


def canned_for(membership: Membership) -> QuerySet[CannedResponse]:
    """The shared responses and the member's own; none for a role without the inbox."""
    if not membership.can(selectors.OBJECT_TYPE, "view"):
        return CannedResponse.objects.none()
    return CannedResponse.objects.filter(Q(owner=None) | Q(owner_id=membership.user_id))


def search(qs: QuerySet[CannedResponse], text: str) -> QuerySet[CannedResponse]:
    text = (text or "").strip()[:100]
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(text__icontains=text))
    return qs.order_by("title", "id")


# --- writes -------------------------------------------------------------------------------


def _may_write(actor: Membership, shared: bool) -> None:
    if not actor.can(selectors.OBJECT_TYPE, "view"):
        raise PermissionDenied(_("Your role does not allow this."))
    if shared and not actor.role.can_manage_workspace:
        raise PermissionDenied(
            _("Only those who manage the workspace may change shared responses.")
        )


def _clean(title: str, text: str) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the response a title.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_("A title may be at most %(n)s characters.") % {"n": MAX_TITLE}]
    if not text:
        errors["text"] = [_("Write the response's text.")]
    elif len(text) > MAX_TEXT:
        errors["text"] = [_("A response may be at most %(n)s characters.") % {"n": MAX_TEXT}]
    else:
        unknown = unknown_placeholders(text)
        if unknown:
            errors["text"] = [
                _("Unknown placeholder: %(names)s. Use one of: %(known)s.")
                % {
                    "names": ", ".join("{{" + name + "}}" for name in unknown),
                    "known": ", ".join("{{" + name + "}}" for name in PLACEHOLDERS),
                }
            ]
    if errors:
        raise ValidationError(errors)
    return title, text


@transaction.atomic
def canned_create(*, actor: Membership, title: str, text: str, shared: bool) -> CannedResponse:
    """A new response: shared (the workspace's) or the actor's own. ValidationError by
    field for an empty or too long title or text, or an unknown placeholder."""
    _may_write(actor, shared)
    title, text = _clean(title, text)
    return CannedResponse.objects.create(
        title=title, text=text, owner=None if shared else actor.user, created_by=actor.user
    )


def _writable(actor: Membership, response: CannedResponse | int) -> CannedResponse:
    """The response again, through what the actor sees, locked: a colleague's personal one
    is not found at all."""
    pk = getattr(response, "pk", response)
    found = canned_for(actor).select_for_update().filter(pk=pk).first()
    if found is None:
        raise PermissionDenied(_("You cannot see this response."))
    _may_write(actor, found.shared)
    return found


@transaction.atomic
def canned_update(
    *, actor: Membership, response: CannedResponse | int, title: str, text: str,
    shared: bool | None = None,
) -> CannedResponse:  # fmt: skip
    found = _writable(actor, response)
    title, text = _clean(title, text)
    found.title, found.text = title, text
    if shared is not None and shared != found.shared:
        _may_write(actor, True)  # sharing one's own, or taking a shared one back
        found.owner = None if shared else actor.user
    found.save()
    return found


@transaction.atomic
def canned_delete(*, actor: Membership, response: CannedResponse | int) -> None:
    _writable(actor, response).delete()
