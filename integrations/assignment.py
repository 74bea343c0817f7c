"""Who gets a channel's new conversations: the channel's `AssignmentRule` (Settings →
Channels), applied as a conversation is opened by ingestion.

- none: it waits in Unassigned for whoever takes it;
- round robin: the members of the rule's department (or every member who works in the
  inbox) in turn, by user id, after the one who got the last;
- least loaded: the one with the fewest conversations not closed (ties: the next in turn).

Members at the rule's limit of open conversations are skipped; with nobody available the
conversation stays unassigned. The rule's row is locked while one is handed out, so two
conversations arriving at once on a channel take two turns, never one.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from crm.accounts.models import Department, Membership
from crm.activity.events import emit

from . import ingest, selectors
from .models import AssignmentRule, Channel, Conversation, Message
from .services import require_admin


def candidates(rule: AssignmentRule) -> list[int]:
    """User ids of the active members the rule hands out to, in turn order."""
    members = Membership.objects.filter(is_active=True).select_related("role")
    if rule.department_id:
        members = members.filter(department_id=rule.department_id)
    return sorted(m.user_id for m in members if m.can(selectors.OBJECT_TYPE, "edit"))


def open_load(user_ids) -> dict[int, int]:
    """{user id: conversations assigned to them and not closed}."""
    rows = (
        Conversation.objects.filter(assignee_id__in=list(user_ids))
        .exclude(status=Conversation.CLOSED)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return dict(rows)


def pick(channel_id: int) -> int | None:
    """The user id the channel's rule gives its next conversation to, or None; moves the
    queue's turn. Runs inside a transaction (the rule's row stays locked till its end)."""
    rule = AssignmentRule.objects.select_for_update().filter(channel_id=channel_id).first()
    if rule is None or rule.mode == AssignmentRule.NONE:
        return None
    people = candidates(rule)
    load = open_load(people)
    free = [u for u in people if not rule.limit or load.get(u, 0) < rule.limit]
    if not free:
        return None
    last = rule.last_assignee_id or 0
    if rule.mode == AssignmentRule.ROUND_ROBIN:
        chosen = next((u for u in free if u > last), free[0])
    else:
        # Fewest open first; among equals, the next in turn after the last one.
        chosen = min(free, key=lambda u: (load.get(u, 0), u <= last, u))
    rule.last_assignee_id = chosen
    rule.save(update_fields=["last_assignee"])
    return chosen


def assign_new(conversation: Conversation, message: Message, inbound) -> None:
    """After an incoming entry is stored: a conversation it has just opened, with nobody
    assigned, goes to whom the channel's rule says. Emits conversation.assigned."""
    if conversation.assignee_id is not None or conversation.is_spam:
        return
    # A message before this one (a poll stores a chunk's messages before this runs).
    if Message.objects.filter(conversation_id=conversation.pk, pk__lt=message.pk).exists():
        return  # not new: an unassigned conversation the team has not taken yet
    user_id = pick(conversation.channel_id)
    if user_id is None:
        return
    Conversation.objects.filter(pk=conversation.pk).update(assignee_id=user_id)
    conversation.assignee_id = user_id
    emit("conversation.assigned", actor=None, subject=conversation,
         data={"assignee": user_id, "previous": None})  # fmt: skip


def _assign_new_many(entries) -> None:
    """`assign_new` for a batch of (conversation, message, inbound): one query tells which
    channels hand out at all; only their conversations are looked at one by one."""
    channel_ids = {conversation.channel_id for conversation, _m, _i in entries}
    handing_out = set(
        AssignmentRule.objects.filter(channel_id__in=channel_ids)
        .exclude(mode=AssignmentRule.NONE)
        .values_list("channel_id", flat=True)
    )
    for entry in entries:
        if entry[0].channel_id in handing_out:
            assign_new(*entry)


assign_new.many = _assign_new_many


def register() -> None:
    for kind, _label in Message.KINDS:
        ingest.after_store(kind)(assign_new)


def rules_for(channels) -> dict[int, AssignmentRule]:
    """{channel id: its rule} (unsaved default rules for channels without one)."""
    found = {r.channel_id: r for r in AssignmentRule.objects.filter(channel__in=channels)}
    return {c.pk: found.get(c.pk) or AssignmentRule(channel=c) for c in channels}


@transaction.atomic
def rule_save(
    *, actor: Membership, channel: Channel, mode: str, department: Department | None, limit: int
) -> AssignmentRule:
    """Set the channel's assignment rule (admins). ValueError for a mode or a limit that
    cannot be."""
    require_admin(actor)
    if mode not in dict(AssignmentRule.MODES):
        raise ValueError(_("Unknown assignment mode: %(mode)s") % {"mode": mode})
    if limit is None or limit < 0 or limit > 10_000:
        raise ValueError(_("The limit is a number from 0 (no limit) to 10000."))
    rule, _created = AssignmentRule.objects.select_for_update().get_or_create(channel=channel)
    rule.mode, rule.department, rule.limit = mode, department, limit
    rule.save(update_fields=["mode", "department", "limit"])
    return rule
