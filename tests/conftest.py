"""Shared fixtures: workspaces and members made through the real services, API clients with
real keys, a real SMTP server on loopback and a real Celery worker on the test Redis."""

from __future__ import annotations

import itertools
import threading
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from crm.accounts import services
from crm.accounts.models import Membership, Role, User
from crm.tenancy.context import tenant_scope

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()  # throttle counters and cached sessions of one test never reach the next
    yield
    # A language a test switched to (a request in Mongolian) never reaches the next test.
    translation.deactivate()


def make_user(email=None, password="a-Strong-pass-42", **extra) -> User:
    n = next(_seq)
    return User.objects.create_user(
        email=email or f"user{n}-{uuid.uuid4().hex[:8]}@example.com",
        password=password,
        first_name=extra.pop("first_name", f"User{n}"),
        **extra,
    )


def make_workspace(name=None, owner=None):
    """A new workspace and its owner's (Admin) membership."""
    owner = owner or make_user()
    tenant = services.tenant_create(owner=owner, name=name or f"Company {next(_seq)}")
    with tenant_scope(tenant):
        return tenant, Membership.objects.select_related("role", "user", "tenant").get(user=owner)


def add_member(tenant, role_key="manager", user=None, department=None) -> Membership:
    user = user or make_user()
    with tenant_scope(tenant):
        role = Role.objects.get(key=role_key)
        membership = Membership.objects.create(user=user, role=role, department=department)
        return Membership.objects.select_related("role", "user", "tenant").get(pk=membership.pk)


def login(client, membership: Membership):
    """The Django test client, logged in as `membership` and in its workspace."""
    client.force_login(membership.user)
    session = client.session
    session["tenant_id"] = membership.tenant_id
    session.save()
    return client


def api_client(membership: Membership) -> APIClient:
    with tenant_scope(membership.tenant_id):
        _, raw = services.api_key_create(actor=membership, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def workspace(db):
    return make_workspace("Acme")


@pytest.fixture
def other_workspace(db):
    return make_workspace("Globex")


@pytest.fixture
def browser_client(client, workspace):
    """The Django test client, logged in as the owner of `workspace`."""
    _, owner = workspace
    client.force_login(owner.user)
    return client


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPInbox:
    """A real SMTP server on loopback; `messages` holds what arrived."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import email

                inbox.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=_free_port())

    def start(self):
        self.controller.start()
        return self.controller.port

    def stop(self):
        self.controller.stop()

    def bodies(self):
        return [
            m.get_payload(decode=True).decode()
            if not m.is_multipart()
            else m.get_payload(0).get_payload(decode=True).decode()
            for m in self.messages
        ]


@pytest.fixture
def smtp(settings):
    inbox = SMTPInbox()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": inbox.start(), "timeout": 5},
        }
    }
    yield inbox
    inbox.stop()


@pytest.fixture
def celery_worker_real(transactional_db):
    """A real Celery worker (thread) consuming from the test Redis; tasks leave eager mode."""
    from celery.contrib.testing.worker import start_worker

    from crm.celery import app

    app.conf.task_always_eager = False
    queues = ["default", *django_settings.CELERY_QUEUES_BY_KIND]
    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=queues
    ) as worker:
        yield worker
    app.conf.task_always_eager = True


def wait_for(predicate, timeout=10.0, interval=0.05):
    """Poll until `predicate()` is truthy (for work a real worker does in the background)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


__all__ = [
    "add_member",
    "api_client",
    "login",
    "make_user",
    "make_workspace",
    "threading",
    "wait_for",
]
