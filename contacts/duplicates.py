"""Finding records that are probably the same client."""

from __future__ import annotations

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Q, Value
from django.db.models.functions import Concat

from crm.tenancy.context import require_tenant_id

from .models import Company

NAME_SIMILARITY = 0.6


def candidates_for(record, limit: int = 5) -> list:
    """Existing records that look like `record`: same email, same phone, or a very similar
    name (in the same company, for contacts)."""
    model = type(record)
    match = Q(pk__in=[])
    if record.emails:
        match |= Q(emails__overlap=record.emails)
    if record.phones:
        match |= Q(phones__overlap=record.phones)
    qs = model.objects.exclude(pk=record.pk)
    if model is Company:
        if record.domain:
            match |= Q(domain=record.domain)
        similar = qs.annotate(similarity=TrigramSimilarity("name", record.name)).filter(
            search__trigram_similar=record.name.lower(), similarity__gte=NAME_SIMILARITY
        )
        found = list(qs.filter(match)[:limit])
        found += [c for c in similar[:limit] if c not in found]
        return found[:limit]
    found = list(qs.select_related("company").filter(match)[:limit])
    name = f"{record.first_name} {record.last_name}".strip()
    if record.company_id and name:
        similar = (
            qs.select_related("company")
            .filter(company_id=record.company_id)
            .annotate(
                similarity=TrigramSimilarity(Concat("first_name", Value(" "), "last_name"), name)
            )
            .filter(similarity__gte=NAME_SIMILARITY)
            .order_by("-similarity")
        )
        found += [c for c in similar[:limit] if c not in found]
    return found[:limit]


GROUP_SQL = {
    "contact": [
        (
            "email",
            "SELECT e, array_agg(id ORDER BY id) FROM contacts_contact, unnest(emails) e "
            "WHERE tenant_id = %s GROUP BY e HAVING count(*) > 1",
        ),
        (
            "phone",
            "SELECT p, array_agg(id ORDER BY id) FROM contacts_contact, unnest(phones) p "
            "WHERE tenant_id = %s GROUP BY p HAVING count(*) > 1",
        ),
        (
            "name",
            "SELECT lower(first_name || ' ' || last_name), array_agg(id ORDER BY id) "
            "FROM contacts_contact WHERE tenant_id = %s AND company_id IS NOT NULL "
            "AND (first_name <> '' OR last_name <> '') "
            "GROUP BY company_id, lower(first_name || ' ' || last_name) "
            "HAVING count(*) > 1",
        ),
    ],
    "company": [
        (
            "name",
            "SELECT lower(name), array_agg(id ORDER BY id) FROM contacts_company "
            "WHERE tenant_id = %s GROUP BY lower(name) HAVING count(*) > 1",
        ),
        (
            "domain",
            "SELECT domain, array_agg(id ORDER BY id) FROM contacts_company "
            "WHERE tenant_id = %s AND domain <> '' GROUP BY domain HAVING count(*) > 1",
        ),
        (
            "email",
            "SELECT e, array_agg(id ORDER BY id) FROM contacts_company, unnest(emails) e "
            "WHERE tenant_id = %s GROUP BY e HAVING count(*) > 1",
        ),
    ],
}


def groups(object_type: str, limit: int = 100) -> list[dict]:
    """Groups of records sharing an email, a phone or a name: [{reason, value, ids}]."""
    tenant_id = require_tenant_id()
    seen, out = set(), []
    with connection.cursor() as cur:
        for reason, sql in GROUP_SQL[object_type]:
            cur.execute(f"{sql} ORDER BY 1 LIMIT %s", [tenant_id, limit])
            for value, ids in cur.fetchall():
                key = tuple(ids)
                if key not in seen:
                    seen.add(key)
                    out.append({"reason": reason, "value": value, "ids": list(ids)})
    return out[:limit]


def visible_groups(object_type: str, visible, limit: int = 100) -> list[dict]:
    """`groups`, keeping only the records in `visible` and groups still of two or more."""
    found = groups(object_type, limit)
    ids = visible.filter(pk__in={i for g in found for i in g["ids"]}).values_list("pk", flat=True)
    seen = set(ids)
    out = []
    for group in found:
        kept = [i for i in group["ids"] if i in seen]
        if len(kept) > 1:
            out.append({**group, "ids": kept})
    return out
