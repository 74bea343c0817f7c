"""The channel adapters: one module per kind of channel, each registering one adapter.

An adapter is everything the rest of the app needs to know about a kind of channel (see
README.md for the contract): which settings it takes and which of them are secret, how to
connect it (register its webhook), how to tell a genuine delivery from a forged one, how to
read a delivery into `Inbound` messages (and status updates of sent ones), and how to send
an `Outgoing` reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse

from crm.web import params


class ChannelError(Exception):
    """The channel's far end refused or could not be reached; the text is for the admin."""


@dataclass(frozen=True)
class File:
    """A file a message carries, in or out. An incoming one either has its bytes already
    (an email's part) or a `ref` the adapter's `fetch_file` downloads in the worker (a
    Telegram file_id, a Graph API media id)."""

    name: str
    content_type: str = "application/octet-stream"
    data: bytes = b""
    ref: str = ""


@dataclass(frozen=True)
class Inbound:
    """One incoming message, as every channel kind reads into it."""

    external_id: str  # unique within the channel: the message's idempotency key
    chat_id: str  # the conversation at the channel's end (a chat, a thread, a sender)
    text: str
    sent_at: datetime
    sender_name: str = ""
    username: str = ""  # the sender's handle at the channel (a Telegram @username)
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    # What kind of entry it makes in the thread: Message.KINDS ("message", "email",
    # "call", "form", "chat").
    kind: str = "message"
    subject: str = ""  # an email's subject; a form's name
    html: str = ""  # an email's HTML body, sanitised before it is stored
    files: tuple[File, ...] = ()
    # Anything kind-specific the thread shows or later steps read: an email's Message-ID
    # and References, a call's duration and recording URL, a form's fields and UTM tags.
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StatusUpdate:
    """The far end's word on a message we sent: delivered, read, failed."""

    external_id: str
    status: str  # Message.SENT / DELIVERED / READ / FAILED
    error: str = ""


@dataclass(frozen=True)
class Outgoing:
    """A reply as the adapter sends it. `conversation` is there for what threading needs
    (an email's In-Reply-To and References are read from its messages' meta)."""

    chat_id: str
    text: str
    files: tuple[File, ...] = ()
    subject: str = ""
    conversation: object = None
    # An automatic answer (integrations/autoreply.py): email marks it Auto-Submitted.
    auto: bool = False
    # A first email to an address (a rule's email to a client, no thread yet).
    to: str = ""


class Adapter:
    kind: str = ""
    label: str = ""
    # Keys of `settings` that are secrets: kept encrypted, never shown back in full.
    secret_fields: tuple[str, ...] = ()
    public_fields: tuple[str, ...] = ()
    # Whether the far end pushes deliveries to our webhook (False: we poll it, as IMAP).
    webhook: bool = True
    # Whether a written reply can go back through it (not through a phone line or a form).
    written_replies: bool = True
    # Whether admins add channels of this kind on Settings → Channels (a web form's channel
    # is made by the form builder instead).
    addable: bool = True
    # Secrets the admin copies into the far end's console (Meta's verify token, VK's secret
    # key): shown in full to those who manage channels, with the webhook URL itself when
    # `pasted_webhook` (the far end has no API to register it).
    pasted_fields: tuple[str, ...] = ()
    pasted_webhook: bool = False

    def _failure(self, text: str) -> ChannelError:
        """A ChannelError from a translated text naming `%(service)s` (the kind's label)."""
        return ChannelError(text % {"service": self.label})

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        """(public settings, secrets) from what an admin typed; ValueError if unusable."""
        raise NotImplementedError

    def form_fields(self) -> dict:
        """The Django form fields Settings → Channels shows for this kind ({name: field},
        names as `clean_settings` reads them; secret ones with a PasswordInput)."""
        return {}

    def connect(self, channel, webhook_url: str) -> None:
        """Make the far end send deliveries to `webhook_url`; ChannelError on failure."""
        raise NotImplementedError

    def handshake(self, channel, request: HttpRequest) -> HttpResponse | None:
        """The answer to a GET on the webhook (Meta's hub.challenge); None: 405."""
        return None

    def parse(self, request: HttpRequest):
        """The delivery's payload from the request's body (JSON unless the far end posts a
        form, as Twilio does)."""
        try:
            return params.json_loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return request.body.decode("utf-8", "replace")

    def verify(self, channel, request: HttpRequest) -> bool:
        """Whether the delivery comes from the channel's far end (a shared secret, a
        signature). Nothing is stored before this says yes."""
        raise NotImplementedError

    def presented(self, request: HttpRequest) -> bool:
        """Whether the request carries credentials at all (the answer to one that does not
        is 401, to one whose credentials are wrong 403)."""
        raise NotImplementedError

    def answer(self, channel, payload) -> HttpResponse | None:
        """An answer the far end expects instead of storing the delivery (VK's
        confirmation code), or None to store it and answer `acknowledge`."""
        return None

    def acknowledge(self, channel, payload) -> HttpResponse:
        """The answer to a delivery once it is stored."""
        return JsonResponse({"ok": True})

    def delivery_id(self, payload: dict) -> str | None:
        """The delivery's own id (its idempotency key), None if the payload has none."""
        raise NotImplementedError

    def normalise(self, payload: dict) -> Inbound | None:
        """The message a delivery carries; None for deliveries that carry none (an edit, a
        status). ValueError for a payload of a shape it does not know."""
        raise NotImplementedError

    def inbounds(self, payload: dict) -> list[Inbound]:
        """Every message a delivery carries (Meta batches several in one)."""
        found = self.normalise(payload)
        return [found] if found else []

    def statuses(self, payload: dict) -> list[StatusUpdate]:
        """Status updates of sent messages a delivery carries."""
        return []

    def fetch_file(self, channel, ref: str) -> bytes:
        """The bytes of an incoming file named by `File.ref`; ChannelError on failure."""
        raise ChannelError(f"{self.kind} cannot fetch files")

    def send(self, channel, outgoing: Outgoing) -> str:
        """Send a reply; the sent message's external id. ChannelError on failure."""
        raise NotImplementedError

    def reply_subject(self, conversation) -> str:
        """The subject a reply in the conversation carries when none is given ("Re: ..."
        for email); empty for channels without subjects."""
        return ""


ADAPTERS: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    if adapter.kind in ADAPTERS:
        raise ValueError(f"channel kind {adapter.kind!r} is registered twice")
    ADAPTERS[adapter.kind] = adapter
    return adapter


def get(kind: str) -> Adapter:
    return ADAPTERS[kind]


def kinds() -> list[tuple[str, str]]:
    """The kinds admins may add on Settings → Channels and over the API."""
    return [(a.kind, a.label) for a in ADAPTERS.values() if a.addable]
