"""The form builder's pages (admins): the forms with their snippets, and a form's editor.
The site chat's snippet is shown on the same page: both go on the workspace's site."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.web.decorators import manager_required
from pipelines.models import Stage

from . import services, webform_forms, webforms
from .models import Channel, WebForm


def _absolute(path: str) -> str:
    return path if "://" in path else settings.SITE_URL.rstrip("/") + path


def snippets(form: WebForm) -> dict:
    endpoint = webforms.public_url(form)
    page = _absolute(reverse("webform_page", args=[form.channel.webhook_token]))
    script = _absolute(static("js/crm-form.js"))
    return {
        "endpoint": endpoint,
        "page": page,
        "script": f'<script src="{script}" data-crm-form="{endpoint}" async></script>',
        "iframe": f'<iframe src="{page}" title="{form.name}" width="100%" height="560" '
        'style="border:0"></iframe>',
    }


def chat_snippets(channel: Channel) -> dict:
    hello = services.webhook_url(channel)
    script = _absolute(static("js/crm-chat.js"))
    return {
        "chat": f'<script src="{script}" data-crm-chat="{hello}" async></script>',
        "tracker": f'<script src="{script}" data-crm-chat="{hello}" data-chat="off" async>'
        "</script>",
    }


@manager_required
def form_list(request):
    forms_ = list(WebForm.objects.select_related("channel", "stage__pipeline", "responsible"))
    chats = list(Channel.objects.filter(kind="sitechat").order_by("name", "id"))
    return render(request, "integrations/webforms.html", {
        "rows": [(f, snippets(f)) for f in forms_],
        "chats": [(c, chat_snippets(c)) for c in chats],
    })  # fmt: skip


@manager_required
def form_edit(request, pk=None):
    form_obj = get_object_or_404(WebForm.objects.select_related("channel"), pk=pk) if pk else None
    initial = {}
    if form_obj is not None:
        initial = {"name": form_obj.name, "thank_you": form_obj.thank_you,
                   "stage": form_obj.stage_id, "responsible": form_obj.responsible_id,
                   "allowed_origins": "\n".join(form_obj.allowed_origins)}  # fmt: skip
    else:
        initial = {"responsible": request.user.pk}
    data = request.POST if request.method == "POST" else None
    form = webform_forms.WebFormForm(data, initial=initial)
    rows = webform_forms.FieldRows(data, initial=webform_forms.rows_initial(form_obj),
                                   prefix="fields")  # fmt: skip
    if data is not None and form.is_valid() and rows.is_valid():
        cleaned = form.cleaned_data
        stage = Stage.objects.select_related("pipeline").filter(pk=cleaned["stage"]).first()
        responsible = get_user_model().objects.filter(pk=cleaned["responsible"]).first()
        values = {"name": cleaned["name"], "fields": webform_forms.fields_from(rows),
                  "thank_you": cleaned["thank_you"], "stage": stage,
                  "pipeline": stage.pipeline if stage else None, "responsible": responsible,
                  "allowed_origins": cleaned["allowed_origins"]}  # fmt: skip
        try:
            if form_obj is None:
                form_obj = webforms.form_create(actor=request.membership, **values)
            else:
                webforms.form_update(actor=request.membership, form=form_obj, **values)
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Form %(name)s saved.") % {"name": form_obj.name})
            return redirect("webform_edit", pk=form_obj.pk)
    return render(request, "integrations/webform_edit.html", {
        "form": form, "rows": rows, "webform": form_obj,
        "snippets": snippets(form_obj) if form_obj and form_obj.pk else None,
    })  # fmt: skip


@require_POST
@manager_required
def form_delete(request, pk):
    found = get_object_or_404(WebForm.objects.all(), pk=pk)
    webforms.form_delete(actor=request.membership, form=found)
    messages.success(request, _("Form %(name)s taken off the site.") % {"name": found.name})
    return redirect("webforms")
