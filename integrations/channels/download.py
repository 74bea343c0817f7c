"""Downloading an incoming file from a channel's far end, within the inbox's size limit.

The body is streamed and given up on as soon as it passes INBOX_MAX_FILE_BYTES, so a
30 MB video is never held in memory only to be refused; the delivery then fails with the
reason (retryable once the limit is raised), as `files.check_size` would fail it.
"""

from __future__ import annotations

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from . import ChannelError

CHUNK = 64 * 1024


def fetch(url: str, *, service: str, headers: dict | None = None, name: str = "file") -> bytes:
    """The bytes at `url`; ChannelError if it cannot be had (the text never carries the
    URL: some carry a token), ValueError if it is larger than the limit."""
    limit = settings.INBOX_MAX_FILE_BYTES
    try:
        with requests.get(
            url, headers=headers or {}, stream=True, timeout=settings.INTEGRATIONS_HTTP_TIMEOUT
        ) as response:
            if response.status_code != 200:
                raise ChannelError(
                    _("%(service)s did not give the file (%(status)s).")
                    % {"service": service, "status": response.status_code}
                )
            data = bytearray()
            for chunk in response.iter_content(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise ValueError(f"the file {name!r} has more than the limit of {limit} bytes")
            return bytes(data)
    except requests.RequestException as exc:
        raise ChannelError(
            _("%(service)s could not be reached (%(error)s).")
            % {"service": service, "error": type(exc).__name__}
        ) from None
