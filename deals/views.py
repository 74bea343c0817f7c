"""Pages of the deals: the board (kanban) with drag and drop, the list with bulk actions, the
deal card with its products, people, files and history, and the new-deal page.

Every record named in a URL or a form is looked up inside the workspace and the member's
visibility (`board.visible_deals`), so a missing id, another workspace's id and a deal the
member may not see all answer 404. Every write goes through `deals.services`, which checks
the role's actions; the pages only hide what the role cannot do.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Min, Sum
from django.http import FileResponse, Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contacts.selectors import companies_for, contacts_for
from crm.activity import services as activity_services
from crm.activity.selectors import timeline_page
from crm.api.filters import members_of_workspace
from crm.web.decorators import member_required
from crm.web.forms import errors_to_form
from crm.web.params import as_id, parse_int, parse_page
from crm.web.uploads import upload_limit
from pipelines.models import Pipeline, Stage

from . import board as boards
from . import board_links, forms, panels, selectors, services
from .models import Attachment, Deal, DealContact, LineItem

PAGE_SIZE = 50
MAX_OFFSET = 1_000_000  # "load more" of one column of the board
SESSION_PIPELINE = "deals_pipeline"
SORTABLE = {
    "title": ("title", "id"),
    "amount": ("amount", "id"),
    "stage": ("stage__position", "stage_id", "position"),
    "owner": ("owner__first_name", "owner__email", "id"),
    "company": ("company__name", "id"),
    "expected_close": ("expected_close", "id"),
    "next_activity_at": ("next_activity_at", "id"),
    "created_at": ("created_at", "id"),
}
STATUSES = {"open": Deal.OPEN, "won": Deal.WON, "lost": Deal.LOST}


# --- helpers -------------------------------------------------------------------------------


def _on_form(form, call):
    """Run a service call for `form`: its result, or None with the refusal put on the form."""
    try:
        return call()
    except ValidationError as exc:
        errors_to_form(form, exc)
    except PermissionDenied:
        form.add_error(None, _("Your role does not allow this."))
    return None


def _guarded(request, deal, call):
    """Run a service call for the board or the card: (result, None), or (None, the answer
    that shows why it was refused)."""
    try:
        return call(), None
    except ValidationError as exc:
        return None, _refused(request, deal, _error_text(exc), 400)
    except PermissionDenied:
        return None, _refused(request, deal, _("Your role does not allow this."), 403)


def _require(request, action="view"):
    if not request.membership.can("deal", action):
        raise PermissionDenied


def _deal(request, pk, *related) -> Deal:
    """A deal inside the workspace and the member's visibility; 404 otherwise."""
    qs = boards.visible_deals(request.membership)
    if related:
        qs = qs.select_related(*related)
    return get_object_or_404(qs, pk=pk)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _current_pipeline(request, pipelines: list[Pipeline]) -> Pipeline | None:
    """The pipeline asked for, else the one last looked at, else the first."""
    by_id = {str(p.pk): p for p in pipelines}
    wanted = request.GET.get("pipeline") or str(request.session.get(SESSION_PIPELINE, ""))
    pipeline = by_id.get(wanted) or (pipelines[0] if pipelines else None)
    if pipeline is not None and request.session.get(SESSION_PIPELINE) != pipeline.pk:
        request.session[SESSION_PIPELINE] = pipeline.pk
    return pipeline


def _can(request) -> dict:
    return {a: request.membership.can("deal", a) for a in ("create", "edit", "delete", "export")}


def _owners():
    return members_of_workspace().order_by("first_name", "email")


# --- the board -----------------------------------------------------------------------------


@member_required
def board_view(request):
    _require(request)
    pipelines = list(Pipeline.objects.filter(is_archived=False))
    pipeline = _current_pipeline(request, pipelines)
    filters = boards.BoardFilters.from_params(request.GET)
    context = {
        "pipelines": pipelines,
        "pipeline": pipeline,
        "filters": filters,
        "filter_qs": filters.params().urlencode(),
        "owners": _owners(),
        "can": _can(request),
        "board_links": board_links.for_board(request.membership, pipeline),
    }
    if pipeline is not None:
        context["board"] = boards.board(request.membership, pipeline, filters)
        context["lost_form"] = forms.LostForm()
    return render(request, "deals/board.html", context)


