"""What the public endpoints on the workspace's site share (public_views.py): which sites may
call them (CORS), how often one address may (a Redis counter), and the signed tokens that
name a visitor or, in a tracked link, a client.

Tokens are signed with SECRET_KEY (django.core.signing) under a purpose of their own and
carry the workspace's id: a token of one workspace names nothing in another, and a forged
or altered one is refused.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from crm.web import ratelimit

VISITOR_SALT = "integrations.site.visitor"
LINK_SALT = "integrations.site.link"
LINK_PARAMETER = "crm_t"


# --- sites allowed to call ----------------------------------------------------------------


def clean_origins(raw) -> list[str]:
    """`scheme://host[:port]` per line (or a list), as browsers send `Origin`; ValueError
    naming the first that is not one."""
    items = raw if isinstance(raw, list | tuple) else str(raw or "").replace(",", "\n").split()
    origins = []
    for item in (str(i).strip().rstrip("/") for i in items):
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError(
                _("“%(value)s” is not a site address such as https://example.com.")
                % {"value": item[:100]}
            )
        origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return list(dict.fromkeys(origins))[:50]


def origin_allowed(request, allowed: list[str]) -> bool:
    """Whether the calling page's site may call: any when the list is empty; a request
    without `Origin` (not from a browser's page) is not a cross-site one."""
    origin = request.headers.get("Origin")
    return not origin or not allowed or origin.lower() in allowed


def with_cors(response, request, allowed: list[str], methods: str = "GET, POST, OPTIONS"):
    origin = request.headers.get("Origin")
    if origin and origin_allowed(request, allowed):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = methods
        response["Access-Control-Allow-Headers"] = "Content-Type, X-CRM-Visitor"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


# --- how often -----------------------------------------------------------------------------


def client_ip(request) -> str:
    return ratelimit.client_ip(request)


def over_limit(scope: str, key, per_minute: int) -> bool:
    """Count one call of `scope` by `key` in this minute (in Redis, shared by every web
    worker); whether it is more than `per_minute`."""
    return ratelimit.over_limit(f"site:{scope}", key, per_minute)


def rate(name: str) -> int:
    return int(settings.SITE_RATE_LIMITS[name])


# --- visitors -----------------------------------------------------------------------------


def new_visitor_key() -> str:
    return secrets.token_urlsafe(24)


def visitor_token(tenant_id: int, key: str) -> str:
    return signing.dumps([tenant_id, key], salt=VISITOR_SALT)


def visitor_key(token: str, tenant_id: int) -> str | None:
    """The visitor's key if `token` was signed by us for this workspace, else None."""
    try:
        found_tenant, key = signing.loads(token or "", salt=VISITOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if found_tenant != tenant_id or not isinstance(key, str) or not 16 <= len(key) <= 64:
        return None
    return key


# --- tracked links ------------------------------------------------------------------------


def link_token(contact) -> str:
    """The `crm_t` value of a link sent to a client (an email's): a visit through it names
    the client to the site script."""
    return signing.TimestampSigner(salt=LINK_SALT).sign_object([contact.tenant_id, contact.pk])


def tracked_url(url: str, contact) -> str:
    """`url` with the client's `crm_t` parameter added."""
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return parts._replace(query=f"{query}{LINK_PARAMETER}={link_token(contact)}").geturl()


def linked_contact_id(token: str, tenant_id: int) -> int | None:
    """The client a tracked link's token names, if it is ours, of this workspace, and not
    older than SITE_LINK_MAX_AGE."""
    try:
        found_tenant, contact_id = signing.TimestampSigner(salt=LINK_SALT).unsign_object(
            token or "", max_age=settings.SITE_LINK_MAX_AGE
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if found_tenant != tenant_id or not isinstance(contact_id, int):
        return None
    return contact_id
