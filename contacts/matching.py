"""The contact matcher: which clients of the workspace have these emails or phones.

One place answers it for every path that meets a client's address: the duplicate warning
before a record is saved (`duplicates.candidates_for`), the importer's merge
(`importer.loader`), and the inbox linking a message to the client who wrote it. Keys are
normalised first (`keys_for`): an email lower-cased, a phone in E.164, so "+7 916 123-45-67"
and "8 (916) 1234567" are one key.

Two plans, chosen by the number of keys, return the same answer:
- a few keys (a record, a message): `emails && keys OR phones && keys`, which the GIN
  indexes on both columns serve (arrayoverlap is LEAKPROOF, docker/search-operators.sql, so
  row-level security does not stop the index); a handful of index probes;
- many keys (a spreadsheet): the keys are COPYed into a TEMP table, analysed, and hash-joined
  with the workspace's unnested emails and phones in one pass, instead of probing the index
  once per key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from crm.tenancy.models import CURRENT_TENANT

from . import normalize
from .copying import copy_into, copy_line
from .models import Company, Contact

# Up to this many keys the index plan wins; above it one pass over the workspace does.
INDEX_PLAN_MAX = 200

Condition = tuple[str, list]  # SQL over the unaliased records table, and its parameters


def keys_for(emails: Iterable[str] = (), phones: Iterable[str] = (), region: str = "US") -> list:
    """The match keys of raw addresses, as the records store them; ones that do not read as
    an email or a phone are left out (a message from "MAILER-DAEMON" matches nobody)."""
    keys = []
    for raw, clean in [*((e, normalize.email) for e in emails),
                       *((p, lambda v: normalize.phone(v, region)) for p in phones)]:  # fmt: skip
        try:
            keys.append(clean(raw))
        except ValidationError:
            continue
    return list(dict.fromkeys(k for k in keys if k))


def match(
    keys: Iterable[str],
    *,
    model: type[Contact | Company] = Contact,
    visible: Condition | None = None,
    exclude: int | None = None,
) -> dict[str, list[int]]:
    """{key: ids of the records holding it as an email or a phone, oldest first}, in the
    current workspace; only among those `visible` lets through (`selectors.visible_sql`)
    when it is given. Keys no record holds are absent."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    table = model._meta.db_table
    condition, params = visible or ("TRUE", [])
    if exclude is not None:
        condition, params = f"({condition}) AND {table}.id <> %s", [*params, exclude]
    with connection.cursor() as cursor:
        if len(keys) <= INDEX_PLAN_MAX:
            rows = _by_index(cursor, table, keys, condition, params)
        else:
            rows = _by_hash_join(cursor, table, keys, condition, params)
    found: dict[str, list[int]] = defaultdict(list)
    for record_id, key in rows:
        found[key].append(record_id)
    return dict(found)


def _by_index(cursor, table: str, keys: list[str], condition: str, params: list) -> list:
    cursor.execute(
        f"""
        SELECT {table}.id, k.key
        FROM {table}, unnest({table}.emails || {table}.phones) AS k(key)
        WHERE {table}.tenant_id = {CURRENT_TENANT}
          AND ({table}.emails && %s::varchar[] OR {table}.phones && %s::varchar[])
          AND k.key = ANY(%s::varchar[]) AND ({condition})
        ORDER BY {table}.id
        """,  # noqa: S608 (the condition is compiled by the ORM; values are parameters)
        [keys, keys, keys, *params],
    )
    return cursor.fetchall()


def _by_hash_join(cursor, table: str, keys: list[str], condition: str, params: list) -> list:
    # In a transaction (a savepoint inside the caller's), so the TEMP table lives until the
    # statement below has read it, whether or not the caller holds one.
    with transaction.atomic():
        copy_into(cursor, "match_keys", ["key"], (copy_line([k]) for k in keys))
        cursor.execute("ANALYZE match_keys")
        cursor.execute(
            f"""
            SELECT r.id, r.key FROM (
                SELECT {table}.id, unnest({table}.emails || {table}.phones)::text AS key
                FROM {table}
                WHERE {table}.tenant_id = {CURRENT_TENANT} AND ({condition})
            ) AS r
            JOIN match_keys AS m ON m.key = r.key
            ORDER BY r.id
            """,  # noqa: S608 (the condition is compiled by the ORM; values are parameters)
            params,
        )
        rows = cursor.fetchall()
        cursor.execute("DROP TABLE match_keys")
    return rows
