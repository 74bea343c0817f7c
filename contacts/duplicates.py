"""Finding records that are probably the same client."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import QuerySet, Value
from django.db.models.functions import Concat

from crm.accounts.models import Membership
from crm.tenancy.context import require_tenant_id

from . import matching
from .models import Company
from .selectors import visible_sql

NAME_SIMILARITY = 0.6


# Matches looked at before they are split into visible and hidden ones: a new record
# sharing an email or a name with more records than this is rare, and the first ones
# already make the point.
SCAN = 200


@dataclass
class Candidates:
    """Records like a new one: those the member may see, and whether there are others."""

    records: list = field(default_factory=list)
    hidden: bool = False

    def __bool__(self):
        return bool(self.records) or self.hidden


def candidates_for(record, visible: QuerySet, limit: int = 5) -> Candidates:
    """Existing records that look like `record`: same email, same phone, or a very similar
    name (in the same company, for contacts). Up to `limit` of them from `visible` (the
    member's `records_for`); of the rest only whether any exists, so that a member learns
    no more of a record they cannot see than that it is there."""
    ids = _matching_ids(record, SCAN)
    shown = {r.pk: r for r in visible.filter(pk__in=ids)}
    return Candidates(
        records=[shown[i] for i in ids if i in shown][:limit], hidden=len(shown) < len(ids)
    )


def _matching_ids(record, limit: int) -> list[int]:
    """Ids of the workspace's records like `record`, best reasons first; read for the
    split into visible and hidden only, never shown as they are."""
    model = type(record)
    by_key = matching.match([*record.emails, *record.phones], model=model, exclude=record.pk)
    ids = sorted({i for found in by_key.values() for i in found})[:limit]
    qs = model.objects.exclude(pk=record.pk)
    if model is Company:
        if record.domain:
            ids += [
                i
                for i in qs.filter(domain=record.domain).values_list("pk", flat=True)[:limit]
                if i not in ids
            ]
        similar = qs.annotate(similarity=TrigramSimilarity("name", record.name)).filter(
            search__trigram_similar=record.name.lower(), similarity__gte=NAME_SIMILARITY
        )
    else:
        name = f"{record.first_name} {record.last_name}".strip()
        similar = qs.none()
        if record.company_id and name:
            similar = (
                qs.filter(company_id=record.company_id)
                .annotate(
                    similarity=TrigramSimilarity(
                        Concat("first_name", Value(" "), "last_name"), name
                    )
                )
                .filter(similarity__gte=NAME_SIMILARITY)
                .order_by("-similarity")
            )
    ids += [i for i in similar.values_list("pk", flat=True)[:limit] if i not in ids]
    return ids


# Each reads the records the member may see ({visible}: `selectors.visible_sql`, a
# condition on the unaliased table), so the grouping and its LIMIT only ever count those.
GROUP_SQL = {
    "contact": [
        (
            "email",
            "SELECT e, array_agg(id ORDER BY id) FROM contacts_contact, unnest(emails) e "
            "WHERE tenant_id = %s AND ({visible}) GROUP BY e HAVING count(*) > 1",
        ),
        (
            "phone",
            "SELECT p, array_agg(id ORDER BY id) FROM contacts_contact, unnest(phones) p "
            "WHERE tenant_id = %s AND ({visible}) GROUP BY p HAVING count(*) > 1",
        ),
        (
            "name",
            "SELECT lower(first_name || ' ' || last_name), array_agg(id ORDER BY id) "
            "FROM contacts_contact WHERE tenant_id = %s AND ({visible}) "
            "AND company_id IS NOT NULL AND (first_name <> '' OR last_name <> '') "
            "GROUP BY company_id, lower(first_name || ' ' || last_name) "
            "HAVING count(*) > 1",
        ),
    ],
    "company": [
        (
            "name",
            "SELECT lower(name), array_agg(id ORDER BY id) FROM contacts_company "
            "WHERE tenant_id = %s AND ({visible}) GROUP BY lower(name) HAVING count(*) > 1",
        ),
        (
            "domain",
            "SELECT domain, array_agg(id ORDER BY id) FROM contacts_company "
            "WHERE tenant_id = %s AND ({visible}) AND domain <> '' "
            "GROUP BY domain HAVING count(*) > 1",
        ),
        (
            "email",
            "SELECT e, array_agg(id ORDER BY id) FROM contacts_company, unnest(emails) e "
            "WHERE tenant_id = %s AND ({visible}) GROUP BY e HAVING count(*) > 1",
        ),
    ],
}


def visible_groups(object_type: str, membership: Membership, limit: int = 100) -> list[dict]:
    """Groups of records `membership` may see that share an email, a phone or a name:
    [{reason, value, ids}], up to `limit`. Records they may not see take no part, neither in
    a group nor in the limit."""
    tenant_id = require_tenant_id()
    visible, visible_params = visible_sql(membership, object_type)
    seen, out = set(), []
    with connection.cursor() as cur:
        for reason, sql in GROUP_SQL[object_type]:
            cur.execute(
                f"{sql.format(visible=visible)} ORDER BY 1 LIMIT %s",
                [tenant_id, *visible_params, limit],
            )
            for value, ids in cur.fetchall():
                key = tuple(ids)
                if key not in seen:
                    seen.add(key)
                    out.append({"reason": reason, "value": value, "ids": list(ids)})
    return out[:limit]
