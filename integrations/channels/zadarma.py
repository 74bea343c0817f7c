"""Zadarma's cloud PBX: its call notifications (NOTIFY_*), the recordings of its calls, and
callback calls (click-to-call).

Zadarma posts a form per event and signs it in the `Signature` header, keyed with the API
secret, over fields that differ per event (as Zadarma documents it and its own client
library, zadarma/user-api-v1, checks it): base64 of the *hexadecimal* HMAC-SHA1 of

- NOTIFY_START, NOTIFY_INTERNAL, NOTIFY_END: caller_id + called_did + call_start
- NOTIFY_ANSWER: caller_id + destination + call_start
- NOTIFY_OUT_START, NOTIFY_OUT_END: internal + destination + call_start
- NOTIFY_RECORD: pbx_call_id + call_id_with_rec

Before it saves the notification URL Zadarma checks it with a GET carrying `zd_echo`, to
be answered with that value. Deliveries are `<pbx_call_id>:<event>`. NOTIFY_END's
`disposition` says whether the call was answered; the recording comes later in
NOTIFY_RECORD, and its file is had through the API (`/v1/pbx/record/request/`).

API requests carry `Authorization: <key>:<signature>`, the signature being base64 of the
hexadecimal HMAC-SHA1 of the method's path, the sorted, form-encoded parameters and their
MD5. The API's base URL is a channel setting (default settings.ZADARMA_API_BASE_URL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import urlencode

import requests
from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from . import Adapter, ChannelError, File, Inbound, register

SIGNATURE_HEADER = "Signature"

# The fields each event's signature runs over, in order.
SIGNED = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_INTERNAL": ("caller_id", "called_did", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
NOTIFICATIONS = ("notify_start", "notify_answer", "notify_end", "notify_out_start",
                 "notify_out_end", "notify_record")  # fmt: skip


def sign(secret: str, text: str) -> str:
    hexdigest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(hexdigest.encode()).decode()


def signature(secret: str, params) -> str | None:
    """The signature Zadarma sends with a notification; None for an event it does not sign."""
    fields = SIGNED.get(str(params.get("event") or ""))
    if fields is None:
        return None
    return sign(secret, "".join(str(params.get(f) or "") for f in fields))


def api_authorization(key: str, secret: str, method: str, params: dict) -> str:
    query = urlencode(sorted(params.items()))
    text = method + query + hashlib.md5(query.encode()).hexdigest()  # noqa: S324  (Zadarma's)
    return f"{key}:{sign(secret, text)}"


class Zadarma(Adapter):
    written_replies = False
    kind = "zadarma"
    label = "Zadarma"
    secret_fields = ("api_key", "api_secret")
    public_fields = ("api_base_url", "callback_to")
    can_dial = True
    # Settings → Channels shows the webhook's address, for the provider's console.
    pasted_webhook = True

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        from .. import calls

        key = str(raw.get("api_key") or "").strip()
        secret = str(raw.get("api_secret") or "").strip()
        for value in (key, secret):
            if not value or len(value) > 200 or any(c.isspace() for c in value):
                raise ValueError(_("Enter the API key and secret from Zadarma's settings."))
        public = {
            "api_base_url": calls.clean_base_url(raw, settings.ZADARMA_API_BASE_URL),
            "callback_to": calls.clean_queue(raw),
        }
        return public, {"api_key": key, "api_secret": secret}

    def form_fields(self) -> dict:
        from .. import calls

        return {
            "api_key": forms.CharField(
                label=_("API key"), max_length=200,
                widget=forms.PasswordInput(render_value=False),
            ),
            "api_secret": forms.CharField(
                label=_("API secret"), max_length=200,
                help_text=_("It signs Zadarma's notifications. It is stored encrypted."),
                widget=forms.PasswordInput(render_value=False),
            ),
            "api_base_url": forms.URLField(
                label=_("API address"), required=False,
                help_text=_("Leave empty for Zadarma's own; a local stand-in for trials."),
            ),
            "callback_to": calls.queue_field(),
        }  # fmt: skip

    # --- the API ---------------------------------------------------------------------------

    def _call(self, channel, http: str, method: str, params: dict | None = None) -> dict:
        params = {k: str(v) for k, v in (params or {}).items()}
        secrets = channel.secrets
        base = channel.settings.get("api_base_url") or settings.ZADARMA_API_BASE_URL
        headers = {"Authorization": api_authorization(secrets["api_key"], secrets["api_secret"],
                                                      method, params)}  # fmt: skip
        try:
            response = requests.request(
                http,
                base + method,
                params=params if http == "GET" else None,
                data=params if http != "GET" else None,
                headers=headers,
                timeout=settings.INTEGRATIONS_HTTP_TIMEOUT,
            )
            answer = response.json()
        except requests.RequestException as exc:
            raise ChannelError(
                _("Zadarma could not be reached (%(error)s).") % {"error": type(exc).__name__}
            ) from None
        except ValueError:
            raise ChannelError(
                _("Zadarma answered %(status)s, not JSON.") % {"status": response.status_code}
            ) from None
        if not isinstance(answer, dict) or answer.get("status") != "success":
            reason = answer.get("message") if isinstance(answer, dict) else ""
            raise ChannelError(
                _("Zadarma refused the request: %(reason)s")
                % {"reason": reason or response.status_code}
            )
        return answer

    def connect(self, channel, webhook_url: str) -> None:
        """Check the keys, set the PBX's notification URL to our webhook (Zadarma checks
        it with zd_echo) and turn on the call notifications."""
        self._call(channel, "GET", "/v1/info/balance/")
        self._call(channel, "POST", "/v1/pbx/callinfo/url/", {"url": webhook_url})
        self._call(channel, "POST", "/v1/pbx/callinfo/notifications/",
                   dict.fromkeys(NOTIFICATIONS, "true"))  # fmt: skip

    def dial(self, channel, *, agent: str, client: str, webhook_url: str) -> str:
        """A callback call: Zadarma rings `agent` (a number, SIP login or PBX extension),
        then the client. It names no call id; the PBX's notifications follow."""
        self._call(channel, "GET", "/v1/request/callback/", {"from": agent, "to": client})
        return ""

    def fetch_file(self, channel, ref: str) -> bytes:
        from .. import calls

        answer = self._call(channel, "GET", "/v1/pbx/record/request/", {"call_id": ref})
        link = answer.get("link") or next(iter(answer.get("links") or []), "")
        if not isinstance(link, str) or not link.startswith(("http://", "https://")):
            raise ChannelError(_("Zadarma gave no link to the recording."))
        return calls.download(link)

    # --- the webhook -----------------------------------------------------------------------

    def handshake(self, channel, request) -> HttpResponse | None:
        echo = request.GET.get("zd_echo")
        if echo is None:
            return None
        response = HttpResponse(echo[:200], content_type="text/plain; charset=utf-8")
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def parse(self, request):
        return request.POST.dict()

    def presented(self, request) -> bool:
        return bool(request.headers.get(SIGNATURE_HEADER))

    def verify(self, channel, request) -> bool:
        given = request.headers.get(SIGNATURE_HEADER, "")
        secret = channel.secrets.get("api_secret", "")
        expected = signature(secret, request.POST) if secret else None
        return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())

    def acknowledge(self, channel, payload) -> HttpResponse:
        return HttpResponse("", content_type="text/plain")

    def delivery_id(self, payload) -> str | None:
        if not isinstance(payload, dict):
            return None
        call, event = str(payload.get("pbx_call_id") or ""), str(payload.get("event") or "")
        if not call or not event or len(call) > 60:
            return None
        if event == "NOTIFY_RECORD":
            return f"{call}:{event}:{str(payload.get('call_id_with_rec') or '')[:30]}"
        return f"{call}:{event}"

    def normalise(self, payload: dict) -> Inbound | None:
        from .. import calls

        event = str(payload.get("event") or "")
        call_id = str(payload.get("pbx_call_id") or "")
        get = payload.get
        disposition = str(get("disposition") or "")
        duration = calls.as_int(get("duration"))
        if event == "NOTIFY_INTERNAL":
            return None  # the call moving to an extension: nothing the entry shows
        if event == "NOTIFY_START":
            meta = calls.call_event(calls.STARTED, direction=calls.IN, caller=get("caller_id"),
                                    called=get("called_did"))  # fmt: skip
        elif event == "NOTIFY_ANSWER":
            meta = calls.call_event(calls.ANSWERED, direction=calls.IN, caller=get("caller_id"),
                                    called=get("called_did") or get("destination"))  # fmt: skip
        elif event == "NOTIFY_END":
            meta = calls.call_event(
                calls.ENDED, direction=calls.IN, caller=get("caller_id"),
                called=get("called_did"), duration=duration,
                answered=disposition == "answered", provider_status=disposition,
            )  # fmt: skip
        elif event == "NOTIFY_OUT_START":
            meta = calls.call_event(calls.STARTED, direction=calls.OUT,
                                    caller=get("caller_id") or get("internal"),
                                    called=get("destination"))  # fmt: skip
        elif event == "NOTIFY_OUT_END":
            meta = calls.call_event(
                calls.ENDED, direction=calls.OUT, caller=get("caller_id") or get("internal"),
                called=get("destination"), duration=duration,
                answered=disposition == "answered", provider_status=disposition,
            )  # fmt: skip
        elif event == "NOTIFY_RECORD":
            record = str(get("call_id_with_rec") or "")
            if not record:
                raise ValueError("NOTIFY_RECORD without call_id_with_rec")
            return Inbound(
                external_id=call_id, chat_id="", text="", sent_at=datetime.now(UTC),
                kind="call", meta=calls.call_event(calls.RECORDED, direction=calls.IN),
                files=(File(name=f"{record[:60]}.mp3", content_type="audio/mpeg", ref=record),),
            )  # fmt: skip
        else:
            raise ValueError(f"unknown Zadarma event {event[:40]!r}")
        return Inbound(external_id=call_id, chat_id="", text="", sent_at=datetime.now(UTC),
                       kind="call", meta=meta)  # fmt: skip

    def send(self, channel, outgoing) -> str:
        raise ChannelError(_("A phone channel takes no written replies: call the client."))


register(Zadarma())
