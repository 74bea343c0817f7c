"""Reads of the client base, shared by pages, the API, search and exports."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import EmptyResultSet
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from crm import objects
from crm.accounts.models import Membership
from crm.accounts.selectors import visible_to
from crm.web.params import clean_text, parse_date, parse_id, parse_int

from . import custom_fields, normalize
from .models import Company, Contact, CustomField

MAX_DAYS = 100 * 366  # "no contact for N days": a century is more than any base has
SEARCH_MAX = 200
TAG_MAX = 100


def sortable(object_type: str) -> set[str]:
    """The ORM paths a list may be sorted by: the registry's sortable fields (custom ones
    sort as `cf_<key>`)."""
    return {f.lookup for f in objects.get(object_type).fields if f.sortable}


def contacts_for(membership: Membership) -> QuerySet[Contact]:
    qs = Contact.objects.select_related("company", "owner")
    return visible_to(qs, membership, "contact")


def companies_for(membership: Membership) -> QuerySet[Company]:
    return visible_to(Company.objects.select_related("owner"), membership, "company")


def records_for(membership: Membership, object_type: str) -> QuerySet:
    return contacts_for(membership) if object_type == "contact" else companies_for(membership)


def visible_sql(membership: Membership, object_type: str) -> tuple[str, list]:
    """`records_for`'s condition as SQL on the unaliased records table ("contacts_contact"
    or "contacts_company"), for the set-based statements that cannot take a queryset (the
    importer's hash joins, the duplicate groups): the same rule, with no per-row work."""
    qs = records_for(membership, object_type)
    query = qs.query
    if {alias for alias, uses in query.alias_refcount.items() if uses} - {query.base_table}:
        # A condition through a join would name a table the raw statement does not have.
        raise ValueError("The visibility rule must be a condition on the records' own table.")
    try:
        sql, params = query.get_compiler(using=qs.db).compile(query.where)
    except EmptyResultSet:  # no view right: nothing is visible
        return "FALSE", []
    return sql or "TRUE", list(params)


# A search read for a top-N (the API, the search box, a list page: a LIMIT of at most
# TOP_N_MAX) ranks a sample of the matches: max(CANDIDATES, LIMIT) exact ones, or as many
# as max(CLOSE_CANDIDATES, LIMIT) close ones (see _Found).
CANDIDATES = 100
CLOSE_CANDIDATES = 40
TOP_N_MAX = 500


def search(qs: QuerySet, text: str, region: str = "US") -> QuerySet:
    """Names, companies, emails, phones typed in any format; partial and with typos.

    The records that contain every word of `text`; if there are none, those where every word
    is close to a word of the record (pg_trgm word similarity, `%>`); if there are none
    either, those close to the whole text. Best matches first."""
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
        for v in sorted(variants):
            match |= Q(search__contains=v)
        return qs.filter(_Found(qs, [match]))
    if len(text) < 3:
        return qs.filter(search__contains=text)
    words = text.split()
    tiers = [Q(*(Q(search__contains=w) for w in words))]
    if len(words) == 1:
        tiers.append(Q(search__trigram_word_similar=text))
    else:
        tiers.append(Q(*(_close_to(w) for w in words)))
        tiers.append(Q(search__trigram_word_similar=text))
    return (
        qs.filter(_Found(qs, tiers))
        .annotate(rank=TrigramWordSimilarity(text, "search"))
        .order_by("-rank", "pk")
    )


def _close_to(word: str) -> Q:
    if len(word) < 3:
        return Q(search__contains=word)
    return Q(search__contains=word) | Q(search__trigram_word_similar=word)


class _Found(Expression):
    """`pk = ANY(ARRAY(ids))`: the ids of `qs`'s records that match the first of `tiers`
    (Q objects) that matches any; a tier's SQL runs only if every tier before it found none.

    The trigram index answers a match as a bitmap, and a common word ("ivan", "acme") matches
    tens of thousands of records, each one to be read to check and rank. So when the query
    this filters reads a top-N (a LIMIT of at most TOP_N_MAX), each tier stops after a few
    more records than the LIMIT (CANDIDATES for the first, CLOSE_CANDIDATES for the others,
    whose matches cost more to check) and only those are ranked: the best of a sample of the
    matches, read in milliseconds. Read whole (an export, a count), every match is found."""

    output_field = BooleanField()

    def __init__(self, qs: QuerySet, tiers: list[Q], pk=None):
        super().__init__(output_field=BooleanField())
        self.tiers = [qs.order_by().filter(tier).values("pk") for tier in tiers]
        self.pk = pk if pk is not None else F("pk")

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        (self.pk,) = exprs

    def as_sql(self, compiler, connection):
        high = compiler.query.high_mark
        top_n = high is not None and high <= TOP_N_MAX
        ctes, params = [], []
        for i, tier in enumerate(self.tiers):
            query = tier.query.clone()
            if top_n:
                query.set_limits(high=max(high, CLOSE_CANDIDATES if i else CANDIDATES))
            sql, tier_params = query.get_compiler(connection=connection).as_sql()
            guard = " AND ".join(f"NOT EXISTS (SELECT FROM found{j})" for j in range(i))
            # The SQL is Django's, its values are parameters.
            ctes.append(
                f"found{i}(id) AS (SELECT * FROM ({sql}) AS tier{i}"  # noqa: S608
                + (f" WHERE {guard})" if guard else ")")
            )
            params.extend(tier_params)
        union = " UNION ALL ".join(
            f"SELECT id FROM found{i}"  # noqa: S608
            for i in range(len(self.tiers))
        )
        pk_sql, pk_params = compiler.compile(self.pk)
        return (
            f"{pk_sql} = ANY(ARRAY(WITH {', '.join(ctes)} {union}))",
            [*pk_params, *params],
        )


def apply_filters(qs: QuerySet, params, object_type: str, region: str = "US") -> QuerySet:
    """Filters a list understands, from query parameters (a dict or a QueryDict). A value
    that cannot be read raises InvalidParameter (a 400 that names the parameter)."""
    get = params.get
    owner = get("owner")
    if owner:
        qs = qs.filter(owner_id=None if owner == "none" else parse_id(owner, "owner"))
    tags = params.getlist("tag") if hasattr(params, "getlist") else params.get("tag", [])
    if isinstance(tags, str):
        tags = [tags]
    tags = [t for t in (clean_text(t, "tag", max_length=TAG_MAX) for t in tags) if t]
    if tags:
        qs = qs.filter(tags__contains=tags)
    company = parse_id(get("company"), "company")
    if company is not None and object_type == "contact":
        qs = qs.filter(company_id=company)
    for name, lookup in (("created_after", "gte"), ("created_before", "lte")):
        day = parse_date(get(name), name)
        if day is not None:
            qs = qs.filter(**{f"created_at__date__{lookup}": day})
    now = timezone.now()
    for name, field in (("no_contact_days", "last_activity_at"),
                        ("no_purchase_days", "last_purchase_at")):  # fmt: skip
        days = parse_int(get(name), name, min_value=0, max_value=MAX_DAYS)
        if days is not None:
            cutoff = now - timedelta(days=days)
            qs = qs.filter(Q(**{f"{field}__lt": cutoff}) | Q(**{field: None}))
    for key, value in params.items():
        if key.startswith("cf_") and value not in ("", None):
            qs = qs.filter(
                custom__contains={key[3:]: _custom_filter_value(key[3:], value, object_type)}
            )
    q = clean_text(get("q"), "q", max_length=SEARCH_MAX)
    if q:
        # Last: search reads its candidates from the records the other filters leave.
        qs = search(qs, q, region)
    return qs


def _custom_filter_value(key: str, value, object_type: str):
    field = CustomField.objects.filter(object_type=object_type, key=key).first()
    if field is None:
        return value

    cleaned = custom_fields.clean_value(field, value)
    return [cleaned[0]] if isinstance(cleaned, list) else cleaned


def apply_ordering(qs: QuerySet, ordering: str, object_type: str) -> QuerySet:
    if not ordering:
        return qs if qs.query.order_by else qs.order_by(*qs.model._meta.ordering)
    desc = ordering.startswith("-")
    name = ordering.lstrip("-")
    if name.startswith("cf_"):
        expr = KeyTextTransform(name[3:], "custom")
    elif name in sortable(object_type):
        expr = F(name)
    else:
        return qs
    return qs.order_by(expr.desc(nulls_last=True) if desc else expr.asc(nulls_last=True), "pk")