@member_required
def board_column(request, stage_id):
    """More cards of one column ("load more"), from ?offset=."""
    _require(request)
    stage = get_object_or_404(
        Stage.objects.select_related("pipeline").filter(kind=Stage.OPEN), pk=stage_id
    )
    offset = parse_int(
        request.GET.get("offset"), "offset", min_value=0, max_value=MAX_OFFSET, default=0
    )
    filters = boards.BoardFilters.from_params(request.GET)
    cards, more = boards.column_cards(
        request.membership, stage.pipeline, stage, filters, offset=offset
    )
    return render(
        request,
        "deals/_column_more.html",
        {
            "stage": stage,
            "cards": cards,
            "more": more,
            "next_offset": offset + len(cards),
            "filter_qs": filters.params().urlencode(),
            "can": _can(request),
        },
    )


def _position(request, deal: Deal, stage: Stage) -> float | None:
    """Where the card was dropped: between the cards above (`before`) and below (`after`),
    both read inside the member's visibility and the target column."""
    wanted = {k: v for k in ("before", "after") if (v := as_id(request.POST.get(k)))}
    if not wanted:
        return None
    found = dict(
        boards.visible_deals(request.membership)
        .filter(stage=stage, status=Deal.OPEN, pk__in=list(wanted.values()))
        .exclude(pk=deal.pk)
        .values_list("pk", "position")
    )
    above, below = found.get(wanted.get("before")), found.get(wanted.get("after"))
    if above is not None and below is not None:
        return (above + below) / 2
    if above is not None:
        return above + 1
    if below is not None:
        return below - 1
    return None


def _moved(request, deal: Deal, stage_ids, message: str):
    """The answer to a move: JSON for the board (the columns' new totals), else the card."""
    if _wants_json(request):
        filters = boards.BoardFilters.from_params(QueryDict(request.POST.get("filters", "")))
        columns = boards.column_summaries(request.membership, deal.pipeline, filters, stage_ids)
        return JsonResponse({"ok": True, "deal": deal.pk, "message": message, "columns": columns})
    messages.success(request, message)
    return redirect("deal_card", pk=deal.pk)


def _refused(request, deal: Deal, text: str, status: int):
    if _wants_json(request):
        return JsonResponse({"ok": False, "error": text}, status=status)
    messages.error(request, text)
    return redirect("deal_card", pk=deal.pk)


@require_POST
@member_required
def deal_move(request, pk):
    """Drop a card on a column (open stage) of its pipeline, at a place in it."""
    _require(request, "edit")
    deal = _deal(request, pk, "pipeline", "stage")
    stage_id = request.POST.get("stage", "")
    if as_id(stage_id) is None:
        return _refused(request, deal, _("Choose a stage."), 400)
    stage = Stage.objects.filter(pipeline_id=deal.pipeline_id, pk=as_id(stage_id)).first()
    if stage is None:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": _("No such stage.")}, status=404)
        raise Http404
    if stage.kind == Stage.WON:
        return deal_won(request, pk)
    if stage.kind == Stage.LOST:
        return _refused(request, deal, _("Say why the deal was lost."), 400)
    source = deal.stage_id

    def move():
        position = _position(request, deal, stage)
        moved = deal
        if deal.status != Deal.OPEN:
            moved = services.deal_reopen(actor=request.membership, deal=deal, stage=stage)
            if position is None:
                return moved
        return services.deal_move(
            actor=request.membership, deal=moved, stage=stage, position=position
        )

    moved, refused = _guarded(request, deal, move)
    if refused:
        return refused
    deal = moved
    return _moved(
        request, deal, {source, stage.pk}, _("Moved to %(stage)s.") % {"stage": stage.name}
    )


@require_POST
@member_required
def deal_won(request, pk):
    _require(request, "edit")
    deal = _deal(request, pk, "pipeline", "stage")
    source = deal.stage_id
    won, refused = _guarded(
        request, deal, lambda: services.deal_won(actor=request.membership, deal=deal)
    )
    if refused:
        return refused
    deal = won
    return _moved(request, deal, {source}, _("Won! %(title)s is closed.") % {"title": deal})


