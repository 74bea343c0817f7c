"""Custom report types: a built-in type (the primary, "deals") with up to three of its
relations ("tasks", "invoices"), each "with" (only the primary records that have related
ones the viewer sees) or "with or without" (every primary record).

A row stays one primary record: the related records' fields join it as one value per record,
keyed by the relation ("tasks.title"): texts joined (distinct, ", "), numbers and money
summed, dates the latest, and "tasks.count" the number of related records. So several
relations never multiply each other's rows, a sum over the primary's amount stays right, and
every value is read through the related type's selector for the viewer (a correlated
subquery in the report's one query), like a cross filter.

With `rows` "pairs" (one relation marked `"pairs": true`), a row is one (primary, related)
pair instead, like Salesforce's "with" types: the related type's own fields are real columns
of the row (they group, filter and sort like the primary's), read through a LEFT JOIN whose
condition keeps only the related records the viewer sees (`FilteredRelation`); "with or
without" keeps a primary record without any as one row with empty related fields, "with"
drops it. Only a relation the ORM can join from the primary (a foreign key or a many-to-many
towards it: a company's deals or contacts, a deal's invoices) can give pairs; tasks, which
hang on a record by type and id, cannot (refused when the type is saved).

Stored as data (models.CustomReportType), keyed "custom_<id>" beside the built-in types.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, Subquery
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
PRIMARY, PAIRS = "primary", "pairs"
PAIR = "k_pair"  # the joined related record of a pairs type (a FilteredRelation's name)


def reverse_path(relation: objects.Relation, target: ReportType) -> str | None:
    """The ORM path from a primary record to its related records of `relation`, or None
    when there is none to join (tasks: a type and an id, not a foreign key)."""
    model = getattr(target.object_type, "model", None)
    if model is None:
        return None
    try:
        field = model._meta.get_field(relation.path)
    except FieldDoesNotExist:
        return None
    if not field.is_relation or not (field.many_to_one or field.many_to_many):
        return None
    return field.related_query_name()


@dataclass(frozen=True)
class Related:
    relation: objects.Relation
    target: ReportType
    inner: bool  # "with": only primary records that have related ones
    pairs: bool = False  # one row per (primary, related) pair


@dataclass(frozen=True)
class CustomType(ReportType):
    name: str = ""
    related: tuple[Related, ...] = ()

    @property
    def label(self):
        return self.name

    @property
    def rows(self) -> str:
        return PAIRS if any(r.pairs for r in self.related) else PRIMARY

    def _paired(self, qs, r: Related, membership):
        """One row per pair: LEFT JOIN the related records the viewer sees. The join is
        selected (`k_pair_id`) so that every query of the report, grouped or not, has it."""
        path = reverse_path(r.relation, r.target)
        visible = r.target.records(membership).filter(**dict(r.relation.where)).values("pk")
        condition = Q(**{f"{path}__pk__in": Subquery(visible)})
        qs = qs.annotate(**{PAIR: FilteredRelation(path, condition=condition)})
        qs = qs.annotate(k_pair_id=F(f"{PAIR}__pk"))
        return qs.filter(k_pair_id__isnull=False) if r.inner else qs

    def records(self, membership):
        qs = super().records(membership)
        for r in self.related:
            if r.pairs:
                qs = self._paired(qs, r, membership)
                continue
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
            if r.pairs:
                out.update(_pair_fields(r))
                continue
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


def _pair_fields(r: Related) -> dict[str, ReportField]:
    """The related type's own fields as columns of the pair's row: the same field, its
    path through the joined record. Fields shown only where a linked record is visible
    (a gate) are left out: their check is the related type's, not the primary's."""
    out = {}
    key, label = r.relation.key, r.relation.label
    for f in r.target.fields().values():
        if "." in f.key or f.gate or f.expression is not None or f.bucket is not None:
            continue
        if f.related is not None or not f.path:
            continue
        out[f"{key}.{f.key}"] = replace(
            f, key=f"{key}.{f.key}", label=f"{label}: {f.label}", path=f"{PAIR}__{f.path}"
        )
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
        related.append(Related(found[0], found[1], bool(item.get("with")), bool(item.get("pairs"))))
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


def _clean(name: str, primary: str, related, rows: str | None = None) -> tuple[str, str, list]:
    """`rows`: "primary" (one row per primary record), "pairs" (per pair with the relation
    marked `"pairs": true`, else the first), or None: as the relations' marks say."""
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
            if item.get("pairs") is True:
                cleaned[-1]["pairs"] = True
        _clean_pairs(cleaned, relations, rows, errors)
    if errors:
        raise ValidationError(errors)
    return name, primary, cleaned


def _clean_pairs(cleaned: list, relations: dict, rows, errors: dict) -> None:
    if rows not in (None, PRIMARY, PAIRS):
        errors["rows"] = [_('Rows are "primary" (one per primary record) or "pairs".')]
        return
    marked = [c for c in cleaned if c.get("pairs")]
    if rows == PRIMARY:
        for c in marked:
            c.pop("pairs")
        return
    if rows == PAIRS and not marked:
        if not cleaned:
            errors["rows"] = [_("One row per pair needs a related type.")]
            return
        cleaned[0]["pairs"] = True
        marked = [cleaned[0]]
    if len(marked) > 1:
        errors["rows"] = [_("Only one related type can give one row per pair.")]
        return
    for c in marked:
        relation, target = relations[c["relation"]]
        if reverse_path(relation, target) is None:
            errors["rows"] = [
                _('"%(key)s" cannot give one row per pair: choose one row per primary record.')
                % {"key": c["relation"]}
            ]


def custom_type_save(
    *, actor: Membership, name: str, primary: str, related: list, description: str = "",
    custom_type: CustomReportType | None = None, rows: str | None = None,
) -> CustomReportType:  # fmt: skip
    """Admins build report types for the workspace; every member then uses them as their
    role lets them see the primary type."""
    if not actor.role.can_manage_workspace:
        raise PermissionDenied
    name, primary, related = _clean(name, primary, related, rows)
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
