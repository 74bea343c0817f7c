"""The team chat: the workspace's channel ("General", every active member) and direct
conversations between two members, with @mentions and unread counts.

Its own tables (TeamRoom, TeamMember, TeamMessage), not client conversations: the client
selectors (the inbox, the API's conversations, the badge, the client card) never read
them, no channel or adapter is involved, so nothing written here can be sent anywhere,
and a role's "all" visibility of conversations opens no one's direct messages. The walls:
a direct room is seen by its two members only (admins included); the workspace channel by
every active member; row-level security keeps workspaces apart.

Team messages are not events on the spine (the audit trail and the timelines would carry
private messages); a mention is notified directly (crm.activity's `notify`) in the
transaction of the message.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from crm.accounts.models import Membership, User
from crm.activity.models import Notification
from crm.activity.services.notifications import notify
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant

from . import mentions
from .models import TeamMember, TeamMessage, TeamRoom

MAX_TEXT = 4096


def room_name(room: TeamRoom, viewer_id: int) -> str:
    """What a room is called for `viewer_id`: "General", or the other member's name
    (members prefetched)."""
    if room.kind == TeamRoom.WORKSPACE:
        return room.name or _("General")
    others = [m.user for m in room.members.all() if m.user_id != viewer_id]
    return others[0].display_name if others else _("Just you")


# --- reads --------------------------------------------------------------------------------


def workspace_room() -> TeamRoom:
    """The workspace's channel, made on first use."""
    room = TeamRoom.objects.filter(kind=TeamRoom.WORKSPACE).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            return TeamRoom.objects.create(kind=TeamRoom.WORKSPACE, name="")
    except IntegrityError:  # made a moment ago by another request
        return TeamRoom.objects.get(kind=TeamRoom.WORKSPACE)


def rooms_for(membership: Membership) -> QuerySet[TeamRoom]:
    """The rooms the member is in: the workspace channel, if active, and their direct
    rooms; with `unread`, the others' messages after the member's last read one."""
    if not membership.is_active:
        return TeamRoom.objects.none()
    user_id = membership.user_id
    last_read = TeamMember.objects.filter(room=OuterRef("room"), user_id=user_id).values(
        "last_read_id"
    )[:1]
    unread = (
        TeamMessage.objects.filter(room=OuterRef("pk"))
        .exclude(author_id=user_id)
        .filter(pk__gt=Coalesce(Subquery(last_read), Value(0)))
        .order_by()
        .values("room")
        .annotate(n=Count("pk"))
        .values("n")
    )
    mine = TeamMember.objects.filter(user_id=user_id).values("room_id")
    return (
        TeamRoom.objects.filter(Q(kind=TeamRoom.WORKSPACE) | Q(pk__in=mine))
        .annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
        .order_by("-last_message_at", "-id")
    )


def rooms_list(membership: Membership) -> list[TeamRoom]:
    """The rooms for the page, the workspace channel first, each with `shown_name`. Three
    queries however many rooms."""
    workspace_room()
    rooms = list(rooms_for(membership).prefetch_related("members__user"))
    rooms.sort(key=lambda r: r.kind != TeamRoom.WORKSPACE)
    for room in rooms:
        room.shown_name = room_name(room, membership.user_id)
    return rooms


def unread_total(membership: Membership) -> int:
    return sum(rooms_for(membership).values_list("unread", flat=True))


def latest(room: TeamRoom, viewer_id: int, count: int = 100) -> list[TeamMessage]:
    """The room's last `count` messages, newest first; each `direction` is `out` for the
    viewer's own and `in` for the others', as the thread template shows them."""
    found = list(room.messages.select_related("author").order_by("-id")[:count])
    for message in found:
        message.direction = "out" if message.author_id == viewer_id else "in"
    return found


