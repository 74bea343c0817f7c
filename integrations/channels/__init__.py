"""The channel adapters: one module per kind of channel, each registering one adapter.

An adapter is everything the rest of the app needs to know about a kind of channel (see
README.md for the contract): which settings it takes and which of them are secret, how to
connect it (register its webhook), how to tell a genuine delivery from a forged one, how to
read a delivery into an `Inbound` message, and how to send a reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest


class ChannelError(Exception):
    """The channel's far end refused or could not be reached; the text is for the admin."""


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


class Adapter:
    kind: str = ""
    label: str = ""
    # Keys of `settings` that are secrets: kept encrypted, never shown back in full.
    secret_fields: tuple[str, ...] = ()
    public_fields: tuple[str, ...] = ()

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        """(public settings, secrets) from what an admin typed; ValueError if unusable."""
        raise NotImplementedError

    def connect(self, channel, webhook_url: str) -> None:
        """Make the far end send deliveries to `webhook_url`; ChannelError on failure."""
        raise NotImplementedError

    def verify(self, channel, request: HttpRequest) -> bool:
        """Whether the delivery comes from the channel's far end (a shared secret, a
        signature). Nothing is stored before this says yes."""
        raise NotImplementedError

    def presented(self, request: HttpRequest) -> bool:
        """Whether the request carries credentials at all (the answer to one that does not
        is 401, to one whose credentials are wrong 403)."""
        raise NotImplementedError

    def delivery_id(self, payload: dict) -> str | None:
        """The delivery's own id (its idempotency key), None if the payload has none."""
        raise NotImplementedError

    def normalise(self, payload: dict) -> Inbound | None:
        """The message a delivery carries; None for deliveries that carry none (an edit, a
        status). ValueError for a payload of a shape it does not know."""
        raise NotImplementedError

    def send(self, channel, chat_id: str, text: str) -> str:
        """Send `text` to the chat; the sent message's external id. ChannelError on failure."""
        raise NotImplementedError


ADAPTERS: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    if adapter.kind in ADAPTERS:
        raise ValueError(f"channel kind {adapter.kind!r} is registered twice")
    ADAPTERS[adapter.kind] = adapter
    return adapter


def get(kind: str) -> Adapter:
    return ADAPTERS[kind]


def kinds() -> list[tuple[str, str]]:
    return [(a.kind, a.label) for a in ADAPTERS.values()]
