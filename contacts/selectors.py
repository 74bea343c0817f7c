"""Reads of the client base, shared by pages, the API, search and exports."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import F, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from crm.accounts.models import Membership
from crm.accounts.selectors import visible_to

from . import normalize
from .models import Company, Contact, CustomField

SORTABLE = {
    "contact": ["last_name", "first_name", "created_at", "updated_at", "last_activity_at",
                "company__name", "position"],
    "company": ["name", "industry", "created_at", "updated_at", "last_activity_at"],
}  # fmt: skip


def contacts_for(membership: Membership) -> QuerySet[Contact]:
    qs = Contact.objects.select_related("company", "owner")
    return visible_to(qs, membership, "contact")


def companies_for(membership: Membership) -> QuerySet[Company]:
    return visible_to(Company.objects.select_related("owner"), membership, "company")


def records_for(membership: Membership, object_type: str) -> QuerySet:
    return contacts_for(membership) if object_type == "contact" else companies_for(membership)


def search(qs: QuerySet, text: str, region: str = "US") -> QuerySet:
    """Names, companies, emails, phones typed in any format; partial and with typos."""
    text = text.strip().lower()
    if not text:
        return qs
    digits = normalize.DIGITS.sub("", text)
    if len(digits) >= 5 and not re.search(r"[^\d\s()+\-.]", text):
        # A phone: match its digits as typed, and as the full E.164 number.
        variants = {digits}
        full = normalize.phone_or_none(text, region)
        if full:
            variants.add(full.lstrip("+"))
        match = Q()
        for v in variants:
            match |= Q(search__contains=v)
        return qs.filter(match)
    if len(text) < 3:
        return qs.filter(search__contains=text)
    return (
        qs.filter(Q(search__contains=text) | Q(search__trigram_word_similar=text))
        .annotate(rank=TrigramWordSimilarity(text, "search"))
        .order_by("-rank", "pk")
    )


def apply_filters(qs: QuerySet, params, object_type: str, region: str = "US") -> QuerySet:
    """Filters a list understands, from query parameters (a dict or a QueryDict)."""
    get = params.get
    if get("q"):
        qs = search(qs, get("q"), region)
    owner = get("owner")
    if owner:
        qs = qs.filter(owner_id=None if owner == "none" else owner)
    tags = params.getlist("tag") if hasattr(params, "getlist") else params.get("tag", [])
    if isinstance(tags, str):
        tags = [tags]
    if tags:
        qs = qs.filter(tags__contains=tags)
    if get("company") and object_type == "contact":
        qs = qs.filter(company_id=get("company"))
    if get("created_after"):
        qs = qs.filter(created_at__date__gte=get("created_after"))
    if get("created_before"):
        qs = qs.filter(created_at__date__lte=get("created_before"))
    now = timezone.now()
    if get("no_contact_days"):
        cutoff = now - timedelta(days=int(get("no_contact_days")))
        qs = qs.filter(Q(last_activity_at__lt=cutoff) | Q(last_activity_at=None))
    if get("no_purchase_days"):
        cutoff = now - timedelta(days=int(get("no_purchase_days")))
        qs = qs.filter(Q(last_purchase_at__lt=cutoff) | Q(last_purchase_at=None))
    for key, value in params.items():
        if key.startswith("cf_") and value not in ("", None):
            qs = qs.filter(
                custom__contains={key[3:]: _custom_filter_value(key[3:], value, object_type)}
            )
    return qs


def _custom_filter_value(key: str, value, object_type: str):
    field = CustomField.objects.filter(object_type=object_type, key=key).first()
    if field is None:
        return value
    from . import custom_fields

    cleaned = custom_fields.clean_value(field, value)
    return [cleaned[0]] if isinstance(cleaned, list) else cleaned


def apply_ordering(qs: QuerySet, ordering: str, object_type: str) -> QuerySet:
    if not ordering:
        return qs if qs.query.order_by else qs.order_by(*qs.model._meta.ordering)
    desc = ordering.startswith("-")
    name = ordering.lstrip("-")
    if name.startswith("cf_"):
        expr = KeyTextTransform(name[3:], "custom")
    elif name in SORTABLE[object_type]:
        expr = F(name)
    else:
        return qs
    return qs.order_by(expr.desc(nulls_last=True) if desc else expr.asc(nulls_last=True), "pk")
