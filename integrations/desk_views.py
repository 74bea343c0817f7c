"""Pages of the inbox's desk: the client panel beside the thread (and its actions: a deal,
a task, linking a client), unsorted requests (accept, link, decline), snoozing until a time,
reassigning, replying with files or through another of the client's channels, response
times, and the desk's settings on Settings → Channels (assignment rules, the response
target, blocked senders).

Thin, as views.py: reads from selectors, writes through the services.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contacts.selectors import contacts_for
from crm.accounts.models import Department, Membership
from crm.web.decorators import can_view, manager_required
from crm.web.params import as_id

from . import assignment, client_panel, desk_forms, files, response_times, selectors, services
from . import snooze as snoozing
from . import unsorted as requests_
from .models import AssignmentRule, BlockedSender, Conversation

MAX_SHOWN = 1000


def shown(request, page: int) -> int:
    """How many rows the list shows: a page, or more after "Load more" (at most 1000)."""
    value = as_id(request.GET.get("shown"))
    return min(max(value or page, page), MAX_SHOWN)


def list_extras(rows, count: int, more: bool, page: int) -> dict:
    """The list's response-time badges and its "Load more" (`shown`, in the poll's and
    the links' query only once more than a page is shown)."""
    target = dt.timedelta(minutes=response_times.target_minutes())
    now = timezone.now()
    return {
        "shown": count if count > page else None,
        "more": more and count < MAX_SHOWN,
        "next_shown": min(count + page, MAX_SHOWN),
        "overdue": {c.pk for c in rows if response_times.overdue(c, target, now)},
        "target_minutes": int(target.total_seconds() // 60),
    }


def _lazy(fn):
    """A value the template reads only if it shows it (the polled messages do not), once."""
    return functools.cache(fn)


def thread_extras(request, conversation) -> dict:
    membership = request.membership
    can_edit = membership.can(selectors.OBJECT_TYPE, "edit")
    return {
        "snooze_presets": snoozing.PRESETS,
        "members": _lazy(lambda: assignable() if can_edit else []),
        "reply_targets": _lazy(lambda: client_panel.reply_targets(membership, conversation)),
        "panel": _lazy(lambda: client_panel.panel_for(membership, conversation)),
        "stages": _lazy(client_panel.open_stages),
        "times": response_times.of(conversation),
        "is_unsorted": conversation.contact_id is None and not conversation.is_spam,
        "sender_names": requests_.split_name(
            (conversation.sender or {}).get("name") or conversation.title
        ),
        "today": timezone.localdate(timezone=snoozing.zone_of(membership)).isoformat(),
        "task_kinds": desk_forms.TASK_KINDS,
        "can_create_deal": membership.can("deal", "create"),
        "can_create_task": membership.can("task", "create"),
        "can_create_contact": membership.can("contact", "create"),
    }


def assignable() -> list:
    """Active members who work in the inbox, for the reassign menu (one query)."""
    found = Membership.objects.filter(is_active=True).select_related("user", "role")
    people = [m.user for m in found if m.can(selectors.OBJECT_TYPE, "edit")]
    return sorted(people, key=lambda u: u.display_name.lower())


def go_to(request, conversation, query: str = ""):
    """To the conversation's page: a full load (the list, the thread and the panel all
    change), through htmx's HX-Redirect when htmx asked."""
    url = reverse("inbox_conversation", args=[conversation.pk]) + (f"?{query}" if query else "")
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _conversation(request, pk) -> Conversation:
    return get_object_or_404(
        selectors.conversations_for(request.membership).select_related(
            "channel", "contact", "assignee"
        ),
        pk=pk,
    )


def reply_parts(request, conversation) -> tuple[Conversation, tuple]:
    """The reply's files (uploads, each checked against INBOX_MAX_FILE_BYTES) and the
    conversation it goes to: this one, or (`via`) the client's conversation on another
    channel that the member may see. ValueError for either that cannot be."""
    uploads = request.FILES.getlist("files")[:10]
    sent = tuple(files.from_upload(u) for u in uploads)
    via = as_id(request.POST.get("via"))
    if via is None or via == conversation.pk:
        return conversation, sent
    targets = {c.pk: c for c in client_panel.reply_targets(request.membership, conversation)}
    if via not in targets:
        raise ValueError(_("The client has no conversation there that you can write to."))
    return targets[via], sent


# --- the client panel -----------------------------------------------------------------


def _panel(request, conversation, error: str = "", status: int = 200):
    context = {
        "current": conversation,
        "can_edit": request.membership.can(selectors.OBJECT_TYPE, "edit"),
        "panel_error": error,
        **thread_extras(request, conversation),
    }
    return render(request, "integrations/_client_panel.html", context, status=status)


@can_view(selectors.OBJECT_TYPE)
def client_pane(request, pk):
    return _panel(request, _conversation(request, pk))


def _amount(raw: str):
    raw = (raw or "").strip().replace(",", ".").replace(" ", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("Enter the amount as a number, such as 1500.50.")) from None
    if not value.is_finite() or value < 0:
        raise ValueError(_("Enter the amount as a number, such as 1500.50."))
    return value


def _stage(raw):
    stage_id = as_id(raw)
    found = {s.pk: s for s in client_panel.open_stages()}
    if stage_id not in found:
        raise ValueError(_("Choose a stage of an active funnel."))
    return found[stage_id]


@require_POST
@can_view(selectors.OBJECT_TYPE)
def client_deal(request, pk):
    conversation = _conversation(request, pk)
    form = desk_forms.DealForm(request.POST)
    try:
        if not form.is_valid():
            raise ValueError(desk_forms.first_error(form))
        client_panel.deal_create(
            actor=request.membership,
            conversation=conversation,
            title=form.cleaned_data["title"],
            stage=_stage(form.cleaned_data["stage"]),
            amount=_amount(form.cleaned_data["amount"]),
        )
    except (ValueError, PermissionDenied) as exc:
        return _panel(request, conversation, str(exc) or _("Your role does not allow this."))
    return _panel(request, conversation)


@require_POST
@can_view(selectors.OBJECT_TYPE)
def client_task(request, pk):
    conversation = _conversation(request, pk)
    form = desk_forms.TaskForm(request.POST)
    try:
        if not form.is_valid():
            raise ValueError(desk_forms.first_error(form))
        data = form.cleaned_data
        client_panel.task_create(
            actor=request.membership,
            conversation=conversation,
            title=data["title"],
            kind=data["kind"],
            day=data["day"],
            time=data["time"],
        )
    except (ValueError, PermissionDenied) as exc:
        return _panel(request, conversation, str(exc) or _("Your role does not allow this."))
    return _panel(request, conversation)


@can_view(selectors.OBJECT_TYPE)
def client_find(request, pk):
    """Clients the member may see, for linking the conversation to one."""
    conversation = _conversation(request, pk)
    text = (request.GET.get("q") or "").replace("\x00", "")[:200]
    found = client_panel.find_clients(request.membership, text)
    return render(
        request,
        "integrations/_client_found.html",
        {"current": conversation, "found": found, "q": text},
    )


# --- unsorted requests ----------------------------------------------------------------


def _act(request, conversation, action, success: str, query: str = ""):
    """Run an unsorted request's action; back to the conversation with its message."""
    try:
        action()
    except (ValueError, PermissionDenied) as exc:
        if request.htmx:
            return _panel(request, conversation, str(exc) or _("Your role does not allow this."))
        messages.error(request, str(exc) or _("Your role does not allow this."))
        return redirect("inbox_conversation", pk=conversation.pk)
    messages.success(request, success)
    return go_to(request, conversation, query)


@require_POST
@can_view(selectors.OBJECT_TYPE)
def conversation_accept(request, pk):
    conversation = _conversation(request, pk)
    form = desk_forms.AcceptForm(request.POST)

    def accept():
        if not form.is_valid():
            raise ValueError(desk_forms.first_error(form))
        data = form.cleaned_data
        stage = _stage(data["stage"]) if data["stage"] else None
        requests_.accept(
            actor=request.membership,
            conversation=conversation,
            first_name=data["first_name"],
            last_name=data["last_name"],
            stage=stage,
            deal_title=data["deal_title"],
            amount=_amount(data["amount"]) if stage else None,
        )

    return _act(request, conversation, accept, _("Request accepted: the client is created."))


@require_POST
@can_view(selectors.OBJECT_TYPE)
def conversation_link(request, pk):
    conversation = _conversation(request, pk)
    contact_id = as_id(request.POST.get("contact"))

    def link():
        contact = contacts_for(request.membership).filter(pk=contact_id).first()
        if contact is None:
            raise ValueError(_("Choose a client you can see."))
        requests_.link(actor=request.membership, conversation=conversation, contact=contact)

    return _act(request, conversation, link, _("The conversation is linked to the client."))


@require_POST
@can_view(selectors.OBJECT_TYPE)
def conversation_decline(request, pk):
    conversation = _conversation(request, pk)
    return _act(
        request,
        conversation,
        lambda: requests_.decline(actor=request.membership, conversation=conversation),
        _("Declined as spam; the sender is blocked."),
    )


# --- snooze and reassign --------------------------------------------------------------


def _thread(request, conversation):
    from .views import _thread_context  # the thread's own context, as its other actions

    conversation = _conversation(request, conversation.pk)
    if not request.htmx:
        return redirect("inbox_conversation", pk=conversation.pk)
    return render(request, "integrations/_thread.html", _thread_context(request, conversation))


@require_POST
@can_view(selectors.OBJECT_TYPE)
def conversation_snooze(request, pk):
    """Snooze until a preset (`preset`: hour, tomorrow, monday) or a chosen moment
    (`until`, read in the member's time zone)."""
    conversation = _conversation(request, pk)
    tz = snoozing.zone_of(request.membership)
    try:
        preset = request.POST.get("preset", "")
        moment = (
            snoozing.until(preset, tz) if preset else snoozing.chosen(request.POST.get("until"), tz)
        )
        services.conversation_update(
            actor=request.membership,
            conversation=conversation,
            status=Conversation.SNOOZED,
            snoozed_until=moment,
        )
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc) or _("Your role does not allow this."))
    return _thread(request, conversation)