@require_POST
@member_required
def deal_lost(request, pk):
    _require(request, "edit")
    deal = _deal(request, pk, "pipeline", "stage")
    source = deal.stage_id
    form = forms.LostForm(request.POST)
    if not form.is_valid():
        errors = [e for errs in form.errors.values() for e in errs]
        return _refused(request, deal, " ".join(errors), 400)
    lost, refused = _guarded(
        request,
        deal,
        lambda: services.deal_lost(
            actor=request.membership,
            deal=deal,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        ),
    )
    if refused:
        return refused
    deal = lost
    return _moved(request, deal, {source}, _("%(title)s is marked lost.") % {"title": deal})


@require_POST
@member_required
def deal_reopen(request, pk):
    _require(request, "edit")
    deal = _deal(request, pk, "pipeline", "stage")
    reopened, refused = _guarded(
        request, deal, lambda: services.deal_reopen(actor=request.membership, deal=deal)
    )
    if refused:
        return refused
    deal = reopened
    return _moved(request, deal, {deal.stage_id}, _("Reopened."))


@require_POST
@member_required
def deal_quick(request):
    """A deal typed into a column of the board: the new card, and the column's new totals."""
    _require(request, "create")
    stage_id = request.POST.get("stage", "")
    stage = get_object_or_404(
        Stage.objects.select_related("pipeline").filter(kind=Stage.OPEN),
        pk=as_id(stage_id) or 0,
    )
    form = forms.QuickDealForm(request.POST)
    card = None
    if form.is_valid():
        data = {
            "title": form.cleaned_data["title"],
            "pipeline": stage.pipeline,
            "stage": stage,
            "owner": request.user,
        }
        if form.cleaned_data["amount"] is not None:
            data["amount"] = form.cleaned_data["amount"]

        def create():
            deal = services.deal_create(actor=request.membership, data=data)
            # Typed at the top of the column, so it stays at the top (new deals go last).
            top = (
                boards.visible_deals(request.membership)
                .filter(stage=stage, status=Deal.OPEN)
                .exclude(pk=deal.pk)
                .aggregate(m=Min("position"))["m"]
            )
            if top is None:
                return deal
            return services.deal_move(
                actor=request.membership, deal=deal, stage=stage, position=top - 1
            )

        deal = _on_form(form, create)
        if deal is not None:
            card = _decorated(request, deal, stage)
            form = forms.QuickDealForm()
    filters = boards.BoardFilters.from_params(QueryDict(request.POST.get("filters", "")))
    column = boards.column_summaries(request.membership, stage.pipeline, filters, [stage.pk])
    return render(
        request,
        "deals/_quick_created.html",
        {
            "stage": stage,
            "filter_qs": filters.params().urlencode(),
            "card": card,
            "form": form,
            "summary": column[0] if column else None,
            "can": _can(request),
        },
    )  # 200 with the errors too: htmx swaps only successful answers


def _decorated(request, deal: Deal, stage: Stage) -> Deal:
    deal = boards.visible_deals(request.membership).get(pk=deal.pk)
    return boards.decorate([deal], {stage.pk: stage})[0]


# --- the list ------------------------------------------------------------------------------


def _list_queryset(request):
    """The deals of the list: the board's filters, plus pipeline, status and ordering."""
    params = request.GET
    filters = boards.BoardFilters.from_params(params)
    qs = boards.visible_deals(request.membership).select_related(
        "stage", "owner", "company", "pipeline"
    )
    pipeline_id = params.get("pipeline", "")
    if as_id(pipeline_id):
        qs = qs.filter(pipeline_id=as_id(pipeline_id))
    status = params.get("status", "open")
    if status in STATUSES:
        qs = qs.filter(status=STATUSES[status])
    qs = filters.apply(qs, request.membership)
    ordering = params.get("ordering", "")
    fields = SORTABLE.get(ordering.lstrip("-"))
    if fields:
        desc = ordering.startswith("-")
        qs = qs.order_by(
            *[F(f).desc(nulls_last=True) if desc else F(f).asc(nulls_last=True) for f in fields]
        )
    else:
        ordering = ""
        qs = qs.order_by("-created_at", "-id")
    return qs, filters, status, ordering


