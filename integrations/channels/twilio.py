"""Twilio Voice: the call status callbacks of a Twilio number, and calls placed through the
Calls API (click-to-call).

Twilio posts a form (`CallSid`, `CallStatus`, `From`, `To`, `Direction`, `CallDuration`,
`RecordingUrl`, ...) and signs it in `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with
the account's auth token, over the full URL it requested followed by every POST parameter,
sorted by name, as name and value run together. Each status is a delivery of its own
(`<CallSid>:<CallStatus>`; a recording `<CallSid>:recording:<RecordingSid>`).

Statuses: queued, initiated and ringing start a call, in-progress answers it, completed
ends it answered; busy, no-answer, failed and canceled end it unanswered (a missed call when
it was incoming). A `<Dial action>` pointed at the webhook reports `DialCallStatus`, which
then decides whether the call was answered (a number whose TwiML answers every call reports
"completed" even when nobody picked up).

The REST API's base URL is a channel setting (default settings.TWILIO_API_BASE_URL), so
tests run against a stand-in on loopback; recordings are fetched only from under it, with
the account's credentials, so a forged RecordingUrl can never send them elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

import requests
from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from . import Adapter, ChannelError, File, Inbound, register

SIGNATURE_HEADER = "X-Twilio-Signature"
API_VERSION = "2010-04-01"

STARTED = {"queued", "initiated", "ringing"}
ANSWERED = {"in-progress", "answered"}
ENDED_ANSWERED = {"completed"}
ENDED_UNANSWERED = {"busy", "no-answer", "failed", "canceled"}


def signature(auth_token: str, url: str, params) -> str:
    """Twilio's request signature: `params` is a dict or a QueryDict (several values of a
    name are each appended, sorted)."""
    data = url
    for key in sorted(params):
        values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
        for value in sorted(str(v) for v in values):
            data += f"{key}{value}"
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class Twilio(Adapter):
    written_replies = False
    kind = "twilio"
    label = "Twilio"
    secret_fields = ("auth_token",)
    public_fields = ("account_sid", "phone_number", "api_base_url", "callback_to")
    # Calls through this channel may be placed from a client's card.
    can_dial = True
    # Settings → Channels shows the webhook's address, for the provider's console.
    pasted_webhook = True

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        from .. import calls

        sid = str(raw.get("account_sid") or "").strip()
        token = str(raw.get("auth_token") or "").strip()
        if not (sid.startswith("AC") and 10 <= len(sid) <= 64 and sid.isalnum()):
            raise ValueError(_("Enter the Account SID from the Twilio console (AC…)."))
        if not token or len(token) > 200 or any(c.isspace() for c in token):
            raise ValueError(_("Enter the account's Auth Token from the Twilio console."))
        number = str(raw.get("phone_number") or "").strip()
        if number and not (number.startswith("+") and number[1:].isdigit() and len(number) < 17):
            raise ValueError(_("Enter the Twilio number in international format (+…)."))
        public = {
            "account_sid": sid,
            "phone_number": number,
            "api_base_url": calls.clean_base_url(raw, settings.TWILIO_API_BASE_URL),
            "callback_to": calls.clean_queue(raw),
        }
        return public, {"auth_token": token}

    def form_fields(self) -> dict:
        from .. import calls

        return {
            "account_sid": forms.CharField(label=_("Account SID"), max_length=64),
            "auth_token": forms.CharField(
                label=_("Auth Token"),
                max_length=200,
                help_text=_("It signs Twilio's requests. It is stored encrypted."),
                widget=forms.PasswordInput(render_value=False),
            ),
            "phone_number": forms.CharField(
                label=_("Twilio number"),
                max_length=20,
                required=False,
                help_text=_("Its call status changes come here; calls from the CRM show it."),
            ),
            "api_base_url": forms.URLField(
                label=_("API address"),
                required=False,
                help_text=_("Leave empty for Twilio's own; a local stand-in for trials."),
            ),
            "callback_to": calls.queue_field(),
        }

    # --- the REST API ----------------------------------------------------------------------

    def _base(self, channel) -> str:
        return channel.settings.get("api_base_url") or settings.TWILIO_API_BASE_URL

    def _account_url(self, channel) -> str:
        return f"{self._base(channel)}/{API_VERSION}/Accounts/{channel.settings['account_sid']}"

    def _call(self, channel, method: str, path: str, data: dict | None = None) -> dict:
        auth = (channel.settings["account_sid"], channel.secrets["auth_token"])
        try:
            response = requests.request(
                method,
                f"{self._account_url(channel)}{path}",
                data=data,
                auth=auth,
                timeout=settings.INTEGRATIONS_HTTP_TIMEOUT,
            )
            answer = response.json()
        except requests.RequestException as exc:
            raise ChannelError(
                _("Twilio could not be reached (%(error)s).") % {"error": type(exc).__name__}
            ) from None
        except ValueError:
            raise ChannelError(
                _("Twilio answered %(status)s, not JSON.") % {"status": response.status_code}
            ) from None
        if response.status_code >= 400 or not isinstance(answer, dict):
            reason = answer.get("message") if isinstance(answer, dict) else ""
            raise ChannelError(
                _("Twilio refused the request: %(reason)s")
                % {"reason": reason or response.status_code}
            )
        return answer

    def connect(self, channel, webhook_url: str) -> None:
        """Check the credentials and point the number's call status changes at our
        webhook (when the channel names a number of the account)."""
        self._call(channel, "GET", ".json")
        number = channel.settings.get("phone_number")
        if not number:
            return
        found = self._call(
            channel, "GET", f"/IncomingPhoneNumbers.json?PhoneNumber={quote(number)}"
        )
        numbers = found.get("incoming_phone_numbers") or []
        if not numbers:
            raise ChannelError(_("The account has no number %(number)s.") % {"number": number})
        self._call(
            channel,
            "POST",
            f"/IncomingPhoneNumbers/{numbers[0]['sid']}.json",
            {"StatusCallback": webhook_url, "StatusCallbackMethod": "POST"},
        )

    def dial(self, channel, *, agent: str, client: str, webhook_url: str) -> str:
        """Call `agent` (the manager's phone) and, once they answer, the client, showing
        the channel's number; the client's leg reports to our webhook. The call's id."""
        number = channel.settings.get("phone_number")
        if not number:
            raise ChannelError(_("Name the channel's Twilio number to place calls."))
        twiml = (
            f"<Response><Dial callerId={quoteattr(number)}><Number statusCallback="
            f'{quoteattr(webhook_url)} statusCallbackEvent="initiated ringing answered '
            f'completed">{client}</Number></Dial></Response>'
        )
        answer = self._call(channel, "POST", "/Calls.json",
                            {"To": agent, "From": number, "Twiml": twiml})  # fmt: skip
        return str(answer.get("sid") or "")

    def fetch_file(self, channel, ref: str) -> bytes:
        from .. import calls

        # Only from the account's API: the credentials go nowhere else.
        if not ref.startswith(self._base(channel) + "/"):
            raise ChannelError(_("The recording is not at the channel's API address."))
        auth = (channel.settings["account_sid"], channel.secrets["auth_token"])
        return calls.download(f"{ref}.mp3", auth=auth)

    # --- the webhook -----------------------------------------------------------------------

    def parse(self, request):
        return request.POST.dict()

    def presented(self, request) -> bool:
        return bool(request.headers.get(SIGNATURE_HEADER))

    def verify(self, channel, request) -> bool:
        from ..services import webhook_url

        given = request.headers.get(SIGNATURE_HEADER, "")
        token = channel.secrets.get("auth_token", "")
        if not (given and token):
            return False
        query = request.META.get("QUERY_STRING", "")
        # The URL Twilio was given (SITE_URL's) and the one this request came to: they
        # differ only behind a proxy that rewrites the scheme or host.
        urls = {webhook_url(channel) + (f"?{query}" if query else ""),
                request.build_absolute_uri()}  # fmt: skip
        return any(
            hmac.compare_digest(given.encode(), signature(token, url, request.POST).encode())
            for url in urls
        )

    def acknowledge(self, channel, payload) -> HttpResponse:
        # Twilio reads TwiML back from a status callback; an empty one changes nothing.
        return HttpResponse("<Response/>", content_type="text/xml")

    def delivery_id(self, payload) -> str | None:
        if not isinstance(payload, dict):
            return None
        sid = str(payload.get("CallSid") or "")
        if not sid or len(sid) > 64:
            return None
        if payload.get("RecordingSid") and not payload.get("CallStatus"):
            return f"{sid}:recording:{str(payload['RecordingSid'])[:40]}"
        if payload.get("DialCallStatus"):  # a <Dial action>: how the dialled part ended
            return f"{sid}:dial:{str(payload['DialCallStatus'])[:20]}"
        status = str(payload.get("CallStatus") or "")[:20]
        return f"{sid}:{status}" if status else None

    def inbounds(self, payload: dict) -> list[Inbound]:
        from .. import calls

        sid = str(payload.get("CallSid") or "")
        status = str(payload.get("CallStatus") or "")
        direction = (
            calls.OUT if str(payload.get("Direction", "")).startswith("outbound") else calls.IN
        )
        common = {"direction": direction, "caller": payload.get("From", ""),
                  "called": payload.get("To", ""), "provider_status": status}  # fmt: skip
        sent_at = _when(payload.get("Timestamp"))
        found = []
        recording = str(payload.get("RecordingUrl") or "")
        if recording:
            rec_sid = str(payload.get("RecordingSid") or recording.rsplit("/", 1)[-1])[:40]
            found.append(Inbound(
                external_id=sid, chat_id="", text="", sent_at=sent_at, kind="call",
                meta=calls.call_event(calls.RECORDED, **common),
                files=(File(name=f"{rec_sid}.mp3", content_type="audio/mpeg", ref=recording),),
            ))  # fmt: skip
        if not status:
            if not found:
                raise ValueError("a Twilio callback without CallStatus or a recording")
            return found
        dialled = str(payload.get("DialCallStatus") or "")
        if dialled:
            # A <Dial action>'s request: the call's outcome is whether the person dialled
            # answered, whatever the parent call's status says.
            event, answered = calls.ENDED, dialled in ENDED_ANSWERED
        elif status in STARTED:
            event, answered = calls.STARTED, None
        elif status in ANSWERED:
            event, answered = calls.ANSWERED, None
        elif status in ENDED_ANSWERED | ENDED_UNANSWERED:
            event, answered = calls.ENDED, status in ENDED_ANSWERED
        else:
            raise ValueError(f"unknown Twilio CallStatus {status[:40]!r}")
        duration = calls.as_int(payload.get("CallDuration") or payload.get("DialCallDuration"))
        found.append(Inbound(
            external_id=sid, chat_id="", text="", sent_at=sent_at, kind="call",
            meta=calls.call_event(event, duration=duration, answered=answered, **common),
        ))  # fmt: skip
        return found

    def normalise(self, payload: dict) -> Inbound | None:
        found = self.inbounds(payload)
        return found[-1] if found else None

    def send(self, channel, outgoing) -> str:
        raise ChannelError(_("A phone channel takes no written replies: call the client."))


def _when(value) -> datetime:
    try:
        return parsedate_to_datetime(str(value)).astimezone(UTC) if value else datetime.now(UTC)
    except (TypeError, ValueError):
        return datetime.now(UTC)


register(Twilio())
