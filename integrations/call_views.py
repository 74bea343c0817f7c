"""Click-to-call: the page that asks a telephony channel's PBX to call the manager and then
the client (linked from a client's card, through crm.web.dialers)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from contacts.selectors import records_for
from crm.web.decorators import can_view
from crm.web.params import as_id

from . import calls, selectors
from .channels import ChannelError

AGENT_KEY = "calls_agent"  # the manager's phone, remembered in their session


def dialers_for(membership) -> list[tuple[str, str]]:
    """crm.web.dialers: "Call via <channel>" for each connected channel that dials."""
    if not membership.can(selectors.OBJECT_TYPE, "create"):
        return []
    url = reverse("call_dial")
    return [
        (_("Call via %(channel)s") % {"channel": c.name}, f"{url}?{urlencode({'channel': c.pk})}")
        for c in calls.dialing_channels()
    ]


def _record(request):
    for kind in ("contact", "company"):
        pk = as_id(request.POST.get(kind) or request.GET.get(kind))
        if pk is not None:
            return kind, get_object_or_404(records_for(request.membership, kind), pk=pk)
    raise Http404


@can_view(selectors.OBJECT_TYPE)
def dial(request):
    channel = get_object_or_404(calls.dialing_channels(), pk=as_id(
        request.POST.get("channel") or request.GET.get("channel")))  # fmt: skip
    kind, record = _record(request)
    agent = request.POST.get("agent", request.session.get(AGENT_KEY, ""))
    number = request.POST.get("number") or (record.phones or [""])[0]
    error = ""
    if request.method == "POST":
        try:
            calls.dial(actor=request.membership, channel=channel, record=record,
                       number=number, agent=agent)  # fmt: skip
        except (ValueError, ChannelError) as exc:
            error = str(exc)
        else:
            request.session[AGENT_KEY] = agent.strip()
            messages.success(request, _("%(channel)s is calling you; answer, and it calls the "
                                        "client.") % {"channel": channel.name})  # fmt: skip
            return redirect(f"{kind}_card", pk=record.pk)
    return render(
        request,
        "integrations/call_dial.html",
        {"channel": channel, "kind": kind, "record": record, "agent": agent, "number": number,
         "error": error},
    )  # fmt: skip
