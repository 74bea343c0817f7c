"""The set-based load: rows validated in Python, then merged into the base with a handful of
statements, whatever the number of rows.

1. `stage()` streams the sheet through the row validator (no ORM objects): clean rows are
   kept as small dicts, failed rows go to the errors writer, and rows of the file that share
   an email or a phone are tied together (union-find), so they become one record.
2. `merge()` runs inside the caller's transaction, in the current tenant's scope, for the
   member who started the import (`actor`). It matches only records that member may see
   (`selectors.visible_sql`, the `visible_to` rule as a condition of each statement): a row
   like a colleague's record the member cannot see is a new record, never an update, and no
   count tells it apart from a row that matches nothing.
   - companies: matched by domain, then by name (case-insensitive); the missing ones are
     inserted in one statement;
   - rows with no email and no phone are tied by name and company instead;
   - existing contacts sharing an email or phone with the file are found by the contact
     matcher (`contacts.matching`: for a file's many keys, one hash join of the keys with
     the workspace's unnested emails and phones);
   - the duplicate policy decides per record: skip it, update the existing contact (fields
     the file fills; emails, phones and tags united), or create it anyway;
   - new and updated records are COPYed into TEMP staging tables and written with one
     INSERT ... SELECT and one UPDATE ... FROM (COPY cannot write into a table under
     row-level security, and the staging table keeps the statements set-based).

Counts: every row of the file ends in exactly one of created, updated, skipped, failed.
A record made of several rows of the file counts once; its other rows count as skipped.
An existing contact that the file would not change counts as skipped too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import DateTimeField
from django.utils import timezone

from crm.accounts.models import Membership
from crm.tenancy.context import require_tenant_id

from .. import matching, normalize
from ..copying import copy_into, copy_line
from ..models import Company, Contact, ImportJob
from ..selectors import visible_sql
from .validate import Context, RowValidator

SEP = "\x1f"  # between the items of a list in a staging column (cannot occur in a value)
LISTS = ("emails", "phones", "tags")
TEXTS = (
    "first_name", "last_name", "middle_name", "position", "telegram", "whatsapp", "source",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
)  # fmt: skip
PROGRESS_EVERY = 5_000


# --- staging -----------------------------------------------------------------------------


class UnionFind:
    """Rows tied together (same email or phone); the root of a set is its first row."""

    def __init__(self):
        self.parent: list[int] = []

    def add(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


@dataclass
class Staged:
    """Clean rows of one file, tied into groups, ready to merge."""

    records: list[dict] = field(default_factory=list)
    groups: UnionFind = field(default_factory=UnionFind)
    keys: dict[str, int] = field(default_factory=dict)  # email / phone -> first row
    total: int = 0
    failed: int = 0


def stage(
    table,
    mapping: dict[int, str],
    context: Context,
    on_error: Callable[[tuple, list[str]], None],
    progress: Callable[[int], None] | None = None,
) -> Staged:
    validator = RowValidator(mapping, table.headers, context)
    staged = Staged()
    records, groups, keys = staged.records, staged.groups, staged.keys
    total = failed = 0
    for _line, cells in table.rows():
        total += 1
        record, errors = validator(cells)
        if record is None:
            failed += 1
            on_error(cells, errors)
        else:
            index = groups.add()
            records.append(record)
            for name in ("emails", "phones"):
                for key in record.get(name, ()):
                    first = keys.setdefault(key, index)
                    if first != index:
                        groups.union(first, index)
        if progress and total % PROGRESS_EVERY == 0:
            progress(total)
    staged.total, staged.failed = total, failed
    return staged


# --- COPY --------------------------------------------------------------------------------


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return SEP.join(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _cast(model, column: str, source: str) -> str:
    """SQL turning the staged text `source` into the value of `column`."""
    f = model._meta.get_field(column.removesuffix("_id") if column.endswith("_id") else column)
    db_type = f.db_type(connection) if not f.is_relation else "bigint"
    if db_type.endswith("[]"):
        return f"string_to_array({source}, E'\\x1f')::{db_type}"
    if db_type.startswith(("varchar", "text")) or f.get_internal_type() in ("CharField",):
        return source
    if f.null:
        return f"NULLIF({source}, '')::{db_type}"
    return f"{source}::{db_type}"


def insert_staged(cursor, model, table: str, columns: list[str]) -> list[int]:
    """INSERT INTO model's table every row of the staging `table` (text `columns`); the
    other columns get the model field's default, timestamps now, and the current tenant.
    Returns the new rows' ids."""
    tenant_id = require_tenant_id()
    now = timezone.now()
    names, values, params = ["tenant_id"], ["%s"], [tenant_id]
    for column in columns:
        names.append(column)
        values.append(_cast(model, column, f'"{column}"'))
    for f in model._meta.concrete_fields:
        if (f.primary_key and "id" not in columns) or f.column in names:
            continue
        if isinstance(f, DateTimeField) and (f.auto_now or f.auto_now_add):
            value = now
        else:
            value = f.get_default()
            if callable(getattr(value, "isoformat", None)) and f.name == "created_at":
                value = now
        if isinstance(value, dict | list):
            if f.get_internal_type() == "JSONField":
                value, placeholder = json.dumps(value), "%s::jsonb"
            else:
                placeholder = f"%s::{f.db_type(connection)}"
        else:
            placeholder = "%s"
        names.append(f.column)
        values.append(placeholder)
        params.append(value)
    cols = ", ".join(f'"{n}"' for n in names)
    # Identifiers from the model and this module only; every value is a parameter.
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({cols}) SELECT {', '.join(values)} FROM {table} "  # noqa: S608
        "RETURNING id",
        params,
    )
    return [row[0] for row in cursor.fetchall()]


