"""The security settings, as a deployment gets them: headers and cookies under the production
settings, the script policy of every template, session rotation, password rules, and
secrets that never sit in a database column in clear (docs/reliability.md)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from crm.accounts.models import ApiKey, User
from crm.tenancy.context import tenant_scope
from tests.conftest import login, make_user, make_workspace

ROOT = Path(__file__).resolve().parent.parent.parent

# The environment docker-compose.yml gives every container (CRM_ENV=production and the
# secrets it requires), with SECURE_SSL_REDIRECT at the image's own default (true).
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "crm.settings",
    "CRM_ENV": "production",
    "SECRET_KEY": "x" * 30 + "-production-secret-key-0123456789-abcdefgh",
    "ALLOWED_HOSTS": "localhost,crm.example.com",
}

# In a child process: the production settings, and the login page as a browser over https
# gets it (no database query: an anonymous GET of the form). The image runs collectstatic
# for the hashed names of its static files; this checkout has none, so plain names here.
_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
storages = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
override_settings(STORAGES=storages).enable()
response = Client().get("/accounts/login/", secure=True, HTTP_HOST="crm.example.com")
plain = Client().get("/accounts/login/", HTTP_HOST="crm.example.com")
cookie = response.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "status": response.status_code,
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "headers": dict(response.headers),
    "csrf_cookie_secure": bool(cookie and cookie["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "csrf_cookie_secure_setting": settings.CSRF_COOKIE_SECURE,
    "debug": settings.DEBUG,
}))
"""


