"""Report types: what a report can be about, read from the object-type registry.

Every registered object type with a selector (`records`) and a field catalogue is a report
type, keyed by its plural ("deal" -> "deals", as the API's routes are). Its fields are the
type's catalogue (custom fields included, read when asked), the derived fields below, and
the fields of the types its lookups link to, keyed "company.industry". A report stores these
keys, never ORM paths: a renamed model field changes a path here, not a saved report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db.models import BooleanField, Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import objects
from crm.objects import Field, ObjectType

# Types whose values can be compared with gt/lt, and those that can be truncated to periods.
ORDERED = {objects.NUMBER, objects.MONEY, objects.DATE, objects.DATETIME}
DATED = {objects.DATE, objects.DATETIME}
NUMERIC = {objects.NUMBER, objects.MONEY}
# Lists filter only what their catalogue allows; a report filters any scalar field.
# Any single value groups (a text by its value, a date by period); lists of values do not:
# a record in several groups would be counted in each.
GROUPABLE = DATED | {objects.TEXT, objects.CHOICE, objects.BOOL, objects.RECORD, objects.USER}
FILTERABLE = ORDERED | {objects.TEXT, objects.CHOICE, objects.BOOL, objects.RECORD, objects.USER}


@dataclass(frozen=True)
class ReportField:
    key: str
    label: str
    type: str
    path: str  # the ORM path from the report type's model
    choices: tuple = ()
    filterable: bool = False
    groupable: bool = False
    summable: bool = False
    custom: bool = False
    # The lookup whose linked record the reader must see for the value to show ("company").
    gate: str = ""
    # For a field that is no path: builds its expression (deals' "won_at").
    expression: Callable | None = None
    # A bucket field (spec "buckets"): (source field, ((label, upper bound or None), ...)).
    bucket: tuple | None = None
    # A custom report type's related field (custom_types.py): (relation, related report
    # type, its field or None for the count, "join" | "sum" | "max" | "count").
    related: tuple | None = None

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": str(self.label),
            "type": self.type,
            "filterable": self.filterable,
            "groupable": self.groupable,
            "summable": self.summable,
            "choices": [{"value": v, "label": str(lbl)} for v, lbl in self.choices],
            "custom": self.custom,
        }


# Fields computed from others, per object type: what reports want that no column holds.
DERIVED: dict[str, list[ReportField]] = {
    "deal": [
        ReportField(
            "won_at", _("Won"), objects.DATETIME, "closed_at", filterable=True, groupable=True,
            expression=lambda: Case(When(status="won", then=F("closed_at")), default=Value(None)),
        ),
        ReportField(
            "lost_at", _("Lost"), objects.DATETIME, "closed_at", filterable=True, groupable=True,
            expression=lambda: Case(When(status="lost", then=F("closed_at")), default=Value(None)),
        ),
    ],
    # Issued, not fully paid, past its due date: what the invoice list calls overdue ("deals
    # with invoices overdue" is a cross filter on it).
    "invoice": [
        ReportField(
            "overdue", _("Overdue"), objects.BOOL, "due_date", filterable=True, groupable=True,
            expression=lambda: Case(
                When(Q(status="issued", payment_status__in=("unpaid", "partial"),
                       due_date__lt=timezone.localdate()), then=Value(True)),
                default=Value(False), output_field=BooleanField(),
            ),
        ),
    ],
}  # fmt: skip

# The owner (a member) as a lookup: reports group by the owner's e-mail or department.
USER_FIELDS = (("email", _("E-mail"), objects.EMAIL, "email"),)


def _from_catalogue(
    f: Field, prefix: str = "", path_prefix: str = "", gate: str = "", label_prefix: str = ""
) -> ReportField:
    # Text, choices and people group by value; dates group by period; numbers sum.
    groupable = f.type in GROUPABLE
    return ReportField(
        key=f"{prefix}{f.key}",
        label=f"{label_prefix}{f.label}" if label_prefix else f.label,
        type=f.type,
        path=f"{path_prefix}{f.lookup}",
        choices=tuple(f.choices),
        filterable=f.filterable or f.type in FILTERABLE or f.groupable,
        groupable=groupable,
        summable=f.summable or f.type in NUMERIC,
        custom=f.custom,
        gate=gate,
    )  # fmt: skip


def _gate_of(object_type: ObjectType, path: str) -> str:
    """The lookup a plain field reads through (a deal's "company" is "company__name")."""
    head = path.split("__", 1)[0]
    return next((lk.key for lk in object_type.lookups if lk.lookup == head), "")


@dataclass(frozen=True)
class ReportType:
    key: str
    object_type: ObjectType

    @property
    def label(self):
        return self.object_type.plural

    def records(self, membership):
        """The viewer's records: reports always run as the viewer."""
        return self.object_type.records(membership)

    def fields(self) -> dict[str, ReportField]:
        """Every field, by key: one query per type for its custom fields."""
        t = self.object_type
        out: dict[str, ReportField] = {}
        for f in t.catalogue():
            rf = _from_catalogue(f)
            out[rf.key] = replace(rf, gate=_gate_of(t, rf.path))
        for rf in DERIVED.get(t.key, ()):
            out[rf.key] = rf
        for lookup in t.lookups:
            target = objects.get(lookup.target)
            if target is None:
                continue
            for f in target.catalogue():
                if f.type in (objects.TAGS, objects.CHOICES):
                    continue  # arrays through a join: a report of the linked type reads them
                rf = _from_catalogue(
                    f, f"{lookup.key}.", f"{lookup.lookup}__", lookup.key, f"{lookup.label}: "
                )
                out[rf.key] = rf
        for f in list(out.values()):
            if f.type == objects.USER and "." not in f.key:
                for key, label, type_, path in USER_FIELDS:
                    out[f"{f.key}.{key}"] = ReportField(
                        f"{f.key}.{key}", f"{f.label}: {label}", type_, f"{f.path}__{path}",
                        filterable=True, groupable=True, gate=f.gate,
                    )  # fmt: skip
        return out

    def relations(self) -> dict[str, tuple[objects.Relation, ReportType]]:
        """The types a cross filter reaches from this one ("deals" from companies), by key,
        with the report type of their records."""
        out = {}
        for key, relation in objects.relations_of(self.object_type.key).items():
            target = objects.get(relation.target)
            if target is not None and target.records is not None and target.fields:
                out[key] = (relation, ReportType(_plural_key(target.key), target))
        return out


def _plural_key(key: str) -> str:
    if key.endswith("y"):
        return key[:-1] + "ies"
    return key + ("es" if key.endswith("s") else "s")


def all_types() -> dict[str, ReportType]:
    """Every report type, by key, in the navigation's order of their object types."""
    return {
        _plural_key(t.key): ReportType(_plural_key(t.key), t)
        for t in objects.all_types()
        if t.records is not None and t.fields and t.model is not None
    }


def get(key: str) -> ReportType | None:
    if key.startswith("custom_"):  # a workspace's own (custom_types.py), one query
        from .custom_types import get as custom

        return custom(key)
    return all_types().get(key)
