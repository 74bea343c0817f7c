"""Pages of the team chat (team.py) and the composers' @mention suggestions.

The room page is the inbox's layout: the rooms on the left, the thread on the right,
drawn by the inbox's own message template and polled the same way."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.web.decorators import can_view, member_required
from crm.web.params import as_id

from . import forms, mentions, selectors, team
from .models import TeamRoom

THREAD_SIZE = 100


def _room(request, pk) -> TeamRoom:
    return get_object_or_404(team.rooms_for(request.membership), pk=pk)


def _thread_context(request, room, form=None) -> dict:
    thread = team.latest(room, request.user.pk, THREAD_SIZE)
    team.mark_read(actor=request.membership, room=room, up_to=thread[0].pk if thread else 0)
    return {
        "current": room,
        "thread": thread,
        "latest_id": thread[0].pk if thread else 0,
        "poll_url": reverse("team_messages", args=[room.pk]),
        "form": form or forms.TeamMessageForm(),
    }


@member_required
def team_home(request):
    return redirect("team_room", pk=team.workspace_room().pk)


@member_required
def team_room(request, pk):
    room = _room(request, pk)
    context = _thread_context(request, room)
    rooms = team.rooms_list(request.membership)
    for listed in rooms:
        if listed.pk == room.pk:
            listed.unread = 0  # read just now
            context["room_name"] = listed.shown_name
    context.update({"rooms": rooms, "colleagues": team.colleagues(request.membership)})
    return render(request, "integrations/team/room.html", context)


@member_required
def team_messages(request, pk):
    """The room's messages alone, polled with `since`: 204 until something new."""
    room = _room(request, pk)
    since = as_id(request.GET.get("since"))
    if since is not None and not room.messages.filter(pk__gt=since).exists():
        return HttpResponse(status=204)
    return render(request, "integrations/_messages.html", _thread_context(request, room))


@require_POST
@member_required
def team_post(request, pk):
    room = _room(request, pk)
    form = forms.TeamMessageForm(request.POST)
    if form.is_valid():
        try:
            team.message_post(actor=request.membership, room=room, text=form.cleaned_data["text"])
        except (ValueError, PermissionDenied) as exc:
            form.add_error("text", str(exc))
        else:
            form = None
    if not request.htmx:
        if form is not None:
            for error in form.errors.get("text", []):
                messages.error(request, error)
        return redirect("team_room", pk=room.pk)
    context = _thread_context(request, room, form)
    return render(request, "integrations/team/_thread.html", context)


@require_POST
@member_required
def team_direct(request):
    """Open (or make) the direct conversation with the chosen colleague."""
    try:
        room = team.direct_room(actor=request.membership, other=as_id(request.POST.get("user")))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("team")
    return redirect("team_room", pk=room.pk)


@member_required
def team_unread(request):
    """How many unread team messages (the inbox's link to the team chat)."""
    count = team.unread_total(request.membership)
    return render(request, "integrations/team/_unread.html", {"count": count})


@member_required
def team_mentions(request, pk):
    """Who may be mentioned in the room: its members (direct) or everyone (General)."""
    room = _room(request, pk)
    rows = mentions.suggestions(request.GET.get("q", ""))
    if room.kind == TeamRoom.DIRECT:
        inside = set(room.members.values_list("user_id", flat=True))
        rows = [r for r in rows if r["id"] in inside]
    return _suggestions(rows, _("Not in this conversation"))


@can_view(selectors.OBJECT_TYPE)
def inbox_mentions(request, pk):
    """Who may be mentioned in a note of the conversation: those who can open it (the
    others are listed, marked, and cannot be picked)."""
    conversation = selectors.conversations_for(request.membership).filter(pk=pk).first()
    if conversation is None:
        raise Http404
    rows = mentions.suggestions(request.GET.get("q", ""), conversation)
    return _suggestions(rows, _("Cannot open this conversation"))


def _suggestions(rows: list[dict], refused: str) -> JsonResponse:
    for row in rows:
        row["note"] = "" if row["allowed"] else refused
    return JsonResponse({"results": rows})