def _production(script: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(PRODUCTION_ENV)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production_page():
    return _production(_PROBE)


def test_production_pages_carry_hsts_csp_frame_and_referrer_headers(production_page):
    assert production_page["status"] == 200
    headers = production_page["headers"]
    hsts = headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = dict(
        part.strip().split(" ", 1)
        for part in headers["Content-Security-Policy"].split(";")
        if part.strip()
    )
    # Scripts: our origin and the per-response nonce only; no inline, eval or other host.
    scripts = csp["script-src"].split()
    assert scripts[0] == "'self'" and all(s.startswith("'nonce-") for s in scripts[1:])
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert "http" not in headers["Content-Security-Policy"]
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"


def test_production_cookies_are_secure_and_plain_http_is_redirected(production_page):
    assert production_page["csrf_cookie_secure"] and production_page["csrf_cookie_secure_setting"]
    assert production_page["session_cookie_secure"] and production_page["session_cookie_httponly"]
    assert production_page["debug"] is False
    assert production_page["plain_status"] == 301
    assert production_page["plain_location"].startswith("https://")


def test_development_pages_carry_the_same_csp_frame_and_referrer_headers(client, db):
    response = client.get(reverse("login"))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def _templates() -> list[Path]:
    found = []
    for base in [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("*/*/templates")]:
        if ".venv" in base.parts or "node_modules" in base.parts:
            continue
        found.extend(base.rglob("*.html"))
    return found


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def test_every_script_is_ours_from_static_files_or_carries_the_nonce():
    """The CSP refuses anything else, so a page that broke this rule would be broken; and
    nothing is loaded from a CDN."""
    templates = _templates()
    assert len(templates) > 50
    offenders = []
    for path in templates:
        text = path.read_text()
        for match in SCRIPT_TAG.finditer(text):
            attrs = match.group(1)
            if 'type="application/json"' in attrs:
                continue  # data for our scripts, never run
            if "src=" in attrs:
                if not re.search(r"""src=["']\{% static """, attrs):
                    offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
            elif "nonce=" not in attrs:
                offenders.append(f"{path.relative_to(ROOT)}: inline {match.group(0)}")
        if "/email/" not in str(path) and INLINE_HANDLER.search(text):
            offenders.append(f"{path.relative_to(ROOT)}: an inline on...= handler")
        for url in re.findall(r"""(?:src|href)=["']((?:https?:)?//[^"']+)""", text):
            if not url.startswith(("https://www.w3.org",)):
                offenders.append(f"{path.relative_to(ROOT)}: loads {url}")
    assert not offenders, "\n".join(offenders)


def test_every_app_package_is_copied_into_the_image():
    """The image builds from the packages pyproject names; one missing from the Dockerfile
    would start without it."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[([^\]]*)\]", pyproject).group(1)
    for name in re.findall(r'"(\w+)\*"', packages):
        assert re.search(rf"^COPY {name} \./{name}$", dockerfile, re.MULTILINE), name


# --- sessions ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_logging_in_gives_a_new_session_key(client):
    make_workspace("Mine", owner=make_user(email="rotate@example.com"))
    client.get(reverse("login"))
    session = client.session
    session["seen"] = True  # an anonymous session the visitor (or someone else) holds
    session.save()
    before = client.session.session_key
    response = client.post(
        reverse("login"), {"username": "rotate@example.com", "password": "a-Strong-pass-42"}
    )
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after and after != before
    # The old key opens nothing.
    client.cookies["sessionid"] = before
    assert client.get(reverse("tasks")).status_code == 302


@pytest.mark.django_db
def test_switching_workspace_gives_a_new_session_key(client, workspace):
    _tenant, owner = workspace
    second, _ = make_workspace("Second shop", owner=owner.user)
    login(client, owner)
    before = client.session.session_key
    client.post(reverse("workspace_switch"), {"tenant": second.pk})
    after = client.cookies["sessionid"].value
    assert after != before
    assert client.get(reverse("tasks")).context["current_tenant"].pk == second.pk
    # The key from before the switch no longer opens either workspace.
    client.cookies["sessionid"] = before
    assert client.get(reverse("tasks")).status_code == 302


@pytest.mark.django_db
def test_a_refused_switch_keeps_the_session(client, workspace, other_workspace):
    login(client, workspace[1])
    before = client.session.session_key
    client.post(reverse("workspace_switch"), {"tenant": other_workspace[0].pk})
    assert client.cookies["sessionid"].value == before


@pytest.mark.django_db
def test_creating_a_workspace_gives_a_new_session_key(client, workspace):
    login(client, workspace[1])
    before = client.session.session_key
    client.post(reverse("workspace_new"), {"name": "Third shop"})
    assert client.cookies["sessionid"].value != before


# --- passwords ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "12345678901234", "weakling@example.com"],
    ids=["too-short", "common", "numeric", "like-the-email"],
)
def test_signup_refuses_weak_passwords(client, password):
    response = client.post(
        reverse("signup"),
        {"email": "weakling@example.com", "password": password, "first_name": "Weak",
         "workspace_name": "Weak Co"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors.get("password")
    assert not User.objects.filter(email="weakling@example.com").exists()


# --- secrets at rest ---------------------------------------------------------------------


def _raw_row(table: str, pk: int, tenant) -> str:
    """The row as PostgreSQL holds it (every column as text), read past the ORM."""
    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_api_keys_are_stored_hashed_and_shown_once(client, workspace):
    tenant, owner = workspace
    login(client, owner)
    page = client.post(reverse("api_keys"), {"name": "Website"}).content.decode()
    raw = re.search(rf"crm_{tenant.pk}_[A-Za-z0-9_\-]+", page).group(0)
    with tenant_scope(tenant):
        key = ApiKey.objects.get(name="Website")
    assert raw not in _raw_row("accounts_apikey", key.pk, tenant)
    assert raw not in client.get(reverse("api_keys")).content.decode()  # shown that once


@pytest.mark.django_db
def test_channel_secrets_are_encrypted_in_their_column(workspace):
    from integrations import services as inbox

    tenant, owner = workspace
    secret = "pbx-signing-secret-0123456789"
    with tenant_scope(tenant, owner.user):
        channel = inbox.channel_create(
            actor=owner, kind="pbx", name="Office PBX", raw_settings={"signing_secret": secret},
            connect=False,
        )  # fmt: skip
        assert channel.secrets["signing_secret"] == secret
    assert secret not in _raw_row("integrations_channel", channel.pk, tenant)


@pytest.mark.django_db
def test_payment_provider_secrets_are_encrypted_in_their_column(workspace):
    from invoices import flows

    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        found = flows.provider_settings_save(
            actor=owner, stripe_secret="whsec_stripe_0123456789", razorpay_secret="rzp_0123456789"
        )
    row = _raw_row("invoices_providersettings", found.pk, tenant)
    assert "whsec_stripe_0123456789" not in row and "rzp_0123456789" not in row


@pytest.mark.django_db
def test_outgoing_webhook_secrets_are_encrypted_in_their_column(workspace, settings):
    from automation.webhooks import services as hooks

    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        endpoint, secret = hooks.endpoint_create(
            actor=owner, url="https://hooks.example.com/in", events=["deal.created"]
        )
    assert secret.startswith("whsec_")
    row = _raw_row("automation_webhookendpoint", endpoint.pk, tenant)
    assert secret not in row and secret.removeprefix("whsec_") not in row
