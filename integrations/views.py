"""Pages of the inbox, the channels' settings page, and the channels' webhooks.

Thin: reads come from selectors, writes go through services (and receiver for webhooks).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from crm.tenancy.context import tenant_scope
from crm.web import ratelimit
from crm.web.decorators import can_view, manager_required
from crm.web.params import as_id

from . import channels, desk_views, forms, receiver, selectors, services
from .channels import ChannelError
from .models import Channel, Conversation, Message

LIST_SIZE = 50
THREAD_SIZE = 100  # the latest messages of a thread; the API pages through all of them


def _filters(request, channel_list=()) -> dict:
    form = forms.InboxFilter(request.GET, channels=channel_list)
    data = form.cleaned_data if form.is_valid() else {}
    return {
        "view": data.get("view") or "all",
        "status": data.get("status") or "",
        "channel": data.get("channel"),
        "q": (data.get("q") or "").strip(),
    }


def _list_context(request, current=None) -> dict:
    channel_list = list(selectors.channels())
    filters = _filters(request, channel_list)
    shown = desk_views.shown(request, LIST_SIZE)
    # The channel and the client come by id in two more queries rather than by a join:
    # the list then walks the recent-conversations index and stops at the page's end,
    # where a join let the planner collect and sort every visible conversation of a
    # large workspace first (bench_inbox: 100,000 conversations).
    found = list(
        selectors.inbox(request.membership, **filters).prefetch_related("channel", "contact")[
            : shown + 1
        ]
    )
    rows = found[:shown]
    rows_and_current = [*rows, *([current] if current else [])]
    visible = selectors.visible_contact_ids(request.membership, rows_and_current)
    context = {
        "conversations": rows,
        "visible_contacts": visible,
        "filters": filters,
        "filter_form": forms.InboxFilter(initial=filters, channels=channel_list),
        "current": current,
        # The filters alone (not the poll's own `current`), for the list's links and its poll.
        "query": urlencode({k: v for k, v in filters.items() if v and v != "all"}),
    }
    context.update(desk_views.list_extras(rows, shown, more=len(found) > shown, page=LIST_SIZE))
    return context


def _conversation(request, pk) -> Conversation:
    return get_object_or_404(
        selectors.conversations_for(request.membership).select_related(
            "channel", "contact", "assignee"
        ),
        pk=pk,
    )


def _thread_context(request, conversation, form=None) -> dict:
    services.mark_read(actor=request.membership, conversation=conversation)
    visible = selectors.visible_contact_ids(request.membership, [conversation])
    thread = selectors.latest(conversation, THREAD_SIZE)
    return {
        "current": conversation,
        "thread": thread,
        "latest_id": thread[0].pk if thread else 0,
        "contact_visible": conversation.contact_id in visible,
        "reply_form": form or forms.ReplyForm(),
        "can_reply": request.membership.can(selectors.OBJECT_TYPE, "create"),
        "can_send": channels.get(conversation.channel.kind).written_replies,
        "can_edit": request.membership.can(selectors.OBJECT_TYPE, "edit"),
        "statuses": Conversation.STATUSES,
        **desk_views.thread_extras(request, conversation),
    }


@can_view(selectors.OBJECT_TYPE)
def inbox(request, pk=None):
    current = _conversation(request, pk) if pk is not None else None
    context = _list_context(request, current)
    if current is not None:
        context.update(_thread_context(request, current))
    return render(request, "integrations/inbox.html", context)


@can_view(selectors.OBJECT_TYPE)
def inbox_list(request):
    """The conversation list alone: the page polls it."""
    current_id = as_id(request.GET.get("current"))
    current = _conversation(request, current_id) if current_id else None
    return render(request, "integrations/_conversation_list.html", _list_context(request, current))


@can_view(selectors.OBJECT_TYPE)
def inbox_unread(request):
    """The navigation's badge: how many conversations have unread messages."""
    count = selectors.unread_count(request.membership)
    return render(request, "integrations/_unread.html", {"count": count})


@can_view(selectors.OBJECT_TYPE)
def inbox_messages(request, pk):
    """The thread's messages alone: the open conversation polls them with `since` (the
    latest message it shows) and gets 204, nothing to swap, until a new one comes."""
    conversation = _conversation(request, pk)
    since = as_id(request.GET.get("since"))
    if since is not None and not selectors.has_news(conversation, since):
        return HttpResponse(status=204)
    return render(request, "integrations/_messages.html", _thread_context(request, conversation))


@require_POST
@can_view(selectors.OBJECT_TYPE)
def inbox_reply(request, pk):
    """A reply (sent through the channel) or, with direction=note, an internal note; answers
    the thread pane again, with the error if the channel refused it."""
    conversation = _conversation(request, pk)
    form = forms.ReplyForm(request.POST)
    target = conversation
    if form.is_valid():
        text, actor = form.cleaned_data["text"], request.membership
        try:
            if request.POST.get("direction") == Message.NOTE:
                services.note_add(actor=actor, conversation=conversation, text=text)
            else:
                # Files, and another of the client's channels (desk_views.reply_parts).
                target, files = desk_views.reply_parts(request, conversation)
                services.reply_send(actor=actor, conversation=target, text=text, files=files)
        except (ValueError, ChannelError) as exc:
            form.add_error("text", str(exc))
        else:
            form = None
        conversation.refresh_from_db()
    if target.pk != conversation.pk and form is None:
        return desk_views.go_to(request, target)
    context = _thread_context(request, conversation, form)
    if not request.htmx:
        return redirect("inbox_conversation", pk=conversation.pk)
    return render(request, "integrations/_thread.html", context)