def update_staged(cursor, model, table: str, columns: list[str]) -> int:
    """UPDATE model's rows from the staging `table`, matched on its `id` column."""
    sets = [f'"{c}" = {_cast(model, c, f"u.{c}")}' for c in columns if c != "id"]
    sets.append("updated_at = now()")
    cursor.execute(
        f"UPDATE {model._meta.db_table} AS t SET {', '.join(sets)} "  # noqa: S608
        f"FROM {table} AS u WHERE t.id = u.id::bigint"
    )
    return cursor.rowcount


# --- merging -----------------------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    companies_created: int = 0
    merged_in_file: int = 0  # rows folded into another row of the same file
    unchanged: int = 0  # existing contacts the file matched but did not change
    created_ids: list[int] = field(default_factory=list, repr=False)  # for the batch event

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "created_ids"}


def merge(staged: Staged, *, policy: str, actor: Membership) -> Counts:
    """Write the staged rows into the base as `actor`, who owns what the file does not give
    an owner, and whose visibility bounds the matching. Call inside transaction.atomic()."""
    counts = Counts(total=staged.total, failed=staged.failed)
    records, groups = staged.records, staged.groups
    default_owner_id = actor.user_id
    with connection.cursor() as cursor:
        company_names = _resolve_companies(
            cursor, records, default_owner_id, counts, visible_sql(actor, "company")
        )
        _tie_by_name(records, groups)
        links: list[tuple[int, int]] = []  # (row, existing contact id)
        visible_contacts = visible_sql(actor, "contact")
        if policy != ImportJob.CREATE and records:
            links = _match_existing(cursor, staged, visible_contacts)
        members: dict[int, list[int]] = defaultdict(list)
        for index in range(len(records)):
            members[groups.find(index)].append(index)
        targets: dict[int, int] = {}
        for row, contact_id in links:
            root = groups.find(row)
            targets[root] = min(contact_id, targets.get(root, contact_id))

        new, changes = [], {}
        for root, rows in members.items():
            record = merge_records([records[i] for i in rows])
            target = targets.get(root)
            if target is None:
                new.append(record)
                counts.created += 1
                counts.skipped += len(rows) - 1
                counts.merged_in_file += len(rows) - 1
            elif policy == ImportJob.SKIP:
                counts.skipped += len(rows)
            else:
                changes[target] = (record, len(rows))
        if changes:
            _update(cursor, changes, company_names, counts, visible_contacts)
        if new:
            counts.created_ids = _insert(cursor, new, company_names, default_owner_id)
    return counts


def merge_records(records: list[dict]) -> dict:
    """Rows of the file that are one client: the first value of each field wins, lists
    are united in order, custom fields merged (the first row's value wins)."""
    if len(records) == 1:
        return records[0]
    out: dict = {}
    for record in records:
        for key, value in record.items():
            if key in LISTS:
                out[key] = list(dict.fromkeys([*out.get(key, ()), *value]))
            elif key == "custom":
                out["custom"] = {**value, **out.get("custom", {})}
            elif key not in out:
                out[key] = value
    return out