@member_required
def deal_list(request):
    _require(request)
    pipelines = list(Pipeline.objects.filter(is_archived=False))
    if "pipeline" not in request.GET and request.session.get(SESSION_PIPELINE):
        query = request.GET.copy()
        query["pipeline"] = request.session[SESSION_PIPELINE]
        return redirect(f"{reverse('deal_list')}?{query.urlencode()}")
    qs, filters, status, ordering = _list_queryset(request)
    page = parse_page(request.GET.get("page"))
    summary = qs.order_by().aggregate(n=Count("id"), total=Sum("amount"))
    # The page's ids first (sorting narrow rows), then those deals with what a row shows:
    # joining every deal of the funnel before the sort cost 60 ms at 2,000 deals.
    ids = list(qs.values_list("pk", flat=True)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    found = boards.visible_deals(request.membership).in_bulk(ids)
    rows = boards.decorate([found[pk] for pk in ids if pk in found])
    pages = max((summary["n"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("ordering", None)
    stages = Stage.objects.filter(kind=Stage.OPEN, pipeline__is_archived=False).select_related(
        "pipeline"
    )
    current = next((p for p in pipelines if str(p.pk) == request.GET.get("pipeline")), None)
    return render(
        request,
        "deals/list.html",
        {
            "rows": rows,
            "page": page,
            "pages": pages,
            "count": summary["n"],
            "total": boards.money(summary["total"] or Decimal(0), request.tenant.currency),
            "filters": filters,
            "status": status,
            "ordering": ordering,
            "pipelines": pipelines,
            "pipeline_id": request.GET.get("pipeline", ""),
            "querystring": query.urlencode(),
            "sort_qs": sort_query.urlencode(),
            "owners": _owners(),
            "stages": stages,
            "can": _can(request),
            "board_links": board_links.for_board(request.membership, current),
        },
    )


@require_POST
@member_required
def deal_bulk(request):
    """Assign an owner, move to a stage or delete the selected deals (each through the
    service, so each change is checked and recorded)."""
    action = request.POST.get("action", "")
    ids = [i for i in map(as_id, request.POST.getlist("ids")) if i]
    back = reverse("deal_list") + "?" + request.POST.get("back", "")
    if not ids:
        messages.error(request, _("Select some deals first."))
        return redirect(back)
    deals = list(boards.visible_deals(request.membership).filter(pk__in=ids))
    module = services
    value = None
    if action == "assign_owner":
        value = _owners().filter(pk=as_id(request.POST.get("owner")) or 0).first()
        if value is None:
            messages.error(request, _("Choose the new owner."))
            return redirect(back)
    elif action == "move_stage":
        stage_id = request.POST.get("stage", "")
        value = Stage.objects.filter(kind=Stage.OPEN, pk=as_id(stage_id) or 0).first()
        if value is None:
            messages.error(request, _("Choose the stage."))
            return redirect(back)
    elif action != "delete":
        messages.error(request, _("Choose what to do with them."))
        return redirect(back)
    done, failed = 0, []
    for deal in deals:
        try:
            if action == "assign_owner":
                module.deal_update(actor=request.membership, deal=deal, data={"owner": value})
            elif action == "move_stage":
                if deal.pipeline_id != value.pipeline_id:
                    raise ValidationError(_("%(title)s is in another pipeline.") % {"title": deal})
                if deal.status != Deal.OPEN:
                    module.deal_reopen(actor=request.membership, deal=deal, stage=value)
                else:
                    module.deal_move(actor=request.membership, deal=deal, stage=value)
            else:
                module.deal_delete(actor=request.membership, deal=deal)
        except PermissionDenied:
            messages.error(request, _("Your role does not allow this."))
            return redirect(back)
        except ValidationError as exc:
            failed.append(_error_text(exc))
        else:
            done += 1
    if done:
        messages.success(request, _("Done for %(n)s deals.") % {"n": done})
    for text in failed[:5]:
        messages.error(request, text)
    return redirect(back)


# --- a new deal ----------------------------------------------------------------------------


@member_required
def deal_new(request):
    """The new-deal page; ?company=, ?contact=, ?stage= prefill it (from a client's card or a
    column of the board)."""
    _require(request, "create")
    initial = {"owner": request.user.pk, "currency": request.tenant.currency}
    for name in ("company", "contact", "stage"):
        value = request.GET.get(name, "")
        if as_id(value):
            initial[name] = as_id(value)
    if "contact" in initial and "company" not in initial:
        contact = contacts_for(request.membership).filter(pk=initial["contact"]).first()
        if contact is not None and contact.company_id:
            initial["company"] = contact.company_id
    if "stage" not in initial and request.session.get(SESSION_PIPELINE):
        first = Stage.objects.filter(
            pipeline_id=request.session[SESSION_PIPELINE], kind=Stage.OPEN
        ).first()
        if first is not None:
            initial["stage"] = first.pk
    if "company" in initial and "title" not in initial:
        company = companies_for(request.membership).filter(pk=initial["company"]).first()
        if company is not None:
            initial["title"] = _("Deal with %(company)s") % {"company": company.name}
    form = forms.NewDealForm(request.POST or None, membership=request.membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(actor=request.membership, data=form.data_for_service())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("%(title)s added.") % {"title": deal})
            return redirect("deal_card", pk=deal.pk)
    return render(request, "deals/new.html", {"form": form})


# --- the deal card -------------------------------------------------------------------------


def _display(deal: Deal, name: str):
    value = getattr(deal, name)
    if name == "amount":
        return boards.money(value, deal.currency)
    if name == "tags":
        return ", ".join(value)
    if name == "owner":
        return value.display_name if value else ""
    if name == "company":
        if deal.company_shown is None and value is not None:
            return _("A company you cannot see")
        return value.name if value else ""
    if name == "currency":
        return value
    return value


def _fields(deal: Deal, has_items: bool) -> list[dict]:
    return [
        {
            "name": name,
            "label": forms.LABELS[name],
            "value": _display(deal, name),
            "locked": name == "amount" and has_items,
        }
        for name in forms.CARD_FIELDS
    ]


def _attachments(deal: Deal) -> list[Attachment]:
    rows = list(deal.attachments.select_related("uploaded_by"))
    for row in rows:
        row.ext = PurePath(row.name).suffix.lstrip(".")[:4].upper() or "FILE"
    return rows


def _history(deal: Deal) -> list:
    rows = list(
        deal.stage_history.select_related("stage", "moved_by").order_by("-entered_at", "-id")
    )
    for row in rows:
        row.days = (row.left_at - row.entered_at).days if row.left_at else None
        row.colour = boards.colour_class(row.stage)
    return rows


def _deal_contacts(deal: Deal, membership) -> list[DealContact]:
    """The deal's people; `hidden` marks those the member may not see (shown as such)."""
    return list(
        deal.deal_contacts.select_related("contact")
        .annotate(hidden=selectors.hidden_to(membership, "contact", "contact_id"))
        .order_by("id")
    )


def _card_context(request, deal: Deal) -> dict:
    """What every part of the card needs (the whole card, or one part after a change)."""
    items = list(deal.line_items.select_related("product"))
    for item in items:
        item.price_display = boards.money(item.price, deal.currency)
        item.total_display = boards.money(item.total, deal.currency)
    return {
        "deal": deal,
        "items": items,
        "items_total": boards.money(sum((i.total for i in items), Decimal(0)), deal.currency),
        "amount_display": boards.money(deal.amount, deal.currency),
        "fields": _fields(deal, bool(items)),
        "item_form": forms.LineItemForm(),
        "deal_contacts": _deal_contacts(deal, request.membership),
        "contact_form": forms.DealContactForm(membership=request.membership),
        "attachments": _attachments(deal),
        "file_form": forms.AttachmentForm(),
        "can": _can(request),
    }


@member_required
def deal_card(request, pk):
    _require(request)
    deal = _deal(request, pk, "lost_reason")
    stages = list(Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position", "id"))
    boards.decorate([deal], {s.pk: s for s in stages})
    context = _card_context(request, deal)
    open_stages = [s for s in stages if s.kind == Stage.OPEN]
    reached = deal.status != Deal.LOST
    for stage in open_stages:  # the stage bar: stages up to the current one are reached
        stage.current = deal.status == Deal.OPEN and stage.pk == deal.stage_id
        stage.reached = reached
        stage.colour = boards.colour_class(stage)
        if stage.current:
            reached = False
    context.update(
        {
            "stages": open_stages,
            "colour": boards.colour_class(deal.stage),
            "history": _history(deal),
            "timeline": timeline_page(request.membership, "deal", deal.pk),
            "lost_form": forms.LostForm(),
            "panels": panels.render_all(request, deal),
        }
    )
    return render(request, "deals/card.html", context)


def _section(request, deal: Deal, template: str, extra: dict | None = None):
    """After a change to a part of the card: that part (htmx), else the whole card."""
    if not request.htmx:
        return redirect("deal_card", pk=deal.pk)
    deal = _deal(request, deal.pk)
    context = {**_card_context(request, deal), "oob": True, **(extra or {})}
    return render(request, template, context)


@member_required
def deal_field(request, pk, name):
    """One field of the card, edited in place (htmx): GET the input, POST to save."""
    _require(request, "edit")
    if name not in forms.CARD_FIELDS:
        raise Http404
    deal = _deal(request, pk, "owner", "company")
    form = forms.DealForm(
        request.POST or None, membership=request.membership, only=[name], deal=deal
    )
    updated = (
        request.method == "POST"
        and form.is_valid()
        and _on_form(
            form,
            lambda: services.deal_update(
                actor=request.membership, deal=deal, data=form.data_for_service()
            ),
        )
    )
    if not updated:
        return render(request, "deals/_field_form.html", {"deal": deal, "form": form, "name": name})
    has_items = updated.line_items.exists()
    field = next(f for f in _fields(updated, has_items) if f["name"] == name)
    return render(
        request,
        "deals/_field.html",
        {
            "deal": updated,
            "f": field,
            "can": _can(request),
            "saved": True,
            "amount_display": boards.money(updated.amount, updated.currency),
            "oob_amount": name in ("amount", "currency"),
        },
    )


@member_required
def deal_title(request, pk):
    _require(request, "edit")
    deal = _deal(request, pk)
    form = forms.DealForm(
        request.POST or None, membership=request.membership, only=["title"], deal=deal
    )
    if request.method == "POST" and form.is_valid():
        updated = _on_form(
            form,
            lambda: services.deal_update(
                actor=request.membership, deal=deal, data=form.data_for_service()
            ),
        )
        if updated:
            return render(request, "deals/_title.html", {"deal": updated, "can": _can(request)})
    return render(request, "deals/_title_form.html", {"deal": deal, "form": form})


@require_POST
@member_required
def deal_delete(request, pk):
    _require(request, "delete")
    deal = _deal(request, pk)
    try:
        services.deal_delete(actor=request.membership, deal=deal)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
        return redirect("deal_card", pk=deal.pk)
    messages.success(request, _("%(title)s deleted.") % {"title": deal})
    return redirect("deals")


@require_POST
@member_required
def deal_note(request, pk):
    _require(request)
    deal = _deal(request, pk)
    try:
        activity_services.note_add(
            actor=request.membership, subject=deal, body=request.POST.get("body", "")
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("deal_card", pk=deal.pk)


# products


@require_POST
@member_required
def item_add(request, pk):
    _require(request, "edit")
    deal = _deal(request, pk)
    form = forms.LineItemForm(request.POST)
    if form.is_valid() and _on_form(
        form,
        lambda: services.line_item_add(
            actor=request.membership, deal=deal, data=form.data_for_service()
        ),
    ):
        deal.refresh_from_db()  # the amount follows the line items
        return _section(request, deal, "deals/_products.html")
    if not request.htmx:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    deal.refresh_from_db()
    return _section(request, deal, "deals/_products.html", {"item_form": form})


def _item(request, pk, item_id) -> tuple[Deal, LineItem]:
    deal = _deal(request, pk)
    return deal, get_object_or_404(LineItem.objects.filter(deal=deal), pk=item_id)


@member_required
def item_edit(request, pk, item_id):
    """A line of the products table, edited in place: GET the inputs, POST to save."""
    _require(request, "edit")
    deal, item = _item(request, pk, item_id)
    prefix = f"item{item.pk}"  # ids apart from the add form's
    if request.method == "POST":
        form = forms.LineItemForm(request.POST, prefix=prefix)
        if form.is_valid() and _on_form(
            form,
            lambda: services.line_item_update(
                actor=request.membership, item=item, data=form.data_for_service()
            ),
        ):
            deal.refresh_from_db()
            return _section(request, deal, "deals/_products.html")
    else:
        form = forms.LineItemForm(
            prefix=prefix,
            initial={
                "product": item.product_id, "name": item.name, "quantity": item.quantity,
                "price": item.price, "discount": item.discount, "tax_rate": item.tax_rate,
            }
        )  # fmt: skip
    return render(request, "deals/_item_form.html", {"deal": deal, "item": item, "form": form})


@require_POST
@member_required
def item_remove(request, pk, item_id):
    _require(request, "edit")
    deal, item = _item(request, pk, item_id)
    try:
        services.line_item_remove(actor=request.membership, item=item)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    deal.refresh_from_db()
    return _section(request, deal, "deals/_products.html")


# people


@require_POST
@member_required
def contact_add(request, pk):
    _require(request, "edit")
    deal = _deal(request, pk)
    form = forms.DealContactForm(request.POST, membership=request.membership)
    extra = {}
    if form.is_valid():
        try:
            services.deal_contact_set(
                actor=request.membership,
                deal=deal,
                contact=form.cleaned_data["contact"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
            extra["contact_form"] = form
        except PermissionDenied:
            messages.error(request, _("Your role does not allow this."))
    else:
        extra["contact_form"] = form
        if not request.htmx:
            messages.error(request, _("Choose a contact you can see."))
    return _section(request, deal, "deals/_contacts.html", extra)


@require_POST
@member_required
def contact_remove(request, pk, contact_id):
    _require(request, "edit")
    deal = _deal(request, pk)
    link = get_object_or_404(
        DealContact.objects.select_related("contact").filter(deal=deal), contact_id=contact_id
    )
    try:
        services.deal_contact_remove(actor=request.membership, deal=deal, contact=link.contact)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    return _section(request, deal, "deals/_contacts.html")


# files


@upload_limit(services.max_attachment_size)
@require_POST
@member_required
def file_add(request, pk):
    """Attach a file. One over the limit is cut off while it arrives (crm.web.uploads): it
    never reaches the disk whole, and the answer is a 413 with the section's message."""
    _require(request, "edit")
    deal = _deal(request, pk)
    form = forms.AttachmentForm(request.POST, request.FILES)
    refused = getattr(request, "upload_refused", None)
    if refused is not None:
        form = forms.AttachmentForm(request.POST)
        form.add_error("file", services.too_large(refused.size, refused.limit))
        if not request.htmx:
            messages.error(request, services.too_large(refused.size, refused.limit))
        response = _section(request, deal, "deals/_files.html", {"file_form": form})
        if request.htmx:
            response.status_code = 413  # htmx-config in base_page.html swaps it in
        return response
    if form.is_valid():
        try:
            services.attachment_add(
                actor=request.membership, deal=deal, file=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        except PermissionDenied:
            form.add_error(None, _("Your role does not allow this."))
        else:
            return _section(request, deal, "deals/_files.html")
    if not request.htmx:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return _section(request, deal, "deals/_files.html", {"file_form": form})


def _attachment(request, pk, file_id) -> tuple[Deal, Attachment]:
    deal = _deal(request, pk)
    return deal, get_object_or_404(Attachment.objects.filter(deal=deal), pk=file_id)


@member_required
def file_download(request, pk, file_id):
    _require(request)
    _, attachment = _attachment(request, pk, file_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@require_POST
@member_required
def file_delete(request, pk, file_id):
    _require(request, "edit")
    deal, attachment = _attachment(request, pk, file_id)
    try:
        services.attachment_delete(actor=request.membership, attachment=attachment)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    return _section(request, deal, "deals/_files.html")
