"""Custom report types: a built-in type (the primary, "deals") with up to three of its
relations ("tasks", "invoices"), each "with" (only the primary records that have related
ones the viewer sees) or "with or without" (every primary record).

A row stays one primary record: the related records' fields join it as one value per record,
keyed by the relation ("tasks.title"): texts joined (distinct, ", "), numbers and money
summed, dates the latest, and "tasks.count" the number of related records. So several
relations never multiply each other's rows, a sum over the primary's amount stays right, and
every value is read through the related type's selector for the viewer (a correlated
subquery in the report's one query), like a cross filter.

Stored as data (models.CustomReportType), keyed "custom_<id>" beside the built-in types.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import objects
from crm.accounts.models import Membership

from . import types
from .models import CustomReportType
from .types import NUMERIC, ReportField, ReportType

PREFIX = "custom_"
MAX_RELATED = 3
# How a related field becomes one value per primary record, by its type.
JOINED = {objects.TEXT, objects.CHOICE, objects.RECORD, objects.EMAIL, objects.PHONE, objects.URL}
LATEST = {objects.DATE, objects.DATETIME}


@dataclass(frozen=True)
class Related:
    relation: objects.Relation
    target: ReportType
    inner: bool  # "with": only primary records that have related ones


@dataclass(frozen=True)
class CustomType(ReportType):
    name: str = ""
    related: tuple[Related, ...] = ()

    @property
    def label(self):
        return self.name

    def records(self, membership):
        qs = super().records(membership)
        for r in self.related:
            if r.inner:
                related = r.target.records(membership).filter(
                    **{r.relation.path: OuterRef("pk")}, **dict(r.relation.where)
                )
                qs = qs.filter(Exists(related))
        return qs

    def fields(self) -> dict[str, ReportField]:
        out = super().fields()
        for r in self.related:
            key, label = r.relation.key, r.relation.label
            out[f"{key}.count"] = ReportField(
                f"{key}.count", f"{label}: {gettext_lazy('Number')}", objects.NUMBER, "",
                filterable=True, summable=True, related=(r.relation, r.target, None, "count"),
            )  # fmt: skip
            for f in r.target.fields().values():
                if "." in f.key:
                    continue  # the related type's own fields, not those of its lookups
                if f.type in JOINED:
                    type_, agg = objects.TEXT, "join"
                elif f.type in NUMERIC:
                    type_, agg = f.type, "sum"
                elif f.type in LATEST:
                    type_, agg = f.type, "max"
                else:
                    continue
                out[f"{key}.{f.key}"] = ReportField(
                    f"{key}.{f.key}", f"{label}: {f.label}", type_, "", filterable=True,
                    summable=type_ in NUMERIC, custom=False, related=(r.relation, r.target, f, agg),
                )  # fmt: skip
        return out


def build(row: CustomReportType) -> CustomType | None:
    """The report type a stored one describes; None when its primary type or one of its
    relations is gone (its reports then say the type no longer exists)."""
    primary = types.get(row.primary)
    if primary is None:
        return None
    relations = primary.relations()
    related = []
    for item in row.related or []:
        found = relations.get((item or {}).get("relation"))
        if found is None:
            return None
        related.append(Related(found[0], found[1], bool(item.get("with"))))
    return CustomType(row.key, primary.object_type, name=row.name, related=tuple(related))


def get(key: str) -> CustomType | None:
    """The workspace's custom type `key` ("custom_12"), one query."""
    pk = key[len(PREFIX) :]
    if not key.startswith(PREFIX) or not pk.isdigit():
        return None
    row = CustomReportType.objects.filter(pk=int(pk)).first()
    return build(row) if row is not None else None


def all_types() -> dict[str, ReportType]:
    """The built-in types, then the workspace's custom ones (one query)."""
    out: dict[str, ReportType] = dict(types.all_types())
    for row in CustomReportType.objects.all():
        built = build(row)
        if built is not None:
            out[built.key] = built
    return out


# --- writes --------------------------------------------------------------------------------


def _clean(name: str, primary: str, related) -> tuple[str, str, list]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()[:120]
    if not name:
        errors["name"] = [_("A report type needs a name.")]
    base = types.get(primary)
    if base is None:
        errors["primary"] = [_('Unknown report type "%(key)s".') % {"key": primary}]
    cleaned = []
    if not isinstance(related, list) or len(related) > MAX_RELATED:
        errors["related"] = [_("At most %(n)s related types.") % {"n": MAX_RELATED}]
    elif base is not None:
        relations = base.relations()
        for n, item in enumerate(related, 1):
            key = item.get("relation") if isinstance(item, dict) else None
            if key not in relations:
                errors.setdefault("related", []).append(
                    _('Related type %(n)s: "%(key)s" is not related to %(type)s: use %(all)s.')
                    % {"n": n, "key": key, "type": base.label, "all": ", ".join(relations)}
                )
                continue
            if any(c["relation"] == key for c in cleaned):
                errors.setdefault("related", []).append(
                    _('Related type %(n)s: "%(key)s" is chosen twice.') % {"n": n, "key": key}
                )
                continue
            cleaned.append({"relation": key, "with": item.get("with") is not False})
    if errors:
        raise ValidationError(errors)
    return name, primary, cleaned


def custom_type_save(
    *, actor: Membership, name: str, primary: str, related: list, description: str = "",
    custom_type: CustomReportType | None = None,
) -> CustomReportType:  # fmt: skip
    """Admins build report types for the workspace; every member then uses them as their
    role lets them see the primary type."""
    if not actor.role.can_manage_workspace:
        raise PermissionDenied
    name, primary, related = _clean(name, primary, related)
    row = custom_type or CustomReportType(created_by=actor.user)
    row.name, row.primary, row.related = name, primary, related
    row.description = (description or "")[:500]
    row.save()
    return row


def custom_type_delete(*, actor: Membership, custom_type: CustomReportType) -> None:
    """The type goes; reports built on it stay and say that their type no longer exists."""
    if not actor.role.can_manage_workspace:
        raise PermissionDenied
    custom_type.delete()
