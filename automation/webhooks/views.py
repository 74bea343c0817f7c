"""Settings → Webhooks: the endpoints, adding one (its secret shown once), an endpoint's
page with its delivery log, resend, switching off and on, deleting. Admins only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.web.decorators import manager_required

from ..webhook_models import WebhookDelivery
from . import selectors, services
from .forms import WebhookForm

LOG_SIZE = 50


def _apply_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@manager_required
def webhooks(request):
    form = WebhookForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created, secret = services.endpoint_create(
                actor=request.membership,
                url=data["url"],
                events=data["events"],
                description=data["description"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            form = WebhookForm()
    return render(
        request,
        "automation/webhooks.html",
        {"form": form, "endpoints": selectors.endpoints(), "created": created, "secret": secret},
    )


def _initial(endpoint) -> dict:
    return {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}


def _detail_page(request, endpoint, form, secret=None):
    deliveries = selectors.deliveries_of(endpoint)[:LOG_SIZE]
    return render(
        request,
        "automation/webhook_detail.html",
        {"endpoint": endpoint, "form": form, "deliveries": deliveries, "secret": secret,
         "log_size": LOG_SIZE},
    )  # fmt: skip


@manager_required
def webhook_detail(request, pk):
    endpoint = get_object_or_404(selectors.endpoints(), pk=pk)
    form = WebhookForm(request.POST or None, initial=_initial(endpoint))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.endpoint_update(
                actor=request.membership,
                endpoint=endpoint,
                url=data["url"],
                events=data["events"],
                description=data["description"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhook_detail", pk=endpoint.pk)
    return _detail_page(request, endpoint, form)


@require_POST
@manager_required
def webhook_toggle(request, pk):
    endpoint = get_object_or_404(selectors.endpoints(), pk=pk)
    turn_on = not endpoint.is_active
    services.endpoint_update(actor=request.membership, endpoint=endpoint, is_active=turn_on)
    messages.success(request, _("Webhook switched on.") if turn_on else _("Webhook switched off."))
    return redirect("webhook_detail", pk=endpoint.pk)


@require_POST
@manager_required
def webhook_delete(request, pk):
    endpoint = get_object_or_404(selectors.endpoints(), pk=pk)
    services.endpoint_delete(actor=request.membership, endpoint=endpoint)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhooks")


@require_POST
@manager_required
def webhook_rotate_secret(request, pk):
    endpoint = get_object_or_404(selectors.endpoints(), pk=pk)
    secret = services.endpoint_rotate_secret(actor=request.membership, endpoint=endpoint)
    # The page as read, with the new secret shown this once.
    return _detail_page(request, endpoint, WebhookForm(initial=_initial(endpoint)), secret)


@require_POST
@manager_required
def webhook_redeliver(request, pk):
    found = get_object_or_404(WebhookDelivery.objects.filter(endpoint__in=selectors.endpoints()),
                              pk=pk)  # fmt: skip
    try:
        services.delivery_resend(actor=request.membership, found=found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Delivery queued to be sent again."))
    return redirect("webhook_detail", pk=found.endpoint_id)
