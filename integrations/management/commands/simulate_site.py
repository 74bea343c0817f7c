"""Post to the running system what a visitor of the workspace's site sends, through the
front door (SITE_URL, the public endpoints, the worker), to watch it arrive in the inbox:

    make manage ARGS="simulate_site demo form 'Please call me back' --email ann@example.com"
    make manage ARGS="simulate_site demo chat 'Do you deliver on Sundays?'"

`form` fills in the first web form (or `--form <id>`): each field gets the email, the name
or the text; `chat` says hello to the first site chat (or `--channel <id>`) as a new
visitor and sends the text.
"""

from __future__ import annotations

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from integrations import services, webforms
from integrations.models import Channel, WebForm


class Command(BaseCommand):
    help = "Post a web form's answers or a site chat message (see the module's docstring)."

    def add_arguments(self, parser):
        parser.add_argument("workspace", help="the workspace's address (slug)")
        parser.add_argument("what", choices=["form", "chat"])
        parser.add_argument("text")
        parser.add_argument("--form", type=int, help="the form's id (default: the first)")
        parser.add_argument("--channel", type=int, help="the site chat's id (default: the first)")
        parser.add_argument("--name", default="Test visitor")
        parser.add_argument("--email", default="visitor@example.com")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["workspace"]).first()
        if tenant is None:
            raise CommandError(f"No workspace {options['workspace']!r}.")
        timeout = settings.INTEGRATIONS_HTTP_TIMEOUT
        with tenant_scope(tenant):
            if options["what"] == "form":
                forms = WebForm.objects.select_related("channel").order_by("pk")
                form = (forms.filter(pk=options["form"]) if options["form"] else forms).first()
                if form is None:
                    raise CommandError("No web form there: build one under Settings, Web forms.")
                url, fields = webforms.public_url(form), form.fields
            else:
                chats = Channel.objects.filter(kind="sitechat").order_by("pk")
                chat = (
                    chats.filter(pk=options["channel"]) if options["channel"] else chats
                ).first()
                if chat is None:
                    raise CommandError("No site chat there: add one under Settings, Channels.")
                url = services.webhook_url(chat)
        if options["what"] == "form":
            answers = {f["key"]: self._answer(f, options) for f in fields}
            answers["utm_source"] = "simulate_site"
            response = requests.post(url, json=answers, timeout=timeout)
        else:
            hello = requests.post(url, json={}, timeout=timeout)
            if hello.status_code != 200:
                raise CommandError(hello.text[:500])
            response = requests.post(
                settings.SITE_URL.rstrip("/")
                + reverse("sitechat_messages", args=[chat.webhook_token]),
                json={"text": options["text"], "name": options["name"], "email": options["email"]},
                headers={"X-CRM-Visitor": hello.json()["visitor"]},
                timeout=timeout,
            )
        self.stdout.write(f"POST {url.split('/web/')[0]}/web/… → {response.status_code}")
        if response.status_code >= 300:
            raise CommandError(response.text[:500])

    @staticmethod
    def _answer(field: dict, options: dict):
        kind, maps_to = field["type"], field.get("maps_to") or ""
        if kind == "email":
            return options["email"]
        if kind == "checkbox":
            return True
        if kind == "select":
            return (field.get("options") or [""])[0]
        if kind == "phone":
            return ""
        if maps_to.startswith("contact.") and maps_to != "contact.company":
            return options["name"]
        if maps_to == "deal.amount":
            return "100"
        return options["text"]