def _resolve_companies(cursor, records, owner_id, counts, visible) -> dict[int, str]:
    """Set record["company_id"] for every row naming a company; insert the missing ones.
    Matches by domain first, then by name (case-insensitive), among the companies the
    `visible` condition (SQL, params) lets through. Returns {id: name}."""
    names = {r["company"] for r in records if r.get("company")}
    domains = {r["company_domain"] for r in records if r.get("company_domain")}
    if not names and not domains:
        return {}
    tenant_id = require_tenant_id()
    by_name: dict[str, int] = {}  # as typed in the file
    by_lower: dict[str, int] = {}
    by_domain: dict[str, int] = {}
    company_names: dict[int, str] = {}
    condition, condition_params = visible
    # The condition names "contacts_company" itself, so the table is not aliased here.
    cursor.execute(
        f"""
        SELECT id, name, domain, n.raw FROM contacts_company
        JOIN unnest(%s::text[]) AS n(raw) ON lower(name) = lower(n.raw)
        WHERE tenant_id = %s AND ({condition})
        UNION ALL
        SELECT id, name, domain, NULL FROM contacts_company
        WHERE tenant_id = %s AND domain = ANY(%s::varchar[]) AND ({condition})
        ORDER BY 1
        """,  # noqa: S608 (the condition is compiled by the ORM; values are parameters)
        [sorted(names), tenant_id, *condition_params,
         tenant_id, sorted(domains), *condition_params],
    )  # fmt: skip
    for company_id, name, domain, raw in cursor.fetchall():
        company_names[company_id] = name
        if raw is not None:
            by_name.setdefault(raw, company_id)
            by_lower.setdefault(name.lower(), company_id)
        elif domain:
            by_domain.setdefault(domain, company_id)
    new: list[tuple[str, str, str]] = []
    pending: list[list[dict]] = []
    for record in records:
        name, domain = record.get("company", ""), record.get("company_domain", "")
        if not name and not domain:
            continue
        found = (
            (domain and by_domain.get(domain))
            or (name and (by_name.get(name) or by_lower.get(name.lower())))
        )  # fmt: skip
        if found:
            if isinstance(found, int) and found > 0:
                record["company_id"] = found
            else:
                pending[-found - 1].append(record)
            continue
        marker = -(len(new) + 1)  # placeholder until the id is known
        new.append((name or domain, record.get("company_website", ""), domain))
        pending.append([record])
        if domain:
            by_domain[domain] = marker
        if name:
            by_name[name] = by_lower[name.lower()] = marker
    if new:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('contacts_company', 'id')) "
            "FROM generate_series(1, %s)",
            [len(new)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ["id", "name", "website", "domain", "search", "owner_id"]
        lines = (
            copy_line([str(cid), name[:200], site, domain,
                       normalize.haystack(name, "", domain, ""), text(owner_id)])
            for cid, (name, site, domain) in zip(ids, new, strict=True)
        )  # fmt: skip
        copy_into(cursor, "import_companies", columns, lines)
        counts.companies_created = len(insert_staged(cursor, Company, "import_companies", columns))
        cursor.execute("DROP TABLE import_companies")
        for cid, (name, _site, _domain), rows in zip(ids, new, pending, strict=True):
            company_names[cid] = name[:200]
            for record in rows:
                record["company_id"] = cid
    return company_names


def _name_key(record: dict) -> tuple:
    return (
        record.get("first_name", "").lower(),
        record.get("middle_name", "").lower(),
        record.get("last_name", "").lower(),
        record.get("company_id"),
    )


def _tie_by_name(records: list[dict], groups: UnionFind) -> None:
    """Rows with neither email nor phone are one client when name and company agree."""
    seen: dict[tuple, int] = {}
    for index, record in enumerate(records):
        if "emails" in record or "phones" in record:
            continue
        first = seen.setdefault(_name_key(record), index)
        if first != index:
            groups.union(first, index)


def _match_existing(cursor, staged: Staged, visible) -> list[tuple[int, int]]:
    """(row, contact id) for every existing contact the `visible` condition (SQL, params)
    lets through sharing an email or a phone with a row, or, for rows with neither, the
    same name in the same company. Rows tied to the same contact are tied together."""
    records, groups, keys = staged.records, staged.groups, staged.keys
    tenant_id = require_tenant_id()
    condition, condition_params = visible
    by_contact: dict[int, set[int]] = defaultdict(set)  # contact id -> rows of the file
    for key, contact_ids in matching.match(keys, visible=visible).items():
        for contact_id in contact_ids:
            by_contact[contact_id].add(keys[key])
    nameless = [(i, r) for i, r in enumerate(records) if "emails" not in r and "phones" not in r]
    if nameless:
        cursor.execute(
            f"""
            SELECT id, n.i FROM contacts_contact
            JOIN unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::int[])
                AS n(f, m, l, co, i)
              ON lower(last_name) = lower(n.l) AND lower(first_name) = lower(n.f)
             AND lower(middle_name) = lower(n.m) AND company_id IS NOT DISTINCT FROM n.co
            WHERE tenant_id = %s AND ({condition})
            ORDER BY id
            """,  # noqa: S608 (the condition is compiled by the ORM; values are parameters)
            [
                [r.get("first_name", "") for _i, r in nameless],
                [r.get("middle_name", "") for _i, r in nameless],
                [r.get("last_name", "") for _i, r in nameless],
                [r.get("company_id") for _i, r in nameless],
                [i for i, _r in nameless],
                tenant_id,
                *condition_params,
            ],
        )
        for contact_id, row in cursor.fetchall():
            by_contact[contact_id].add(row)
    links: list[tuple[int, int]] = []
    for contact_id, rows in by_contact.items():
        first = min(rows)
        for row in rows:
            groups.union(first, row)
            links.append((row, contact_id))
    return links


UPDATE_COLUMNS = [
    "id", *TEXTS, "emails", "phones", "tags", "custom", "company_id", "owner_id", "birthday",
    "search",
]  # fmt: skip


def _update(cursor, changes: dict[int, tuple[dict, int]], company_names, counts, visible):
    """Apply each file record to its existing contact: the fields the file fills, lists
    united, custom fields merged. Locks the contacts in id order first; one no longer
    `visible` (given to someone else meanwhile) is left alone, like a deleted one."""
    ids = sorted(changes)
    condition, condition_params = visible
    select = ", ".join(c for c in UPDATE_COLUMNS if c not in ("custom", "birthday", "search"))
    cursor.execute(
        f"SELECT {select}, custom::text, birthday::text FROM contacts_contact "  # noqa: S608
        f"WHERE id = ANY(%s) AND ({condition}) ORDER BY id FOR UPDATE",
        [ids, *condition_params],
    )
    names = [c for c in UPDATE_COLUMNS if c not in ("custom", "birthday", "search")]
    current = {}
    for row in cursor.fetchall():
        values = dict(zip([*names, "custom", "birthday"], row, strict=True))
        values["custom"] = json.loads(values["custom"] or "{}")
        values["birthday"] = values["birthday"] or ""
        current[values["id"]] = values
    missing = {
        v["company_id"] for v in current.values() if v["company_id"] not in company_names
    } - {None}
    if missing:
        cursor.execute("SELECT id, name FROM contacts_company WHERE id = ANY(%s)", [list(missing)])
        company_names.update(cursor.fetchall())
    lines = []
    for contact_id in ids:
        record, rows = changes[contact_id]
        before = current.get(contact_id)
        if before is None:  # deleted or given away meanwhile
            counts.skipped += rows
            continue
        after = dict(before)
        for key in TEXTS:
            if record.get(key):
                after[key] = record[key]
        for key in LISTS:
            if record.get(key):
                after[key] = list(dict.fromkeys([*before[key], *record[key]]))
        if record.get("custom"):
            after["custom"] = {**before["custom"], **record["custom"]}
        for key in ("company_id", "owner_id", "birthday"):
            if record.get(key):
                after[key] = record[key]
        if after == before:
            counts.skipped += rows
            counts.unchanged += 1
            continue
        counts.updated += 1
        counts.skipped += rows - 1
        after["search"] = _search(after, company_names)
        lines.append(copy_line([text(after[c]) for c in UPDATE_COLUMNS]))
    if lines:
        copy_into(cursor, "import_updates", UPDATE_COLUMNS, lines)
        update_staged(cursor, Contact, "import_updates", UPDATE_COLUMNS)
        cursor.execute("DROP TABLE import_updates")


INSERT_COLUMNS = [
    *TEXTS, "emails", "phones", "tags", "custom", "company_id", "owner_id", "birthday", "search",
]  # fmt: skip


def _search(record: dict, company_names: dict[int, str]) -> str:
    """contacts.services.search_text (normalize.haystack) of a plain record; phones are
    E.164 here, so their digits are all but the "+"."""
    get = record.get
    words = [
        w
        for w in (get("first_name"), get("middle_name"), get("last_name"),
                  company_names.get(get("company_id")), get("telegram"))
        if w
    ]  # fmt: skip
    words += get("emails", ())
    words += [
        p[1:] if p[:1] == "+" and p[1:].isdigit() else normalize.DIGITS.sub("", p)
        for p in get("phones", ())
    ]
    return " ".join(words).lower()


def _insert(cursor, records: list[dict], company_names, default_owner_id) -> list[int]:
    owner = text(default_owner_id)
    lines = []
    for r in records:
        get = r.get
        lines.append(
            copy_line([
                get("first_name", ""), get("last_name", ""), get("middle_name", ""),
                get("position", ""), get("telegram", ""), get("whatsapp", ""),
                get("source", ""), get("utm_source", ""), get("utm_medium", ""),
                get("utm_campaign", ""), get("utm_term", ""), get("utm_content", ""),
                SEP.join(get("emails", ())), SEP.join(get("phones", ())),
                SEP.join(get("tags", ())), json.dumps(get("custom") or {}, ensure_ascii=False),
                text(get("company_id")), text(get("owner_id")) or owner, get("birthday", ""),
                _search(r, company_names),
            ])
        )  # fmt: skip
    copy_into(cursor, "import_contacts", INSERT_COLUMNS, lines)
    ids = insert_staged(cursor, Contact, "import_contacts", INSERT_COLUMNS)
    cursor.execute("DROP TABLE import_contacts")
    return ids