@require_POST
@can_view(selectors.OBJECT_TYPE)
def inbox_update(request, pk):
    """Close, snooze or reopen the conversation (`status`), or take it (`assignee=me`)."""
    conversation = _conversation(request, pk)
    assignee = services.UNCHANGED
    if request.POST.get("assignee") == "me":
        assignee = request.user
    try:
        services.conversation_update(
            actor=request.membership,
            conversation=conversation,
            status=request.POST.get("status", ""),
            assignee=assignee,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    conversation = _conversation(request, pk)
    if not request.htmx:
        return redirect("inbox_conversation", pk=conversation.pk)
    return render(request, "integrations/_thread.html", _thread_context(request, conversation))


@manager_required
def channel_settings(request):
    kind = request.POST.get("kind") or request.GET.get("kind") or ""
    addable = dict(channels.kinds())
    kind = kind if kind in addable else next(iter(addable))
    form = forms.ChannelForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = services.channel_create(
                actor=request.membership,
                kind=data["kind"],
                name=data["name"],
                raw_settings=form.raw_settings(),
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            if channel.status == Channel.ACTIVE:
                messages.success(request, _("Channel %(name)s connected.") % {"name": channel})
            else:
                messages.error(request, _("Channel %(name)s was saved but is not connected.")
                               % {"name": channel})  # fmt: skip
            return redirect("channels")
    found = list(selectors.channels(with_failures=True))
    failures = selectors.last_failures([c.pk for c in found if c.failed])
    rows = [(c, services.masked_settings(c), failures.get(c.pk, [])) for c in found]
    return render(
        request,
        "integrations/channels.html",
        {"form": form, "rows": rows, "kinds": channels.kinds(), "kind": kind,
         **desk_views.channels_extras(found)},
    )  # fmt: skip


@require_POST
@manager_required
def channel_retry(request, pk):
    channel = get_object_or_404(selectors.channels(), pk=pk)
    count = services.deliveries_retry(actor=request.membership, channel=channel)
    messages.success(
        request,
        ngettext("%(n)s delivery queued again.", "%(n)s deliveries queued again.", count)
        % {"n": count},
    )
    return redirect("channels")


@require_POST
@manager_required
def channel_reconnect(request, pk):
    channel = get_object_or_404(selectors.channels(), pk=pk)
    services.channel_connect(actor=request.membership, channel=channel)
    return redirect("channels")


@can_view(selectors.OBJECT_TYPE)
def attachment(request, pk):
    """A message's file, to those who may see its conversation."""
    found = get_object_or_404(selectors.attachments_for(request.membership), pk=pk)
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=not found.content_type.startswith(("image/", "audio/")),
        filename=found.name,
        content_type=found.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request, kind, token):
    """A channel's far end delivering an update. No login: the token in the URL names the
    workspace and the channel (looked up inside that workspace, never taken from the body);
    the adapter checks the sender's secret before anything is stored. A GET is the far
    end's handshake (Meta's hub.challenge), answered by the adapter or refused."""
    if kind not in channels.ADAPTERS:
        return HttpResponse(status=404)
    # Past a rate per address (every call, refused calls): 429 before any lookup; a refused
    # call counts against its address; a verified one against its channel's rate
    # (crm/web/ratelimit.py).
    limited = ratelimit.webhook_refusal(request)
    if limited is not None:
        return limited
    tenant_id = as_id(token.partition("_")[0])
    if tenant_id is None:
        ratelimit.webhook_refused(request)
        return HttpResponse(status=404)
    with tenant_scope(tenant_id):
        channel = receiver.channel_of(kind, token)
        if channel is None:
            ratelimit.webhook_refused(request)
            return HttpResponse(status=404)
        adapter = channels.get(kind)
        if request.method == "GET":
            return adapter.handshake(channel, request) or HttpResponse(status=405)
        if not adapter.verify(channel, request):
            # 401 without credentials, 403 with wrong ones; nothing is stored either way.
            ratelimit.webhook_refused(request)
            return HttpResponse(status=403 if adapter.presented(request) else 401)
        limited = ratelimit.webhook_channel_refusal(kind, token)
        if limited is not None:
            return limited
        payload = adapter.parse(request)
        early = adapter.answer(channel, payload)
        if early is not None:
            return early
        receiver.receive(channel, payload)
        return adapter.acknowledge(channel, payload)


@manager_required
def channel_autoreply(request, pk):
    """A channel's automatic answers: first contact, out of hours, keywords."""
    from . import autoreply
    from .models import AutoReplySettings

    channel = get_object_or_404(selectors.channels(), pk=pk)
    config = AutoReplySettings.objects.filter(channel=channel).first()
    form = forms.AutoReplyForm(
        request.POST or None, initial=forms.AutoReplyForm.initial_from(config)
    )
    if request.method == "POST" and form.is_valid():
        autoreply.settings_save(actor=request.membership, channel=channel, data=form.cleaned_data)
        messages.success(request, _("Auto-replies of %(name)s saved.") % {"name": channel})
        return redirect("channels")
    return render(
        request, "integrations/channel_autoreply.html", {"channel": channel, "form": form}
    )