def colleagues(membership: Membership) -> list[Membership]:
    """The other active members, to start a direct conversation with."""
    return list(
        Membership.objects.filter(is_active=True, user__is_active=True)
        .exclude(user_id=membership.user_id)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


# --- writes -------------------------------------------------------------------------------


def _room(actor: Membership, room: TeamRoom | int) -> TeamRoom:
    pk = getattr(room, "pk", room)
    found = rooms_for(actor).filter(pk=pk).first()
    if found is None:
        raise PermissionDenied(_("You are not in this conversation."))
    return found


def direct_room(*, actor: Membership, other: User | int) -> TeamRoom:
    """The direct room of the actor and `other` (an active member), made on first use."""
    other_id = getattr(other, "pk", other)
    if other_id == actor.user_id:
        raise ValueError(_("Choose a colleague, not yourself."))
    if not Membership.objects.filter(user_id=other_id, is_active=True).exists():
        raise ValueError(_("Choose an active member of the workspace."))
    low, high = sorted((actor.user_id, other_id))
    key = f"{low}:{high}"
    room = TeamRoom.objects.filter(direct_key=key).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = TeamRoom.objects.create(kind=TeamRoom.DIRECT, direct_key=key)
            TeamMember.objects.bulk_create(
                [TeamMember(tenant_id=room.tenant_id, room=room, user_id=u) for u in (low, high)]
            )
            return room
    except IntegrityError:  # the colleague opened it at the same moment
        return TeamRoom.objects.get(direct_key=key)


def mark_read(*, actor: Membership, room: TeamRoom, up_to: int | None = None) -> None:
    """The actor has read the room up to message `up_to` (its latest by default)."""
    if up_to is None:
        up_to = room.messages.order_by("-id").values_list("pk", flat=True).first() or 0
    TeamMember.objects.bulk_create(
        [TeamMember(tenant_id=require_tenant_id(), room=room, user_id=actor.user_id,
                    last_read_id=up_to)],
        update_conflicts=True,
        unique_fields=["tenant", "room", "user"],
        update_fields=["last_read_id"],
    )  # fmt: skip


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError(_("Write a message first."))
    if len(text) > MAX_TEXT:
        raise ValueError(_("A message may be at most %(n)s characters.") % {"n": MAX_TEXT})
    return text


def _mentionable(room: TeamRoom, users: list[User]) -> list[int]:
    """Anyone in the workspace channel; in a direct room, its two members only."""
    if room.kind == TeamRoom.DIRECT:
        inside = set(room.members.values_list("user_id", flat=True))
        outside = [u.display_name for u in users if u.pk not in inside]
        if outside:
            raise ValueError(
                _("%(names)s is not in this conversation; a mention would not reach them.")
                % {"names": ", ".join(outside)}
            )
    return [u.pk for u in users]


def message_post(*, actor: Membership, room: TeamRoom | int, text: str) -> TeamMessage:
    """A message in a room the actor is in; those it @mentions are notified."""
    text = _clean(text)
    with transaction.atomic():
        found = _room(actor, room)
        mentioned = _mentionable(found, mentions.in_text(text))
        now = timezone.now()
        message = TeamMessage.objects.create(
            room=found, author=actor.user, text=text, created_at=now,
            meta={"mentions": mentioned} if mentioned else {},
        )  # fmt: skip
        TeamRoom.objects.filter(pk=found.pk).update(last_message_at=now)
        mark_read(actor=actor, room=found, up_to=message.pk)
        _notify(actor, found, message, [i for i in mentioned if i != actor.user_id])
    return message


def _notify(actor: Membership, room: TeamRoom, message: TeamMessage, ids: list[int]) -> None:
    if not ids:
        return
    tenant = Tenant.objects.get(pk=require_tenant_id())
    url = reverse("team_room", args=[room.pk])
    for user in User.objects.filter(pk__in=ids):
        with translation.override(user.language or tenant.language):
            where = _("General") if room.kind == TeamRoom.WORKSPACE else _("a direct conversation")
            title = _("%(who)s mentioned you in the team chat (%(where)s): %(text)s") % {
                "who": actor.user.display_name,
                "where": where,
                "text": Truncator(message.text).chars(120),
            }
        notify(recipient=user, kind=Notification.MENTION, title=title, url=url)