@require_POST
@can_view(selectors.OBJECT_TYPE)
def conversation_assign(request, pk):
    """Reassign: to a member (`assignee`, a user id) or to nobody (empty)."""
    conversation = _conversation(request, pk)
    raw = request.POST.get("assignee", "")
    try:
        user_id = as_id(raw) if raw else None
        if raw and user_id is None:
            raise ValueError(_("Choose an active member of the workspace."))
        services.conversation_update(
            actor=request.membership, conversation=conversation, assignee=user_id
        )
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc) or _("Your role does not allow this."))
    return _thread(request, conversation)


# --- response times -------------------------------------------------------------------


@can_view(selectors.OBJECT_TYPE)
def response_times_page(request):
    days = as_id(request.GET.get("days"))
    days = days if days in response_times.PERIODS else 30
    rows = response_times.per_manager(request.membership, days)
    for row in rows:
        row["first_response_text"] = response_times.duration_text(row["first_response"])
        row["to_close_text"] = response_times.duration_text(row["to_close"])
    return render(
        request,
        "integrations/response_times.html",
        {
            "rows": rows,
            "days": days,
            "periods": response_times.PERIODS,
            "target_minutes": response_times.target_minutes(),
        },
    )


# --- Settings → Channels --------------------------------------------------------------


def channels_extras(channel_list) -> dict:
    """The desk's part of the channels page: each channel's assignment rule, the response
    target, the blocked senders."""
    rules = assignment.rules_for(channel_list)
    departments = list(Department.objects.order_by("name", "id"))
    return {
        "rules": [(c, rules[c.pk]) for c in channel_list],
        "departments": departments,
        "modes": AssignmentRule.MODES,
        "target_minutes": response_times.target_minutes(),
        "blocked": requests_.blocked_on(channel_list),
    }


