"""The endpoints the workspace's site calls, without a login: a web form's JSON endpoint and
its plain HTML page, and the site chat's (the visitor's hello, which also reports the page
for the tracker, and the visitor's messages).

As with the webhooks, the token in the URL names the workspace and the form or chat, looked
up inside that workspace; the body never chooses it. Each call is checked in this order,
nothing stored before the last check: the site it comes from (CORS, per form or chat), the
address's rate (Redis), the body's size and shape, the honeypot, the answers. A visitor
reads and writes only the conversation their signed token names (site.py).
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from contacts import normalize
from contacts.models import Contact
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from crm.web import params
from crm.web.params import as_id

from . import receiver, site, visitors, webforms
from .models import Channel, Conversation, Message, WebForm

MAX_BODY = 64 * 1024  # a form's answers or a chat message; far more than either needs
MAX_CHAT_TEXT = 2000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
VISITOR_HEADER = "X-CRM-Visitor"


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": str(message)}, status=status)


def _tenant_of(token: str) -> int | None:
    return as_id(token.partition("_")[0])


def _body(request):
    """The JSON object posted (or a posted form's fields), without NULs; None if neither."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return None
    if request.content_type == "application/json" or not request.POST:
        try:
            data = params.json_loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None
        return receiver.without_nul(data) if isinstance(data, dict) else None
    return request.POST


def _limited(scope: str, request, key, rate: str) -> bool:
    return site.over_limit(scope, f"{key}:{site.client_ip(request)}", site.rate(rate))


def _too_many() -> JsonResponse:
    response = _error(_("Too many requests from your address. Try again in a minute."), 429)
    response["Retry-After"] = "60"
    return response


# --- web forms ----------------------------------------------------------------------------


def _form(token: str) -> WebForm | None:
    return (
        WebForm.objects.select_related("channel", "tenant")
        .filter(channel__kind="form", channel__webhook_token=token)
        .first()
    )


def _schema(form: WebForm) -> dict:
    """What the embed script draws (no mappings: those are the workspace's business)."""
    return {
        "name": form.name,
        "fields": [
            {k: f.get(k) for k in ("key", "label", "type", "required", "options")}
            for f in form.fields
        ],
        "honeypot": webforms.HONEYPOT,
        "submit": _("Send"),
        "thank_you": form.thank_you or _("Thank you! We will be in touch soon."),
    }


def _submit(request, form: WebForm, data) -> tuple[int, dict]:
    """(status, body) for a submission whose site and rate were checked."""
    thanks = form.thank_you or _("Thank you! We will be in touch soon.")
    if data is None:
        return 400, {"error": _("Send the form's answers as a JSON object.")}
    if webforms.is_spam(data):
        # A bot filled in the field people never see: it is thanked, and nothing is kept.
        return 200, {"ok": True, "message": thanks}
    try:
        payload = webforms.submission(form, data, region=form.tenant.country)
    except webforms.Invalid as invalid:
        return 400, {"error": _("Check the marked fields."), "errors": invalid.errors}
    # The browser that sent it is the client's from now on: its pages are kept.
    key = payload["visitor"] or site.new_visitor_key()
    payload["visitor"] = key
    receiver.receive(form.channel, payload)
    return 201, {"ok": True, "message": thanks,
                 "visitor": site.visitor_token(form.tenant_id, key)}  # fmt: skip


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def form_endpoint(request, token):
    """A form's JSON endpoint: GET its fields (the embed script draws them), POST answers.
    201 with the thank-you text; 400 with a message per field; 403 from a site the form
    does not allow; 429 past the rate; 404 for a token of no form."""
    tenant_id = _tenant_of(token)
    if tenant_id is None:
        return _error(_("No such form."), 404)
    with tenant_scope(tenant_id):
        form = _form(token)
        if form is None:
            return _error(_("No such form."), 404)
        allowed = form.allowed_origins
        if not site.origin_allowed(request, allowed):
            return _error(_("This site may not use this form."), 403)
        if request.method == "OPTIONS":
            return site.with_cors(HttpResponse(status=204), request, allowed)
        if request.method == "GET":
            return site.with_cors(JsonResponse(_schema(form)), request, allowed)
        if _limited("form", request, form.pk, "form"):
            return site.with_cors(_too_many(), request, allowed)
        status, body = _submit(request, form, _body(request))
        return site.with_cors(JsonResponse(body, status=status), request, allowed)


def _framed_by(form: WebForm) -> list[str]:
    return form.allowed_origins or ["*"]


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def form_page(request, token):
    """The form as a plain HTML page, for a link or an iframe on the site: works without
    JavaScript, posts to itself, shows the thank-you text or the marked fields."""
    tenant_id = _tenant_of(token)
    if tenant_id is None:
        return render(request, "integrations/public/form_missing.html", status=404)
    with tenant_scope(tenant_id):
        form = _form(token)
        if form is None:
            return render(request, "integrations/public/form_missing.html", status=404)
        context = {"form": form, "fields": form.fields, "values": {}, "errors": {},
                   "honeypot": webforms.HONEYPOT}  # fmt: skip
        status = 200
        if request.method == "POST":
            if _limited("form", request, form.pk, "form"):
                context["error"] = _("Too many requests from your address. Try again in a minute.")
                status = 429
            else:
                status, body = _submit(request, form, request.POST)
                context["values"] = request.POST
                context["errors"] = body.get("errors") or {}
                context["error"] = body.get("error", "")
                context["thanks"] = body.get("message") if status < 300 else ""
                status = 200 if status < 300 else status
        response = render(request, "integrations/public/form_page.html", context, status=status)
        # Framed by the sites the form allows (any, when it names none), unlike our pages.
        response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": _framed_by(form)}
        return response


# --- the site chat and the tracker --------------------------------------------------------


def _chat(token: str) -> Channel | None:
    return Channel.objects.filter(kind="sitechat", webhook_token=token).first()


def _origins(channel: Channel) -> list[str]:
    return channel.settings.get("allowed_origins") or []


def _visit(data: dict, visitor, request) -> None:
    """Keep the page a known visitor opened (the tracker)."""
    url = str(data.get("url") or "")[:2000]
    if visitor is None or visitor.contact_id is None or not url.startswith(("http://", "https://")):
        return
    visitors.record_visit(contact_id=visitor.contact_id, url=url,
                          title=str(data.get("title") or "")[:300],
                          referrer=str(data.get("referrer") or "")[:2000],
                          visitor_key=visitor.key)  # fmt: skip


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def chat_hello(request, token):
    """The site script's first call on each page: the visitor's token (the one it kept when
    it is genuine, else a new one), the chat's title and greeting; with `crm_t` (a tracked
    link) the visitor becomes that client's; a known visitor's page is kept (the tracker)."""
    tenant_id = _tenant_of(token)
    if tenant_id is None:
        return _error(_("No such chat."), 404)
    with tenant_scope(tenant_id):
        channel = _chat(token)
        if channel is None:
            return _error(_("No such chat."), 404)
        allowed = _origins(channel)
        if not site.origin_allowed(request, allowed):
            return _error(_("This site may not use this chat."), 403)
        if request.method == "OPTIONS":
            return site.with_cors(HttpResponse(status=204), request, allowed)
        if _limited("hello", request, channel.pk, "hello"):
            return site.with_cors(_too_many(), request, allowed)
        data = _body(request)
        if data is None:
            return site.with_cors(_error(_("Send a JSON object."), 400), request, allowed)
        key = site.visitor_key(str(data.get("visitor") or ""), tenant_id)
        key = key or site.new_visitor_key()
        contact_id = site.linked_contact_id(str(data.get(site.LINK_PARAMETER) or ""), tenant_id)
        visitor = visitors.find(key)
        # The tracked link's client, if they are in this workspace.
        if contact_id is not None and Contact.objects.filter(pk=contact_id).exists():
            visitor = visitors.identify(key, contact_id)
        _visit(data, visitor, request)
        body = {
            "visitor": site.visitor_token(tenant_id, key),
            "title": channel.settings.get("title") or _("Chat with us"),
            "greeting": channel.settings.get("greeting") or "",
            "identified": bool(visitor and visitor.contact_id),
            "labels": {"send": _("Send"), "placeholder": _("Write a message…"),
                       "name": _("Your name"), "email": _("Your email"),
                       "open": _("Chat"), "close": _("Close")},
        }  # fmt: skip
        return site.with_cors(JsonResponse(body), request, allowed)


def _visitor_messages(channel: Channel, key: str, after: int | None) -> list[dict]:
    conversation = Conversation.objects.filter(
        channel=channel, external_chat_id=f"visitor:{key}"
    ).first()
    if conversation is None:
        return []
    rows = (
        Message.objects.filter(conversation=conversation, direction__in=[Message.IN, Message.OUT])
        .select_related("author")
        .order_by("id")
    )
    if after is not None:
        rows = rows.filter(pk__gt=after)
    return [
        {"id": m.pk, "from": "visitor" if m.direction == Message.IN else "team", "text": m.text,
         "at": m.created_at.isoformat(),
         "author": m.author.first_name if m.author and m.direction == Message.OUT else ""}
        for m in rows[:200]
    ]  # fmt: skip


def _chat_message(channel: Channel, key: str, data: dict, region: str) -> tuple[int, dict]:
    text = str(data.get("text") or "").strip()
    errors = {}
    if not text:
        errors["text"] = [_("Write a message first.")]
    elif len(text) > MAX_CHAT_TEXT:
        errors["text"] = [_("A message may be at most %(n)s characters.") % {"n": MAX_CHAT_TEXT}]
    contact = {}
    for name in ("email", "phone"):
        value = str(data.get(name) or "").strip()[:254]
        if value:
            try:
                contact[name] = (
                    normalize.phone(value, region) if name == "phone" else normalize.email(value)
                )
            except ValidationError as exc:
                errors[name] = list(exc.messages)
    if errors:
        return 400, {"error": _("Check the marked fields."), "errors": errors}
    given = str(data.get("id") or "")
    client_id = given if CLIENT_ID.match(given) else uuid.uuid4().hex
    page = str(data.get("page") or "")[:2000]
    receiver.receive(channel, {
        "id": f"{key}:{client_id}", "visitor": key, "text": text,
        "name": str(data.get("name") or "").strip()[:200], **contact,
        "page": page if page.startswith(("http://", "https://")) else "",
        "sent_at": timezone.now().isoformat(),
    })  # fmt: skip
    return 202, {"ok": True, "id": client_id}


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def chat_messages(request, token):
    """The visitor's own conversation: GET its messages (`?after=<id>`: newer ones only),
    POST a message. The signed visitor token (header X-CRM-Visitor) is required: 401
    without one, 403 with one that is forged or of another workspace."""
    tenant_id = _tenant_of(token)
    if tenant_id is None:
        return _error(_("No such chat."), 404)
    with tenant_scope(tenant_id):
        channel = _chat(token)
        if channel is None:
            return _error(_("No such chat."), 404)
        allowed = _origins(channel)
        if not site.origin_allowed(request, allowed):
            return _error(_("This site may not use this chat."), 403)
        if request.method == "OPTIONS":
            return site.with_cors(HttpResponse(status=204), request, allowed)
        given = request.headers.get(VISITOR_HEADER, "")
        key = site.visitor_key(given, tenant_id)
        if key is None:
            status = 403 if given else 401
            message = _("This chat does not know you: reload the page.")
            return site.with_cors(_error(message, status), request, allowed)
        scope = "read" if request.method == "GET" else "chat"
        if _limited(scope, request, channel.pk, scope):
            return site.with_cors(_too_many(), request, allowed)
        if request.method == "GET":
            after = as_id(request.GET.get("after"))
            body = {"messages": _visitor_messages(channel, key, after)}
            return site.with_cors(JsonResponse(body), request, allowed)
        data = _body(request)
        if data is None:
            return site.with_cors(_error(_("Send a JSON object."), 400), request, allowed)
        region = Tenant.objects.values_list("country", flat=True).get(pk=tenant_id)
        status, body = _chat_message(channel, key, data, region)
        return site.with_cors(JsonResponse(body, status=status), request, allowed)
