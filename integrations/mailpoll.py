"""Polling the email channels' IMAP folders: beat runs `poll_all` every minute in every
workspace (tasks.poll_mail, on the "ingest" queue).

Per folder a `MailboxState` row keeps the folder's UIDVALIDITY and the last UID taken in.
Mail is fetched in chunks with BODY.PEEK[] from a folder opened read-only (EXAMINE), so
nothing is marked seen. Each chunk is one transaction: the state row is locked with SKIP
LOCKED (a second poll of the same folder skips it instead of fetching the same mail), the
chunk's mails are stored as raw deliveries (one INSERT, a mail already stored is skipped by
the unique constraint on its Message-ID), ingested together (`ingest.process_many`: a few
statements per chunk, not per mail; a mail that cannot be read becomes a failed delivery,
shown and retryable), and the last UID moves on.
A worker killed mid-chunk rolls the chunk back: the next poll takes it again.

After downtime the poll simply continues from the last UID. A changed UIDVALIDITY (the
folder was rebuilt) starts from UID 1 again; the Message-ID keys keep that from storing
anything twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import autoreply, ingest
from .channels import ChannelError
from .channels import email as email_channel
from .models import Channel, MailboxState, RawDelivery

log = logging.getLogger(__name__)

CHUNK = 200  # mails per fetch and per transaction
STUCK = timedelta(minutes=5)  # a stored delivery not ingested after this is taken up again


def poll_all() -> int:
    """Poll every connected email channel of the current workspace, one after the other;
    how many new messages came in."""
    total = 0
    for channel in Channel.objects.filter(kind="email").exclude(status=Channel.PENDING):
        total += poll_channel(channel)
    return total


def poll_channel(channel: Channel) -> int:
    """Fetch the channel's new mail from each folder; record on the channel whether the
    server could be reached (status and last error)."""
    count = _ingest_stuck(channel)
    try:
        client = email_channel.imap_login(channel)
    except ChannelError as exc:
        _record(channel, str(exc))
        return count
    try:
        for folder in email_channel.folders(channel.settings.get("folders", "INBOX")):
            count += _poll_folder(channel, client, folder)
    except ChannelError as exc:
        _record(channel, str(exc))
        return count
    finally:
        email_channel._logout(client)
    _record(channel, "")
    return count


def _record(channel: Channel, error: str) -> None:
    status = Channel.ERROR if error else Channel.ACTIVE
    if (channel.status, channel.last_error) != (status, error[:2000]):
        channel.status, channel.last_error = status, error[:2000]
        Channel.objects.filter(pk=channel.pk).update(status=status, last_error=channel.last_error)


def _state(channel: Channel, folder: str) -> MailboxState | None:
    """The folder's state row, locked; None while another poll holds it."""
    MailboxState.objects.get_or_create(channel=channel, folder=folder)
    return (
        MailboxState.objects.select_for_update(skip_locked=True)
        .filter(channel=channel, folder=folder)
        .first()
    )


def _poll_folder(channel: Channel, client, folder: str) -> int:
    from imapclient.exceptions import IMAPClientError

    try:
        selected = client.select_folder(folder, readonly=True)
    except (IMAPClientError, OSError) as exc:
        raise ChannelError(f"IMAP folder {folder}: {email_channel._reason(exc)}") from None
    uidvalidity = int(selected.get(b"UIDVALIDITY") or 0)
    with transaction.atomic():
        state = _state(channel, folder)
        if state is None:
            return 0  # another poll is at it
        if state.uidvalidity != uidvalidity:
            # The folder was rebuilt: its UIDs mean nothing now. Start again from the first
            # one; the Message-ID keys keep what is already in from coming in twice.
            if state.uidvalidity:
                log.info("channel %s folder %s: UIDVALIDITY %s -> %s, resyncing", channel.pk,
                         folder, state.uidvalidity, uidvalidity)  # fmt: skip
            state.uidvalidity, state.last_uid = uidvalidity, 0
            state.save(update_fields=["uidvalidity", "last_uid"])
        start = state.last_uid + 1
    try:
        # "n:*" always names the highest UID, even below n: keep only the new ones.
        uids = sorted(u for u in client.search(["UID", f"{start}:*"]) if u >= start)
    except (IMAPClientError, OSError) as exc:
        raise ChannelError(f"IMAP folder {folder}: {email_channel._reason(exc)}") from None
    count = 0
    for i in range(0, len(uids), CHUNK):
        taken = _take(channel, client, folder, uidvalidity, uids[i : i + CHUNK])
        if taken is None:
            break  # another poll took the folder over
        count += taken
    with transaction.atomic():
        MailboxState.objects.filter(channel=channel, folder=folder).update(polled_at=timezone.now())
    return count


def _take(channel, client, folder: str, uidvalidity: int, uids: list[int]) -> int | None:
    """One chunk in one transaction: fetch, store, ingest, move the last UID on; how many
    messages it made, or None if another poll holds the folder."""
    from imapclient.exceptions import IMAPClientError

    with transaction.atomic():
        state = _state(channel, folder)
        if state is None or state.uidvalidity != uidvalidity:
            return None
        uids = [u for u in uids if u > state.last_uid]
        if not uids:
            return 0
        try:
            fetched = client.fetch(uids, ["BODY.PEEK[]"])
        except (IMAPClientError, OSError) as exc:
            raise ChannelError(f"IMAP folder {folder}: {email_channel._reason(exc)}") from None
        payloads = [
            email_channel.payload_of(
                fetched[uid].get(b"BODY[]") or b"", folder=folder, uid=uid,
                uidvalidity=uidvalidity,
            )
            for uid in uids
            if uid in fetched
        ]  # fmt: skip
        keys = [p["key"] for p in payloads]
        RawDelivery.objects.bulk_create(
            [RawDelivery(channel=channel, external_id=p["key"], payload=p) for p in payloads],
            ignore_conflicts=True,
        )
        waiting = dict(
            RawDelivery.objects.filter(
                channel=channel, external_id__in=keys, status=RawDelivery.RECEIVED
            ).values_list("external_id", "pk")
        )
        with autoreply.batch(channel.pk):
            made = ingest.process_many([waiting[k] for k in dict.fromkeys(keys) if k in waiting])
        state.last_uid = max(uids)
        state.save(update_fields=["last_uid"])
    return made


def _ingest_stuck(channel: Channel) -> int:
    """Deliveries stored but never ingested (their worker died between the two): a poll
    takes them up, so nothing stays unseen."""
    stuck = RawDelivery.objects.filter(
        channel=channel, status=RawDelivery.RECEIVED, received_at__lt=timezone.now() - STUCK
    ).values_list("pk", flat=True)[:CHUNK]
    return ingest.process_many(list(stuck))
