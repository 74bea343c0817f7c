"""Pages of the client base: lists, cards with in-place editing, search, duplicates, merge,
exports and segments. Companies and contacts share every view; `kind` says which."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.activity import services as activity_services
from crm.activity.selectors import timeline_page
from crm.api.filters import members_of_workspace
from crm.web.decorators import manager_required, member_required
from crm.web.forms import errors_to_form
from crm.web.params import as_id, clean_text, parse_id, parse_ids, parse_page
from crm.web.templatetags.crm_tags import phones, tels

from . import duplicates, exporter, forms, panels, selectors, services
from .models import Company, Contact, CustomField, Segment
from .normalize import split_list

PAGE_SIZE = 50
KINDS = {
    "contact": {"model": Contact, "list": "contacts", "title": gettext_lazy("Contacts"),
                "new": gettext_lazy("New contact")},
    "company": {"model": Company, "list": "companies", "title": gettext_lazy("Companies"),
                "new": gettext_lazy("New company")},
}  # fmt: skip


def _require(request, kind, action="view"):
    if not request.membership.can(kind, action):
        raise PermissionDenied


def _record(request, kind, pk):
    """A record inside the workspace and the member's visibility; 404 otherwise."""
    return get_object_or_404(selectors.records_for(request.membership, kind), pk=pk)


def _list_params(request, kind) -> QueryDict:
    """The request's filters, with a chosen segment's filters underneath."""
    params = QueryDict(mutable=True)
    segment_id = parse_id(request.GET.get("segment"), "segment")
    if segment_id is not None:
        segment = get_object_or_404(_segments(request, kind), pk=segment_id)
        for key, value in segment.filters.items():
            params.setlist(key, value if isinstance(value, list) else [value])
    for key in request.GET:
        if key not in ("segment", "page"):
            params.setlist(key, request.GET.getlist(key))
    return params


def _without(params: QueryDict, *names) -> str:
    rest = params.copy()
    for name in names:
        rest.pop(name, None)
    return rest.urlencode()


