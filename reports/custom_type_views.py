"""The admin's page of custom report types: the list, and a form to build or change one (a
primary type and up to three of its related types, each "with" or "with or without").
Thin: custom_types.py checks and writes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.web.decorators import manager_required

from . import custom_types, types
from .models import CustomReportType


def _related_from(post) -> list[dict]:
    """The related rows of the form; `pairs` (a radio) names the row giving one row per
    pair, empty for one row per primary record."""
    out = []
    for n in range(custom_types.MAX_RELATED):
        if post.get(f"r{n}_relation", "").strip():
            item = {"relation": post[f"r{n}_relation"].strip(),
                    "with": post.get(f"r{n}_with") != "0"}  # fmt: skip
            if post.get("pairs") == str(n):
                item["pairs"] = True
            out.append(item)
    return out


@manager_required
def custom_type_list(request, pk=None):
    """The list, with the form: empty, or filled from type `pk` to change it."""
    m = request.membership
    row = get_object_or_404(CustomReportType, pk=pk) if pk is not None else None
    primaries = {k: rt for k, rt in types.all_types().items() if m.can(rt.object_type.key)}
    errors = None
    if request.method == "POST":
        data = {"name": request.POST.get("name", ""),
                "description": request.POST.get("description", ""),
                "primary": request.POST.get("primary", ""),
                "related": _related_from(request.POST)}  # fmt: skip
        rows = custom_types.PAIRS if request.POST.get("pairs") else custom_types.PRIMARY
        try:
            custom_types.custom_type_save(actor=m, custom_type=row, rows=rows, **data)
            messages.success(request, _("The report type is saved."))
            return redirect("report_types")
        except ValidationError as exc:
            errors = exc.message_dict
    elif row is not None:
        data = {"name": row.name, "description": row.description, "primary": row.primary,
                "related": row.related}  # fmt: skip
    else:
        data = {"name": "", "description": "", "primary": "", "related": []}
    data["primary"] = request.GET.get("primary") or data["primary"]
    if data["primary"] not in primaries:
        data["primary"] = "deals" if "deals" in primaries else next(iter(primaries), "")
    relations = primaries[data["primary"]].relations() if data["primary"] else {}
    related = [*data["related"], *[{"relation": "", "with": True}] * custom_types.MAX_RELATED]
    labels = {k: rt.label for k, rt in types.all_types().items()}
    rows = []
    for r in CustomReportType.objects.all():
        built = custom_types.build(r)  # the relations' labels, as the designer shows them
        related_labels = (
            [(x.relation.label, x.inner, x.pairs) for x in built.related] if built else []
        )
        rows.append((r, labels.get(r.primary, r.primary), related_labels))
    return render(request, "reports/custom_types.html", {
        "rows": rows, "row": row, "data": data, "errors": errors, "primaries": primaries,
        "relations": [(k, rel.label) for k, (rel, _t) in relations.items()],
        "related": related[: custom_types.MAX_RELATED],
        "paired": next((n for n, r in enumerate(data["related"]) if r.get("pairs")), None),
    })  # fmt: skip


@require_POST
@manager_required
def custom_type_delete(request, pk):
    row = get_object_or_404(CustomReportType, pk=pk)
    custom_types.custom_type_delete(actor=request.membership, custom_type=row)
    messages.success(request, _("The report type is deleted."))
    return redirect("report_types")
