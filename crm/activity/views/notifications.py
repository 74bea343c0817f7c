"""The notification centre (the bell in the top bar, its menu, the full list) and the
notification settings, with the private calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.web.decorators import member_required
from crm.web.params import parse_page

from .. import selectors, services
from ..forms import PreferencesForm

MENU_SIZE = 8
PAGE_SIZE = 50


def _notification(request, pk):
    return get_object_or_404(selectors.notifications_for(request.membership), pk=pk)


def _changed(response):
    response["HX-Trigger"] = "notifications-changed"
    return response


@member_required
def bell(request):
    """The unread count (polled by the top bar)."""
    return render(
        request, "activity/_bell_count.html", {"unread": selectors.unread_count(request.user)}
    )


@member_required
def menu(request):
    """The dropdown under the bell: the latest notifications."""
    rows = list(selectors.notifications_for(request.membership)[:MENU_SIZE])
    return render(request, "activity/_notification_menu.html", {"rows": rows})


@member_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notifications_for(request.membership)
    if unread_only:
        qs = qs.filter(read_at=None)
    page = parse_page(request.GET.get("page"))
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    return render(
        request,
        "activity/notifications.html",
        {
            "rows": rows[:PAGE_SIZE],
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "unread_only": unread_only,
            "unread": selectors.unread_count(request.user),
        },
    )


@member_required
def notification_open(request, pk):
    """Follow a notification: it is read now."""
    notification = _notification(request, pk)
    services.notification_read(actor=request.membership, notification=notification)
    url = notification.shown_url
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = reverse("notifications")
    return redirect(url)


@require_POST
@member_required
def notification_read(request, pk):
    notification = _notification(request, pk)
    services.notification_read(actor=request.membership, notification=notification)
    if request.htmx:
        return _changed(render(request, "activity/_notification_row.html", {"n": notification}))
    return redirect("notifications")


@require_POST
@member_required
def notifications_read_all(request):
    services.notifications_read_all(actor=request.membership)
    if request.htmx:
        rows = list(selectors.notifications_for(request.membership)[:MENU_SIZE])
        template = (
            "activity/_notification_menu.html"
            if request.POST.get("from") == "menu"
            else "activity/_notification_rows.html"
        )
        return _changed(render(request, template, {"rows": rows}))
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications")


@member_required
def notification_settings(request, feed_url: str = ""):
    current = selectors.email_preferences(request.user)
    form = PreferencesForm(
        request.POST if request.method == "POST" and not feed_url else None, current=current
    )
    if request.method == "POST" and not feed_url and form.is_valid():
        services.preferences_save(actor=request.membership, email=form.email_choices())
        messages.success(request, _("Notification settings saved."))
        return redirect("notification_settings")
    return render(
        request,
        "settings/notifications.html",
        {
            "form": form,
            "feed": selectors.calendar_feed_of(request.user),
            "feed_url": feed_url,
        },
    )


@require_POST
@member_required
def calendar_feed_regenerate(request):
    """A new private feed URL, shown once on this page; the old one stops working."""
    _feed, raw = services.calendar_feed_regenerate(actor=request.membership)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[raw]))
    return notification_settings(request, feed_url=url)


@require_POST
@member_required
def calendar_feed_revoke(request):
    feed = selectors.calendar_feed_of(request.user)
    if feed is not None:
        services.calendar_feed_revoke(actor=request.membership, feed=feed)
        messages.success(request, _("Your calendar feed is turned off."))
    return redirect("notification_settings")
