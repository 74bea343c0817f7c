"""Files and HTML that messages carry: kept in the default storage, HTML sanitised.

An incoming file larger than INBOX_MAX_FILE_BYTES fails its delivery (ValueError, with the
reason on the channel's page, retryable once the limit is raised): a file is never
silently dropped from a message.
"""

from __future__ import annotations

import mimetypes

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.text import get_valid_filename

from . import channels
from .channels import File
from .models import Attachment, Channel, Message


def sanitise(html: str) -> str:
    """HTML safe to show in the thread: nh3 keeps formatting and links, drops scripts,
    styles, event handlers and remote-content tricks."""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def safe_name(name: str, content_type: str = "") -> str:
    name = get_valid_filename((name or "").strip().replace("/", "_")[-120:]) or "file"
    if "." not in name and content_type:
        name += mimetypes.guess_extension(content_type) or ""
    return name


def check_size(name: str, size: int) -> None:
    limit = settings.INBOX_MAX_FILE_BYTES
    if size > limit:
        raise ValueError(
            f"the file {name!r} has {size} bytes, more than the limit of {limit} bytes"
        )


def attach(message: Message, files: tuple[File, ...], channel: Channel | None = None) -> None:
    """Store the message's files (downloading those that come by reference)."""
    for file in files:
        data = file.data
        if not data and file.ref and channel is not None:
            data = channels.get(channel.kind).fetch_file(channel, file.ref)
        check_size(file.name, len(data))
        name = safe_name(file.name, file.content_type)
        attachment = Attachment(
            message=message, name=name, content_type=file.content_type[:120], size=len(data)
        )
        attachment.file.save(name, ContentFile(data), save=False)
        attachment.save()


def read(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


def from_upload(upload) -> File:
    """An uploaded file (a reply's attachment) as a File to send and keep."""
    check_size(upload.name, upload.size)
    return File(
        name=safe_name(upload.name),
        content_type=upload.content_type or "application/octet-stream",
        data=upload.read(),
    )
