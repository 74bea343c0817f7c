"""Posting to a URL an admin typed, without letting it reach inside our network (SSRF).

The host is resolved once; if any of its addresses is private, loopback, link-local
(169.254.169.254, the cloud metadata service, among them), multicast, reserved or otherwise
not public, the request is refused before a socket opens. The connection then goes to the
address that was checked (no second lookup that a rebinding DNS could answer differently),
with the name kept for the Host header and for TLS (SNI and certificate check). No redirect
is followed, the whole exchange has a deadline, and only the start of the answer is read.

When an endpoint is saved, only what needs no DNS is checked (`check_url`): an address
written out, a scheme, credentials. Names are resolved when a delivery is sent, each time,
which is where the guard holds.

`settings.WEBHOOK_ALLOWED_NETWORKS` (CIDRs) and `WEBHOOK_ALLOWED_HOSTS` (names) open chosen
addresses: a receiver on loopback in tests and local trials.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

# Addresses refused even when they look public to `ipaddress` (metadata services).
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class Refused(Exception):
    """The URL may not be called: a bad scheme, a host that does not resolve, or an address
    inside the network. The message says which, for the person who typed it."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as typed, for Host and TLS
    port: int
    path: str
    address: str  # the checked address the connection goes to


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str  # the first MAX_BODY bytes, as text


def _networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_ALLOWED_NETWORKS]


def address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA:
        return False  # whatever the allow-list says
    if any(ip in network for network in _networks()):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of `url` if it may be called, as far as can be told without
    asking DNS (when it is saved): the scheme, a host, no credentials, and a host that is not
    an inside address written out ("127.0.0.1", "[::1]", "localhost"). Raises Refused."""
    try:
        parts = urllib3.util.parse_url(url)
    except ValueError:
        raise Refused(_("This is not a valid URL.")) from None
    scheme = (parts.scheme or "").lower()
    allowed_schemes = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if scheme not in allowed_schemes:
        raise Refused(_("The URL must start with https://."))
    if not parts.host:
        raise Refused(_("The URL has no host."))
    if parts.auth:
        raise Refused(_("The URL may not carry a user name or password."))
    host = parts.host.strip("[]").rstrip(".").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    if host not in settings.WEBHOOK_ALLOWED_HOSTS:
        try:
            literal = str(ipaddress.ip_address(host))
        except ValueError:
            literal = None
        if host == "localhost" or host.endswith(".localhost"):
            literal = "127.0.0.1"
        if literal is not None and not address_allowed(literal):
            raise _inside(host, literal)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port, path


def _inside(host: str, address: str) -> Refused:
    return Refused(
        _("%(host)s resolves to %(address)s, an address inside a private network.")
        % {"host": host, "address": address}
    )


def target(url: str) -> Target:
    """Check and resolve `url` (once), or raise Refused."""
    scheme, host, port, path = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(_("The host %(host)s could not be resolved.") % {"host": host}) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused(_("The host %(host)s could not be resolved.") % {"host": host})
    if host not in settings.WEBHOOK_ALLOWED_HOSTS:
        # One inside address is enough to refuse: a name that resolves both ways is a trap.
        refused = [a for a in addresses if not address_allowed(a)]
        if refused:
            raise _inside(host, refused[0])
    return Target(scheme, host, port, path, addresses[0])


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` through the guard. Raises Refused, or urllib3's errors for a
    timeout or a failed connection; any HTTP answer (redirects included) is returned."""
    to = target(url)
    timeout = settings.WEBHOOK_TIMEOUT
    deadline = time.monotonic() + timeout
    # Connecting and waiting for the answer share one budget; reading it, the same deadline.
    options = {"timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1,
               "block": False}  # fmt: skip
    if to.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            to.address, to.port, server_hostname=to.host, assert_hostname=to.host,
            cert_reqs="CERT_REQUIRED", **options,
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(to.address, to.port, **options)
    default_port = 443 if to.scheme == "https" else 80
    host_header = to.host if ":" not in to.host else f"[{to.host}]"
    if to.port != default_port:
        host_header = f"{host_header}:{to.port}"
    try:
        response = pool.urlopen(
            "POST", to.path, body=body, headers={**headers, "Host": host_header},
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
        )  # fmt: skip
        try:
            excerpt = _read_capped(response, deadline)
        finally:
            response.release_conn()
            response.close()
        return Answer(response.status, excerpt)
    finally:
        pool.close()


def _read_capped(response, deadline: float) -> str:
    """The first MAX_BODY bytes, read in chunks until the deadline: a receiver that drips
    its answer slowly cannot hold a worker past the timeout."""
    cap, chunks, size = settings.WEBHOOK_MAX_RESPONSE_BYTES, [], 0
    while size < cap:
        if time.monotonic() > deadline:
            raise urllib3.exceptions.ReadTimeoutError(None, None, "the answer took too long")
        chunk = response.read(min(4096, cap - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks).decode("utf-8", "replace")
