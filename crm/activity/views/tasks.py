"""My day, the task form, quick add, done toggles and the tasks panel of a record's card."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.web.decorators import can_view, member_required
from crm.web.params import parse_date

from .. import records, selectors, services
from ..forms import TaskForm
from .common import require, safe_next, task_errors_to_form, tz


def _task(request, pk):
    """A task inside the workspace and the member's visibility; 404 otherwise."""
    return get_object_or_404(selectors.tasks_visible_to(request.membership), pk=pk)


def _my_day_context(request, form=None):
    now = timezone.now()
    return {
        "day": selectors.my_day(request.membership, now=now, tz=tz()),
        "today": timezone.localdate(now),
        "now": now,
        "form": form or TaskForm(initial={"due_date": timezone.localdate(now)}, tz=tz()),
        "can_create": request.membership.can("task", "create"),
        "can_edit": request.membership.can("task", "edit"),
    }


def _panel_context(request, object_type, object_id):
    subject = records.find_or_404(request.membership, object_type, object_id)
    return {"subject_type": object_type, "subject": subject}


def _respond(request, default_url=None):
    """After a change: the part of the page that asked (htmx), or a redirect."""
    if request.htmx:
        panel = request.POST.get("panel", "")
        if ":" in panel:
            object_type, object_id = panel.split(":", 1)
            return render(
                request,
                "activity/_tasks_panel.html",
                _panel_context(request, object_type, object_id),
            )
        return render(request, "activity/_my_day.html", _my_day_context(request))
    return redirect(safe_next(request, default_url or reverse("tasks")))


@can_view("task")
def my_day(request):
    return render(request, "activity/my_day.html", _my_day_context(request))


@member_required
def task_new(request):
    """The full form (GET), or a quick add from My day or a card's tasks panel (POST)."""
    require(request, "create")
    subject = None
    object_type = request.POST.get("object_type") or request.GET.get("object_type") or ""
    object_id = request.POST.get("object_id") or request.GET.get("object_id") or ""
    if object_type:
        subject = records.find_or_404(request.membership, object_type, object_id)
    initial = {"due_date": parse_date(request.GET.get("date"), "date") or timezone.localdate()}
    form = TaskForm(request.POST or None, initial=initial, tz=tz())
    if request.method == "POST":
        if form.is_valid():
            try:
                services.task_create(
                    actor=request.membership, subject=subject, **form.service_data()
                )
            except ValidationError as exc:
                task_errors_to_form(form, exc)
            else:
                if not request.htmx:
                    messages.success(request, _("Task added."))
                return _respond(request)
        if request.htmx:
            if request.POST.get("panel"):
                ctx = _panel_context(request, object_type, object_id)
                return render(request, "activity/_tasks_panel.html", {**ctx, "task_form": form})
            return render(request, "activity/_my_day.html", _my_day_context(request, form))
    return render(
        request,
        "activity/task_form.html",
        {"form": form, "subject": subject, "subject_type": object_type, "task": None},
    )


@member_required
def task_edit(request, pk):
    """Everything about one task: change it (reschedule, reassign), complete or delete it."""
    require(request)
    task = _task(request, pk)
    form = TaskForm(request.POST or None, task=task, tz=tz())
    if request.method == "POST":
        require(request, "edit")
        if form.is_valid():
            try:
                services.task_update(actor=request.membership, task=task, data=form.service_data())
            except ValidationError as exc:
                task_errors_to_form(form, exc)
            else:
                messages.success(request, _("Task saved."))
                return redirect(safe_next(request, reverse("tasks")))
    # The task may be about a colleague's record: then neither its name nor its link.
    subject_url = records.card_url(task.object_type, task.object_id) if task.subject_visible else ""
    return render(
        request,
        "activity/task_form.html",
        {
            "form": form,
            "task": task,
            "subject_url": subject_url,
            "can_edit": request.membership.can("task", "edit"),
            "can_delete": request.membership.can("task", "delete"),
            "next": safe_next(request, ""),
        },
    )


@require_POST
@member_required
def task_toggle(request, pk):
    """Done / not done (the checkbox in lists)."""
    require(request, "edit")
    task = _task(request, pk)
    if task.done_at:
        services.task_reopen(actor=request.membership, task=task)
    else:
        services.task_complete(
            actor=request.membership, task=task, note=request.POST.get("note", "")
        )
    return _respond(request)


@require_POST
@member_required
def task_move(request, pk):
    """Drop on another day of the calendar: the same time of day, on that day."""
    require(request, "edit")
    task = _task(request, pk)
    try:
        day = parse_date(request.POST.get("day"), "day")
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    if day is None:
        return JsonResponse({"error": _("Choose a day.")}, status=400)
    try:
        task = services.task_reschedule(actor=request.membership, task=task, day=day, tz=tz())
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"id": task.pk, "day": day.isoformat()})


@require_POST
@member_required
def task_delete(request, pk):
    task = _task(request, pk)
    services.task_delete(actor=request.membership, task=task)
    if request.htmx:
        return _respond(request)
    messages.success(request, _("Task deleted."))
    return redirect(safe_next(request, reverse("tasks")))


@member_required
def subject_tasks(request, object_type, object_id):
    """The tasks panel of a record's card (for htmx refreshes)."""
    require(request)
    return render(
        request, "activity/_tasks_panel.html", _panel_context(request, object_type, object_id)
    )
