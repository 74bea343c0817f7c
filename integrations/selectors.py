"""Reads of channels and conversations, shared by the inbox page and the API.

Who sees a conversation (`conversations_for`), by the role's visibility of "conversation":
- all: every conversation of the workspace;
- department / own: those assigned to them (own) or to their department's members, as
  `visible_to` reads an assignee; and, while nobody is assigned, those whose client they
  may see (`contacts.selectors.records_for`), and those with no client linked yet: a request
  from an unknown sender is the team's to pick up, so every member who may see
  conversations sees it until someone takes it.
A conversation assigned to a colleague is hidden even if its client is visible: the
assignee owns it, as an owner owns a deal.
"""

from __future__ import annotations

from django.db.models import Case, Count, DecimalField, Q, QuerySet, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from contacts.selectors import records_for
from crm.accounts.models import Membership
from crm.accounts.permissions import ALL
from crm.accounts.selectors import visible_to

from .models import Attachment, Channel, Conversation, Message, RawDelivery

OBJECT_TYPE = "conversation"


def channels(with_failures: bool = False) -> QuerySet[Channel]:
    qs = Channel.objects.order_by("name", "id")
    if with_failures:
        failed = Q(deliveries__status=RawDelivery.FAILED)
        qs = qs.annotate(failed=Count("deliveries", filter=failed))
    return qs


def last_failures(channel_ids, per_channel: int = 3) -> dict[int, list]:
    """{channel id: its latest failed deliveries}, for the channels' page."""
    out: dict[int, list] = {}
    rows = RawDelivery.objects.filter(channel_id__in=channel_ids, status=RawDelivery.FAILED)
    for delivery in rows.order_by("-received_at", "-id")[: per_channel * 20]:
        bucket = out.setdefault(delivery.channel_id, [])
        if len(bucket) < per_channel:
            bucket.append(delivery)
    return out


def conversations_for(membership: Membership) -> QuerySet[Conversation]:
    qs = Conversation.objects.all()
    role = membership.role
    if not role.can(OBJECT_TYPE, "view"):
        return qs.none()
    if role.visibility(OBJECT_TYPE) == ALL:
        return qs
    assigned = visible_to(qs, membership, OBJECT_TYPE, owner_field="assignee")
    clients = records_for(membership, "contact").values("pk")
    unassigned = qs.filter(Q(assignee=None) & (Q(contact=None) | Q(contact__in=clients)))
    return assigned | unassigned


def message_rows(membership: Membership) -> QuerySet[Message]:
    """Messages (calls, e-mails, notes included) of the conversations the member may see, as
    reports read them: a call's `duration` in seconds (its `meta`), null for the rest."""
    role = membership.role
    if not role.can(OBJECT_TYPE, "view"):
        return Message.objects.none()
    qs = Message.objects.all()
    if role.visibility(OBJECT_TYPE) != ALL:
        qs = qs.filter(conversation__in=conversations_for(membership).values("pk"))
    seconds = Cast(
        KeyTextTransform("duration", "meta"), DecimalField(max_digits=12, decimal_places=0)
    )
    return qs.alias(duration=Case(When(kind="call", then=seconds), default=Value(None)))


def inbox(
    membership: Membership, *, view: str = "all", status: str = "", channel=None, q: str = ""
):
    """The inbox list: `view` is mine, unassigned, unsorted (no client yet, not spam) or
    all (that the member may see); `q` searches it (`search`)."""
    qs = conversations_for(membership)
    if view == "mine":
        qs = qs.filter(assignee_id=membership.user_id)
    elif view == "unassigned":
        qs = qs.filter(assignee=None)
    elif view == "unsorted":
        qs = qs.filter(contact=None, is_spam=False)
    if status:
        qs = qs.filter(status=status)
    if channel is not None:
        qs = qs.filter(channel_id=channel)
    if q:
        qs = search(qs, membership, q)
    return qs.order_by("-last_message_at", "-id")


SEARCH_MAX = 200


def search(qs: QuerySet[Conversation], membership: Membership, text: str):
    """Conversations whose title or client's name (every word, in either) or a message's
    text (the phrase) holds `text`, lower-cased, as LIKE on trigram GIN indexes (LIKE is
    LEAKPROOF, docker/search-operators.sql, so the indexes serve under row-level
    security). A client's name counts only if the member may see the client."""
    text = " ".join((text or "").lower().split())[:SEARCH_MAX]
    if not text:
        return qs
    clients = records_for(membership, "contact")
    named = Q()
    for word in text.split()[:8]:
        named &= Q(search__contains=word) | Q(
            contact__in=clients.filter(search__contains=word).values("pk")
        )
    said = Q(pk__in=Message.objects.filter(search__contains=text).values("conversation_id"))
    return qs.filter(named | said)


def unread_count(membership: Membership) -> int:
    """Conversations with unread messages among those the member may see (the badge)."""
    return conversations_for(membership).filter(unread__gt=0).count()


def thread(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("author").order_by("created_at", "id")


def latest(conversation: Conversation, count: int = 100) -> list[Message]:
    """The thread's last `count` messages, newest first (the page shows them bottom up)."""
    return list(thread(conversation).prefetch_related("attachments").reverse()[:count])


def attachments_for(membership: Membership):
    """The files of the conversations the member may see."""
    return Attachment.objects.filter(
        message__conversation__in=conversations_for(membership).values("pk")
    )


def has_news(conversation: Conversation, since: int) -> bool:
    """Whether a message came after message `since` (ids only grow)."""
    return conversation.messages.filter(pk__gt=since).exists()


def visible_contact_ids(membership: Membership, conversations) -> set[int]:
    """Which of the conversations' clients the member may see (one query): a conversation
    assigned to them may be about a client they cannot open, whose name stays hidden."""
    ids = {c.contact_id for c in conversations if c.contact_id}
    if not ids:
        return set()
    return set(records_for(membership, "contact").filter(pk__in=ids).values_list("pk", flat=True))
