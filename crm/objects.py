"""The object-type registry: the one list of the kinds of record the product has.

The platform knows no app. Each app registers its object types from `AppConfig.ready()`:
contacts registers "contact" and "company", deals "deal", the activity core "task". Every
generic feature reads this registry instead of keeping its own list: the role editor and
`visible_to` (which types can be granted, and what the built-in roles get), the navigation,
the records tasks and comments hang on, custom-field targets, and, as they come, reports,
automation conditions, inbox linking and invoices.

An object type says:
- `key`, `label` and `plural` (translated);
- `model` and `records(membership)`: its selector, built on `visible_to`, the only way to its
  records;
- `card`: the URL name of a record's page (taking its id), `section`: the URL name of its
  list in the navigation (with `nav_order`), either may be ""; `badge`: the URL name of a
  fragment with a count to show beside the section (the inbox's unread conversations),
  which the page loads after itself and refreshes, so no page pays for it;
- `activity`: whether tasks, comments and notes hang on its records (their cards show them);
- `fields`: its own fields (see Field), and `custom_fields()`, the workspace's admin-defined
  ones, read when asked; `catalogue()` gives both;
- `lookups`: links from a record to one record of another registered type (a deal's
  company): reports offer the linked type's fields through them (see Lookup);
- `relations`: links from records of another type to many of this type's (a company's
  deals, a deal's tasks), declared by the type on the "many" side (see Relation): reports'
  cross filters ("companies without deals") read them; `relations_of(key)` lists them;
- `builtin_grants`: what each built-in role (admin, head, manager, accountant) is granted on
  it in a new workspace; a role missing there gets nothing;
- `part_of`: the key of the type whose records these are parts of (a deal's line items and
  stage history, a conversation's messages): such a type has no grant of its own (roles,
  the role editor and `Role.can` read that type's; `grant_key()`), no section and no events
  of its own, and its selector shows the parts of the records the reader may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet
from django.urls import NoReverseMatch, reverse

# Field types of the catalogue, as reports, filters and exports read them.
TEXT, NUMBER, MONEY, DATE, DATETIME, BOOL = "text", "number", "money", "date", "datetime", "bool"
CHOICE, CHOICES, TAGS = "choice", "choices", "tags"  # one of `choices`, several, free labels
USER, RECORD = "user", "record"  # a member; another object type's record (read by its name)
EMAIL, PHONE, URL = "email", "phone", "url"


@dataclass(frozen=True)
class Field:
    """One field of an object type's catalogue.

    `path` is the ORM lookup that reads it from the type's queryset ("owner__email",
    "custom__segment"); `choices` are (value, label) pairs for CHOICE fields; `custom` marks
    an admin-defined field. The flags say what a generic feature may do with it."""

    key: str
    label: str
    type: str = TEXT
    path: str = ""
    choices: tuple = ()
    filterable: bool = False
    sortable: bool = False
    groupable: bool = False
    summable: bool = False
    custom: bool = False

    @property
    def lookup(self) -> str:
        return self.path or self.key


@dataclass(frozen=True)
class Lookup:
    """A link from a record to one record of another registered type: `target` is that
    type's key, `path` the ORM lookup of the link ("company"). Reports read the target's
    catalogue through it, and only where the reader may see the linked record."""

    key: str
    label: str
    target: str
    path: str = ""

    @property
    def lookup(self) -> str:
        return self.path or self.key


@dataclass(frozen=True)
class Relation:
    """A link from a record of `source` to the many records of `target` that point to it:
    `path` is the ORM lookup on the target's records that holds the source record's id
    ("company", "object_id"), `where` fixed conditions on them ((("object_type", "deal"),)
    for tasks, which hang on several types). Declared by the target type, so the source's
    app need not know it; read only through the target's selector, so a relation never
    shows a record its reader may not see."""

    key: str
    label: str
    source: str
    target: str
    path: str
    where: tuple = ()


@dataclass(frozen=True)
class ObjectType:
    key: str
    label: str
    plural: str
    model: type[Model] | None = None
    records: Callable[..., QuerySet] | None = None
    card: str = ""
    section: str = ""
    badge: str = ""
    nav_order: int = 100
    activity: bool = False  # tasks, comments and notes hang on its records
    fields: tuple[Field, ...] = ()
    custom_fields: Callable[[], list[Field]] | None = None
    lookups: tuple[Lookup, ...] = ()
    # A tuple of Relation, or a callable giving them when asked (tasks hang on every type
    # with activity, whichever registers later).
    relations: tuple[Relation, ...] | Callable[[], tuple[Relation, ...]] = ()
    builtin_grants: dict = field(default_factory=dict)
    part_of: str = ""

    def catalogue(self) -> list[Field]:
        """Every field: the type's own, then the workspace's custom ones (one query)."""
        return [*self.fields, *(self.custom_fields() if self.custom_fields else ())]

    def card_url(self, object_id) -> str:
        if not self.card or not object_id:
            return ""
        try:
            return reverse(self.card, args=[object_id])
        except NoReverseMatch:
            return ""

    def field(self, key: str) -> Field | None:
        """The field `key`: the type's own without a query, else a custom one."""
        own = next((f for f in self.fields if f.key == key), None)
        if own is not None or self.custom_fields is None:
            return own
        return next((f for f in self.custom_fields() if f.key == key), None)


OBJECT_TYPES: dict[str, ObjectType] = {}


def register(object_type: ObjectType) -> ObjectType:
    if object_type.key in OBJECT_TYPES:
        raise ValueError(f"object type {object_type.key!r} is registered twice")
    OBJECT_TYPES[object_type.key] = object_type
    return object_type


def get(key: str) -> ObjectType | None:
    return OBJECT_TYPES.get(key)


def grant_key(key: str) -> str:
    """The type whose grant rules records of type `key`: the one it is `part_of`, else it."""
    t = OBJECT_TYPES.get(key)
    return t.part_of if t is not None and t.part_of else key


def all_types() -> list[ObjectType]:
    """In the navigation's order."""
    return sorted(OBJECT_TYPES.values(), key=lambda t: t.nav_order)


def relations_of(source: str) -> dict[str, Relation]:
    """The relations from records of type `source` to others', by key."""
    out: dict[str, Relation] = {}
    for t in all_types():
        declared = t.relations() if callable(t.relations) else t.relations
        for r in declared:
            if r.source == source and r.key not in out:
                out[r.key] = r
    return out


def with_activity() -> dict[str, ObjectType]:
    """The types whose records tasks, comments and notes hang on."""
    return {k: t for k, t in OBJECT_TYPES.items() if t.activity and t.records is not None}
