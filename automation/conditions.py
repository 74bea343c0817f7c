"""Conditions: a tree of and / or / not over a record's fields, read from the object-type
registry (crm/objects.py), so a workspace's custom fields are usable as they are added.

    {"all": [c, ...]}  {"any": [c, ...]}  {"not": c}
    {"field": "amount", "op": "gt", "value": 1000}

A tree compiles to one ORM filter on the record's model (one query), except the operators
about the event (`changed`, `changed_to`, `changed_from`), which are decided from the event's
`changes` before the query is built.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import objects
from crm.accounts.models import Membership

MAX_DEPTH, MAX_NODES = 6, 50
TEXTUAL = {objects.TEXT, objects.EMAIL, objects.PHONE, objects.URL, objects.CHOICE}
ORDERED = {objects.NUMBER, objects.MONEY, objects.DATE, objects.DATETIME}
DATED = {objects.DATE, objects.DATETIME}
COMMON = {"equals", "not_equals", "in", "is_empty", "is_not_empty", "changed", "changed_to",
          "changed_from"}  # fmt: skip
OPS_BY_TYPE = {
    **{t: COMMON | {"contains"} for t in TEXTUAL},
    objects.NUMBER: COMMON | {"gt", "gte", "lt", "lte"},
    objects.MONEY: COMMON | {"gt", "gte", "lt", "lte"},
    objects.DATE: COMMON | {"gt", "gte", "lt", "lte", "older_than_days", "within_days"},
    objects.DATETIME: COMMON | {"gt", "gte", "lt", "lte", "older_than_days", "within_days"},
    objects.BOOL: {"equals", "changed", "changed_to"},
    objects.CHOICES: COMMON | {"contains"},
    objects.TAGS: {"contains", "in", "is_empty", "is_not_empty", "changed"},
    objects.USER: COMMON | {"department_in"},
    objects.RECORD: COMMON,
}
NO_VALUE = {"is_empty", "is_not_empty", "changed"}
LIST_VALUE = {"in", "department_in"}
OPERATOR_LABELS = {
    "equals": gettext_lazy("equals"),
    "not_equals": gettext_lazy("does not equal"),
    "in": gettext_lazy("is one of"),
    "contains": gettext_lazy("contains"),
    "gt": gettext_lazy("is greater than"),
    "gte": gettext_lazy("is at least"),
    "lt": gettext_lazy("is less than"),
    "lte": gettext_lazy("is at most"),
    "is_empty": gettext_lazy("is empty"),
    "is_not_empty": gettext_lazy("is not empty"),
    "changed": gettext_lazy("changed"),
    "changed_to": gettext_lazy("changed to"),
    "changed_from": gettext_lazy("changed from"),
    "older_than_days": gettext_lazy("is more than N days ago"),
    "within_days": gettext_lazy("is within the last N days"),
    "department_in": gettext_lazy("is in the department"),
}


def _invalid(where: str, message) -> Exception:
    from .spec import SpecInvalid

    return SpecInvalid({where: [str(message)]})


def validate(raw: Any, object_type: str, where: str, _depth: int = 0, _count=None) -> dict:
    """The tree as stored, or SpecInvalid naming the node that is wrong."""
    count = _count if _count is not None else [0]
    count[0] += 1
    if _depth > MAX_DEPTH or count[0] > MAX_NODES:
        raise _invalid(where, _("The conditions are too deep or too many."))
    if not isinstance(raw, dict):
        raise _invalid(where, _("A condition is an object."))
    for key in ("all", "any"):
        if key in raw:
            items = raw[key]
            if set(raw) != {key} or not isinstance(items, list) or not items:
                raise _invalid(where, _('"%(key)s" takes a list of conditions.') % {"key": key})
            return {key: [validate(c, object_type, f"{where}.{key}.{i}", _depth + 1, count)
                          for i, c in enumerate(items)]}  # fmt: skip
    if "not" in raw:
        if set(raw) != {"not"}:
            raise _invalid(where, _('"not" takes one condition.'))
        return {"not": validate(raw["not"], object_type, f"{where}.not", _depth + 1, count)}
    unknown = set(raw) - {"field", "op", "value"}
    if unknown:
        raise _invalid(f"{where}.{sorted(unknown)[0]}", _("This parameter is not known here."))
    spec = objects.get(object_type)
    key = raw.get("field")
    field = spec.field(key) if spec and isinstance(key, str) else None
    if field is None:
        raise _invalid(f"{where}.field", _("Unknown field: %(field)s.") % {"field": key})
    op = raw.get("op")
    if op not in OPS_BY_TYPE.get(field.type, COMMON):
        raise _invalid(f"{where}.op", _("This comparison does not apply to this field."))
    value = raw.get("value")
    if op in NO_VALUE:
        return {"field": key, "op": op}
    if op in LIST_VALUE:
        if not isinstance(value, list) or not value or len(value) > 200:
            raise _invalid(f"{where}.value", _("Give a list of values."))
    elif op in ("older_than_days", "within_days"):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 36500:
            raise _invalid(f"{where}.value", _("Give a number of days."))
    elif value is None or isinstance(value, dict | list):
        raise _invalid(f"{where}.value", _("Give a value."))
    if op == "department_in":
        from crm.accounts.models import Department

        ids = {v for v in value if isinstance(v, int)}
        if len(ids) != len(value) or Department.objects.filter(pk__in=ids).count() != len(ids):
            raise _invalid(f"{where}.value", _("No such department."))
    return {"field": key, "op": op, "value": value}


# --- evaluation ----------------------------------------------------------------------------


def _lookup(field: objects.Field) -> str:
    # A member or another record compares by id; the rest by the value the catalogue reads.
    if field.type in (objects.USER, objects.RECORD) and not field.custom:
        return field.key
    return field.lookup


def _changes(event) -> dict:
    data = getattr(event, "data", None) or {}
    return data.get("changes") or {}


def _changed_key(field: objects.Field) -> str:
    return field.lookup.split("__", 1)[0] if field.custom else field.key


def _empty(field: objects.Field, lookup: str) -> Q:
    q = Q(**{f"{lookup}__isnull": True})
    if field.type == objects.TAGS:
        return q | Q(**{lookup: []})
    if field.type in TEXTUAL or field.custom:
        return q | Q(**{lookup: ""})
    return q


def _leaf(node: dict, object_type: str, event) -> Q | bool:
    field = objects.get(object_type).field(node["field"])
    if field is None:  # a custom field deleted since: the condition cannot hold
        return False
    op, value, lookup = node["op"], node.get("value"), _lookup(field)
    changes = _changes(event)
    if op in ("changed", "changed_to", "changed_from"):
        pair = changes.get(_changed_key(field))
        if pair is None:
            return False
        if op == "changed":
            return True
        if op == "changed_from":
            old = pair[0] if isinstance(pair, list) and pair else None
            if field.type in (objects.USER, objects.RECORD) and isinstance(value, int):
                return _name_of(object_type, field, value) == old or old == value
            return str(old) == str(value)
        return Q(**{lookup: value})  # changed, and now is the value
    if op == "equals":
        return Q(**{lookup: value})
    if op == "not_equals":
        return ~Q(**{lookup: value}) | Q(**{f"{lookup}__isnull": True})
    if op == "in":
        if field.type == objects.TAGS:
            return Q(**{f"{lookup}__overlap": [str(v) for v in value]})
        return Q(**{f"{lookup}__in": value})
    if op == "contains":
        if field.type == objects.TAGS:
            return Q(**{f"{lookup}__contains": [str(value)]})
        return Q(**{f"{lookup}__icontains": str(value)})
    if op in ("gt", "gte", "lt", "lte"):
        return Q(**{f"{lookup}__{op}": value})
    if op == "is_empty":
        return _empty(field, lookup)
    if op == "is_not_empty":
        return ~_empty(field, lookup)
    if op in ("older_than_days", "within_days"):
        cutoff = timezone.now() - timedelta(days=value)
        if field.type == objects.DATE:
            cutoff = cutoff.date()
        return Q(**{f"{lookup}__lte" if op == "older_than_days" else f"{lookup}__gt": cutoff})
    if op == "department_in":
        members = Membership.objects.filter(department_id__in=value, is_active=True)
        return Q(**{f"{lookup}__in": members.values("user_id")})
    return False


def _name_of(object_type: str, field: objects.Field, pk: int) -> str | None:
    model = objects.get(object_type).model
    related = model._meta.get_field(field.key).related_model
    manager = getattr(related, "objects", related._default_manager)
    found = manager.filter(pk=pk).first()
    return str(found) if found is not None else None


def compile(node: dict, object_type: str, event) -> Q | bool:
    """The tree as a Q, or True / False where the event alone decides it."""
    if "all" in node:
        parts = [compile(c, object_type, event) for c in node["all"]]
        if any(p is False for p in parts):
            return False
        qs = [p for p in parts if p is not True]
        return _combine(qs, Q.AND) if qs else True
    if "any" in node:
        parts = [compile(c, object_type, event) for c in node["any"]]
        if any(p is True for p in parts):
            return True
        qs = [p for p in parts if p is not False]
        return _combine(qs, Q.OR) if qs else False
    if "not" in node:
        inner = compile(node["not"], object_type, event)
        return (not inner) if isinstance(inner, bool) else ~inner
    return _leaf(node, object_type, event)


def _combine(qs: list[Q], connector: str) -> Q:
    out = qs[0]
    for q in qs[1:]:
        out = out & q if connector == Q.AND else out | q
    return out


def holds(node: dict | None, object_type: str, object_id: int, event) -> bool:
    """Whether the record meets the conditions now (no conditions: it does)."""
    if not node:
        return True
    compiled = compile(node, object_type, event)
    if isinstance(compiled, bool):
        return compiled
    model = objects.get(object_type).model
    return model.objects.filter(pk=object_id).filter(compiled).exists()
