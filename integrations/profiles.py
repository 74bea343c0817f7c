"""The sender's name, asked of the far end when a delivery does not carry it.

Messenger's, Instagram's and VK's webhooks name the sender only by an id, so a new
conversation from them would read "Unknown sender" until a client is linked. Adapters that
can ask their API (`sender_name(channel, inbound) -> str`) are asked, for an active
channel, when a message arrives in a conversation without a title (in the ingesting
transaction, within INTEGRATIONS_HTTP_TIMEOUT, as files are fetched). A failed lookup
leaves the title empty: the message itself is never failed for want of a name.
"""

from __future__ import annotations

import logging

from . import channels, ingest
from .channels import ChannelError
from .models import Channel, Conversation

log = logging.getLogger(__name__)


@ingest.after_store("message")
def name_the_sender(conversation: Conversation, message, inbound) -> None:
    if conversation.title:
        return
    channel = Channel.objects.get(pk=conversation.channel_id)
    if channel.status != Channel.ACTIVE:
        return  # never connected (the demo's), or its token was refused: nothing to ask
    lookup = getattr(channels.get(channel.kind), "sender_name", None)
    if lookup is None:
        return
    try:
        name = lookup(channel, inbound)
    except ChannelError as exc:
        log.info("no sender's name for conversation %s: %s", conversation.pk, exc)
        return
    if name:
        conversation.title = name.strip()[:200]
        Conversation.objects.filter(pk=conversation.pk).update(title=conversation.title)
