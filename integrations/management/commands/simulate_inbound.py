"""Post a real, correctly signed Telegram update to a channel's webhook on the running
system, so a newcomer can watch a message arrive in the inbox:

    make manage ARGS="simulate_inbound demo 'Hello from Telegram'"
    make manage ARGS="simulate_inbound demo 'Hi' --channel 3 --name Ivan --username ivan_p"
    make manage ARGS="simulate_inbound demo 'Hi' --kind whatsapp --phone +14155550100"
    make manage ARGS="simulate_inbound demo 'Привет' --kind vk --chat 15150001"
    make manage ARGS="simulate_inbound demo --call missed --from +15005550123"

`--kind` is telegram (the default), whatsapp, messenger, instagram or vk: each delivery is
signed as its far end signs it (Meta's X-Hub-Signature-256 with the app secret, VK's
secret key in the body).

It goes through the front door (SITE_URL, the webhook, the secret header, the worker), as
Telegram's own delivery would.
"""

from __future__ import annotations

import time

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from integrations import call_simulation, services, simulated
from integrations.channels.telegram import SECRET_HEADER
from integrations.models import Channel


class Command(BaseCommand):
    help = "Post a signed Telegram update to a channel's webhook (see the module's docstring)."

    def add_arguments(self, parser):
        parser.add_argument("workspace", help="the workspace's address (slug)")
        parser.add_argument("text", nargs="?", default="")
        parser.add_argument(
            "--call",
            choices=["missed", "answered"],
            help="post a phone call's signed events to a telephony channel instead",
        )
        parser.add_argument("--from", dest="caller", default="+15005550123",
                            help="the caller's number (with --call)")  # fmt: skip
        parser.add_argument("--channel", type=int, help="the channel's id (default: the first)")
        parser.add_argument("--chat", type=int, default=424242, help="the sender's chat id")
        parser.add_argument("--name", default="Test sender")
        parser.add_argument("--username", default="")
        parser.add_argument("--kind", default="telegram", choices=["telegram", *simulated.KINDS])
        parser.add_argument("--phone", default="+14155550100", help="a WhatsApp sender's phone")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["workspace"]).first()
        if tenant is None:
            raise CommandError(f"No workspace {options['workspace']!r}.")
        if options["call"]:
            return self._call(tenant, options)
        if not options["text"]:
            raise CommandError("Give the message's text (or --call missed|answered).")
        with tenant_scope(tenant):
            kind = options["kind"]
            channels = Channel.objects.filter(kind=kind).order_by("pk")
            if options["channel"]:
                channels = channels.filter(pk=options["channel"])
            channel = channels.first()
            if channel is None:
                raise CommandError(f"No {kind} channel there: add one under Settings, Channels.")
            url = services.webhook_url(channel)
            if kind != "telegram":
                body, headers = simulated.delivery(
                    channel, options["text"], chat=options["chat"], name=options["name"],
                    phone=options["phone"],
                )  # fmt: skip
                return self._post(url, data=body, headers=headers)
            secret = channel.secrets["secret_token"]
        update_id = time.time_ns() // 1000  # unique enough for a trial, and increasing
        sender = {"id": options["chat"], "is_bot": False, "first_name": options["name"]}
        if options["username"]:
            sender["username"] = options["username"]
        update = {
            "update_id": update_id,
            "message": {"message_id": update_id, "from": sender, "date": int(time.time()),
                        "chat": {"id": options["chat"], "type": "private"},
                        "text": options["text"]},
        }  # fmt: skip
        self._post(url, json=update, headers={SECRET_HEADER: secret})

    def _post(self, url: str, **request) -> None:
        response = requests.post(url, timeout=settings.INTEGRATIONS_HTTP_TIMEOUT, **request)
        self.stdout.write(f"POST {url.split('/integrations/')[0]}/integrations/… → "
                          f"{response.status_code}")  # fmt: skip
        if response.status_code != 200:
            raise CommandError(response.text[:500])

    def _call(self, tenant, options):
        with tenant_scope(tenant):
            channels = Channel.objects.filter(kind__in=call_simulation.KINDS).order_by("pk")
            if options["channel"]:
                channels = channels.filter(pk=options["channel"])
            channel = channels.first()
            if channel is None:
                raise CommandError("No telephony channel there: add one under Settings, Channels.")
            url = services.webhook_url(channel)
        codes = call_simulation.post_call(channel, url, outcome=options["call"],
                                          caller=options["caller"])  # fmt: skip
        self.stdout.write(f"{channel.label} call ({options['call']}) → {codes}")
        if any(code != 200 for code in codes):
            raise CommandError(f"The webhook answered {codes}.")