def _number(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 9 else None


@require_POST
@manager_required
def desk_settings(request):
    """Save a channel's assignment rule (`channel`, `mode`, `department`, `limit`) or the
    response target (`target`)."""
    try:
        if "target" in request.POST:
            minutes = _number(request.POST.get("target"))
            response_times.target_save(actor=request.membership, minutes=minutes)
            messages.success(request, _("Response target saved."))
        else:
            channel = get_object_or_404(selectors.channels(), pk=as_id(request.POST.get("channel")))
            department_id = as_id(request.POST.get("department"))
            department = (
                get_object_or_404(Department.objects.all(), pk=department_id)
                if department_id
                else None
            )
            limit = _number(request.POST.get("limit") or "0")
            if limit is None:
                raise ValueError(_("The limit is a number from 0 (no limit) to 10000."))
            assignment.rule_save(
                actor=request.membership,
                channel=channel,
                mode=request.POST.get("mode", ""),
                department=department,
                limit=limit,
            )
            messages.success(request, _("Assignment of %(name)s saved.") % {"name": channel})
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("channels") + "#assignment")


@require_POST
@manager_required
def sender_unblock(request, pk):
    blocked = get_object_or_404(BlockedSender.objects.all(), pk=pk)
    requests_.unblock(actor=request.membership, blocked=blocked)
    messages.success(request, _("%(name)s is unblocked.") % {"name": blocked})
    return redirect(reverse("channels") + "#blocked")