def _as_query(filters: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in filters.items():
        query.setlist(key, values)
    return query


def _segments(request, kind):
    return Segment.objects.filter(object_type=kind).filter(Q(owner=request.user) | Q(shared=True))


def filtered(request, kind):
    params = _list_params(request, kind)
    qs = selectors.records_for(request.membership, kind)
    qs = selectors.apply_filters(qs, params, kind, request.tenant.country)
    if not params.get("q"):
        qs = selectors.apply_ordering(qs, params.get("ordering", ""), kind)
    if kind == "company":
        qs = qs.annotate(contact_count=Count("contacts"))
    return qs, params


@member_required
def record_list(request, kind):
    _require(request, kind)
    try:
        qs, params = filtered(request, kind)
        page = parse_page(request.GET.get("page"))
    except ValidationError:
        messages.error(request, _("Some filters were not valid and were ignored."))
        return redirect(KINDS[kind]["list"])
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    context = {
        "kind": kind, "cfg": KINDS[kind], "rows": rows[:PAGE_SIZE], "page": page,
        "has_next": len(rows) > PAGE_SIZE, "params": params,
        "querystring": params.urlencode(),
        "sort_qs": _without(params, "ordering"),
        "custom_filters": [(cf, params.get(f"cf_{cf.key}", "")) for cf in
                           CustomField.objects.filter(object_type=kind, field_type="select")],
        "custom_fields": CustomField.objects.filter(object_type=kind),
        "segments": _segments(request, kind), "owners": members_of_workspace(),
        "current_segment": request.GET.get("segment", ""),
        "can": {a: request.membership.can(kind, a) for a in
                ("create", "edit", "delete", "export")},
    }  # fmt: skip
    template = (
        "contacts/_rows.html"
        if request.htmx and request.htmx.target == "rows"
        else ("contacts/list.html")
    )
    return render(request, template, context)


@member_required
def record_new(request, kind):
    _require(request, kind, "create")
    form = forms.RecordForm(request.POST or None, object_type=kind)
    candidates, hidden = [], False
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_create(
                actor=request.membership,
                model=KINDS[kind]["model"],
                data=form.data_for_service(),
                allow_duplicate=request.POST.get("allow_duplicate") == "1",
            )
        except services.DuplicatesFound as exc:
            candidates, hidden = exc.candidates, exc.hidden
        except ValidationError as exc:
            errors_to_form(form, exc, rename=_form_field)
        else:
            messages.success(request, _("%(name)s added.") % {"name": record})
            return redirect(f"{kind}_card", pk=record.pk)
    return render(
        request,
        "contacts/new.html",
        {
            "kind": kind,
            "cfg": KINDS[kind],
            "form": form,
            "candidates": candidates,
            "hidden_duplicate": hidden,
        },
    )


def _form_field(name: str) -> str:
    """The services call a custom field `custom.<key>`; the forms call it `cf_<key>`."""
    return "cf_" + name.removeprefix("custom.") if name.startswith("custom.") else name


def _card_fields(kind, record, custom_defs):
    names = forms.CONTACT_FORM_FIELDS if kind == "contact" else forms.COMPANY_FORM_FIELDS
    out = [
        {"name": n, "label": forms.LABELS[n], "value": _display(record, n)}
        for n in names
        if not (kind == "contact" and n in ("first_name", "last_name", "middle_name"))
    ]
    out += [
        {"name": f"cf_{d.key}", "label": d.label, "value": _display(record, f"cf_{d.key}")}
        for d in custom_defs
    ]
    return out


def _display(record, name):
    if name.startswith("cf_"):
        value = record.custom.get(name[3:])
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return ", ".join(value) if isinstance(value, list) else value
    value = getattr(record, name)
    if name == "phones":  # click to call
        return tels(value if isinstance(value, list) else [value] if value else [])
    if name in ("phones", "whatsapp"):
        return phones(value if isinstance(value, list) else [value] if value else [])
    if isinstance(value, list):
        return ", ".join(value)
    if name == "owner" and value is not None:
        return value.display_name
    return value


@member_required
def record_card(request, kind, pk):
    _require(request, kind)
    record = _record(request, kind, pk)
    custom_defs = list(CustomField.objects.filter(object_type=kind))
    context = {
        "kind": kind, "cfg": KINDS[kind], "record": record,
        "fields": _card_fields(kind, record, custom_defs),
        "timeline": timeline_page(request.membership, kind, record.pk),
        "can_edit": request.membership.can(kind, "edit"),
        "can_delete": request.membership.can(kind, "delete"),
        "panels": panels.render_all(request, kind, record),
    }  # fmt: skip
    if kind == "company":
        context["people"] = selectors.contacts_for(request.membership).filter(company=record)
    return render(request, "contacts/card.html", context)


@member_required
def record_field(request, kind, pk, name):
    """One field of the card edited in place (htmx): GET the input, POST to save."""
    _require(request, kind, "edit")
    record = _record(request, kind, pk)
    form = forms.RecordForm(request.POST or None, object_type=kind, only=[name], record=record)
    if name not in form.fields:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_update(
                actor=request.membership, record=record, data=form.data_for_service()
            )
        except ValidationError as exc:
            errors_to_form(form, exc, rename=_form_field)
        else:
            defs = CustomField.objects.filter(object_type=kind)
            field = next(f for f in _card_fields(kind, record, defs) if f["name"] == name)
            return render(
                request,
                "contacts/_field.html",
                {"kind": kind, "record": record, "f": field, "can_edit": True, "saved": True},
            )
    return render(
        request,
        "contacts/_field_form.html",
        {"kind": kind, "record": record, "form": form, "name": name},
    )


@member_required
def record_name(request, kind, pk):
    """The card's title (a contact's name parts, a company's name), edited in place."""
    _require(request, kind, "edit")
    record = _record(request, kind, pk)
    only = ["first_name", "middle_name", "last_name"] if kind == "contact" else ["name"]
    form = forms.RecordForm(request.POST or None, object_type=kind, only=only, record=record)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_update(
                actor=request.membership, record=record, data=form.data_for_service()
            )
        except ValidationError as exc:
            errors_to_form(form, exc, rename=_form_field)
        else:
            return render(
                request, "contacts/_title.html", {"kind": kind, "record": record, "can_edit": True}
            )
    return render(
        request, "contacts/_title_form.html", {"kind": kind, "record": record, "form": form}
    )


@require_POST
@member_required
def record_note(request, kind, pk):
    _require(request, kind)
    record = _record(request, kind, pk)
    try:
        activity_services.note_add(
            actor=request.membership, subject=record, body=request.POST.get("body", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{kind}_card", pk=record.pk)


@require_POST
@member_required
def record_delete(request, kind, pk):
    record = _record(request, kind, pk)
    services.record_delete(actor=request.membership, record=record)
    messages.success(request, _("%(name)s deleted.") % {"name": record})
    return redirect(KINDS[kind]["list"])


@require_POST
@member_required
def record_bulk(request, kind):
    action = request.POST.get("action", "")
    ids = parse_ids(request.POST.getlist("ids"), "ids")
    back = reverse(KINDS[kind]["list"]) + "?" + request.POST.get("back", "")
    if not ids:
        messages.error(request, _("Select some rows first."))
        return redirect(back)
    qs = selectors.records_for(request.membership, kind).filter(pk__in=ids)
    if action == "export":
        _require(request, kind, "export")
        return exporter.export_response(
            qs, kind, request.POST.get("format", "csv"), _custom_keys(kind)
        )
    value = None
    if action == "assign_owner":
        value = members_of_workspace().filter(pk=as_id(request.POST.get("owner")) or 0).first()
        if value is None:  # an unknown owner must not clear the owner of every row
            messages.error(request, _("Choose the new owner."))
            return redirect(back)
    elif action in ("add_tags", "remove_tags"):
        value = split_list(request.POST.get("tags", ""))
    try:
        count = services.bulk_action(
            actor=request.membership, queryset=qs, action=action, value=value
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Done for %(n)s records.") % {"n": count})
    return redirect(back)


def _custom_keys(kind):
    return list(CustomField.objects.filter(object_type=kind).values_list("key", flat=True))


@member_required
def record_export(request, kind):
    """The whole list as filtered (or a segment), streamed."""
    _require(request, kind, "export")
    qs, _params = filtered(request, kind)
    return exporter.export_response(qs, kind, request.GET.get("format", "csv"), _custom_keys(kind))


@require_POST
@member_required
def segment_save(request, kind):
    _require(request, kind)
    form = forms.SegmentForm(request.POST)
    query = QueryDict(request.POST.get("query", ""))
    filters = {
        clean_text(k, "query"): [clean_text(v, k) for v in query.getlist(k)]
        for k in query
        if k not in ("page", "segment")
    }
    try:  # the filters must work when the segment is opened
        selectors.apply_filters(
            selectors.records_for(request.membership, kind),
            _as_query(filters), kind, request.tenant.country,
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(KINDS[kind]["list"])
    if form.is_valid():
        segment = Segment.objects.create(
            object_type=kind, owner=request.user, filters=filters, **form.cleaned_data
        )
        messages.success(request, _("Segment %(name)s saved.") % {"name": segment.name})
        return redirect(reverse(KINDS[kind]["list"]) + f"?segment={segment.pk}")
    messages.error(request, _("Give the segment a name."))
    return redirect(reverse(KINDS[kind]["list"]) + "?" + query.urlencode())


@require_POST
@member_required
def segment_delete(request, kind, pk):
    segment = get_object_or_404(Segment.objects.filter(object_type=kind, owner=request.user), pk=pk)
    segment.delete()
    messages.success(request, _("Segment deleted."))
    return redirect(KINDS[kind]["list"])


@member_required
def duplicate_groups(request, kind):
    _require(request, kind, "edit")
    visible = selectors.records_for(request.membership, kind)
    groups = duplicates.visible_groups(kind, request.membership)
    records = visible.in_bulk({i for g in groups for i in g["ids"]})
    shown = [{**g, "records": [records[i] for i in g["ids"]]} for g in groups]
    return render(
        request, "contacts/duplicates.html", {"kind": kind, "cfg": KINDS[kind], "groups": shown}
    )


@member_required
def merge(request, kind):
    """Pick the surviving value of each field, then merge."""
    _require(request, kind, "edit")
    _require(request, kind, "delete")
    raw = request.POST.getlist("ids") or request.GET.get("ids", "").split(",")
    ids = sorted(set(parse_ids(raw, "ids")))
    records = list(selectors.records_for(request.membership, kind).filter(pk__in=ids))
    if len(records) < 2 or len(records) != len(ids):
        messages.error(request, _("Choose at least two records you can see."))
        return redirect(f"{kind}_duplicates")
    names = [
        n
        for n in (forms.CONTACT_FORM_FIELDS if kind == "contact" else forms.COMPANY_FORM_FIELDS)
        if n not in ("emails", "phones", "tags")
    ]
    survivor = None
    if request.method == "POST":
        survivor_id = as_id(request.POST.get("survivor"))
        survivor = next((r for r in records if r.pk == survivor_id), None)
        if survivor is None:
            messages.error(request, _("Choose the record to keep, among those merged."))
    if survivor is not None:
        picks = {n: as_id(request.POST.get(f"pick_{n}")) for n in names}
        picks = {n: pk for n, pk in picks.items() if pk is not None}
        others = [r for r in records if r.pk != survivor.pk]
        services.merge(actor=request.membership, survivor=survivor, others=others, picks=picks)
        messages.success(request, _("Merged into %(name)s.") % {"name": survivor})
        return redirect(f"{kind}_card", pk=survivor.pk)
    rows = []
    for name in names:
        values = [(r.pk, _display(r, name)) for r in records]
        if any(v for _, v in values):
            rows.append(
                {
                    "name": name,
                    "label": forms.LABELS[name],
                    "values": values,
                    "differ": len({str(v) for _, v in values}) > 1,
                }
            )
    return render(
        request,
        "contacts/merge.html",
        {"kind": kind, "cfg": KINDS[kind], "records": records, "rows": rows},
        status=400 if request.method == "POST" else 200,  # POSTed without a valid survivor
    )


@member_required
def global_search(request):
    """The search box in the top bar: contacts and companies as you type."""
    q = clean_text(request.GET.get("q"), "q", max_length=selectors.SEARCH_MAX)
    results = {"contacts": [], "companies": []}
    if len(q) >= 2:
        region = request.tenant.country
        if request.membership.can("contact"):
            results["contacts"] = list(
                selectors.search(selectors.contacts_for(request.membership), q, region)[:8]
            )
        if request.membership.can("company"):
            results["companies"] = list(
                selectors.search(selectors.companies_for(request.membership), q, region)[:5]
            )
    return render(request, "contacts/_search_results.html", {"q": q, **results})


@manager_required
def custom_fields(request):
    form = forms.CustomFieldForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("delete"):
            field = get_object_or_404(
                CustomField.objects.all(), pk=parse_id(request.POST["delete"], "delete")
            )
            services.custom_field_delete(actor=request.membership, field=field)
            messages.success(request, _("Field %(label)s deleted.") % {"label": field.label})
            return redirect("custom_fields")
        if form.is_valid():
            try:
                services.custom_field_save(actor=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc, rename=_form_field)
            else:
                messages.success(request, _("Field added."))
                return redirect("custom_fields")
    return render(
        request, "settings/custom_fields.html", {"form": form, "fields": CustomField.objects.all()}
    )
