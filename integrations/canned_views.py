"""Pages of canned responses: the list with its search and the new-response form, editing
and deleting; and the thread's picker, which lists them rendered for the conversation.
Thin: reads and writes go through canned.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.web.decorators import can_view

from . import canned, forms, selectors
from .models import CannedResponse

PICKER_SIZE = 20


def _apply_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _refused(request) -> None:
    messages.error(request, _("Your role does not allow this."))


@can_view(selectors.OBJECT_TYPE)
def canned_list(request):
    membership = request.membership
    can_share = membership.role.can_manage_workspace
    form = forms.CannedForm(request.POST or None, can_share=can_share)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            canned.canned_create(actor=membership, title=data["title"], text=data["text"],
                                 shared=bool(data.get("shared")))  # fmt: skip
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied:
            _refused(request)
        else:
            messages.success(request, _("Response saved."))
            return redirect("canned_responses")
    query = request.GET.get("q", "")
    rows = list(canned.search(canned.canned_for(membership), query)[:200])
    return render(
        request,
        "integrations/canned.html",
        {"form": form, "rows": rows, "query": query, "can_share": can_share,
         "placeholders": canned.PLACEHOLDERS},
    )  # fmt: skip


@can_view(selectors.OBJECT_TYPE)
def canned_edit(request, pk):
    membership = request.membership
    response = get_object_or_404(canned.canned_for(membership), pk=pk)
    can_share = membership.role.can_manage_workspace
    if response.shared and not can_share:
        raise PermissionDenied
    initial = {"title": response.title, "text": response.text, "shared": response.shared}
    form = forms.CannedForm(request.POST or None, initial=initial, can_share=can_share)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            canned.canned_update(
                actor=membership, response=response, title=data["title"], text=data["text"],
                shared=data.get("shared") if can_share else None,
            )  # fmt: skip
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Response saved."))
            return redirect("canned_responses")
    return render(
        request,
        "integrations/canned_edit.html",
        {"form": form, "response": response, "placeholders": canned.PLACEHOLDERS},
    )


@require_POST
@can_view(selectors.OBJECT_TYPE)
def canned_delete(request, pk):
    response = get_object_or_404(canned.canned_for(request.membership), pk=pk)
    try:
        canned.canned_delete(actor=request.membership, response=response)
    except PermissionDenied:
        _refused(request)
    else:
        messages.success(request, _("Response deleted."))
    return redirect("canned_responses")


@can_view(selectors.OBJECT_TYPE)
def canned_picker(request, pk):
    """The thread's picker: the responses matching `q`, rendered for the conversation."""
    conversation = get_object_or_404(
        selectors.conversations_for(request.membership).select_related("assignee"), pk=pk
    )
    found: list[CannedResponse] = list(
        canned.search(canned.canned_for(request.membership), request.GET.get("q", ""))[:PICKER_SIZE]
    )
    values = canned.values_for(request.membership, conversation) if found else {}
    for response in found:
        response.rendered = canned.substitute(response.text, values)
    return render(request, "integrations/_canned_picker.html", {"responses": found})
