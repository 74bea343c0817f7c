"""The SSRF guard: inside addresses are refused before any connection opens (the connection
layer is made to fail the test if it is ever reached), the checked address is the one
connected to, no redirect is followed, the answer is capped."""

from __future__ import annotations

import socket

import pytest
import urllib3

from automation.models import WebhookDelivery
from automation.webhooks import services, ssrf
from crm.tenancy.context import tenant_scope
from deals import services as deal_services

from .webhook_receiver import Receiver

INSIDE = [
    "http://127.0.0.1:8000/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",  # multicast
    "http://240.0.0.1/hook",  # reserved
    "http://[fe80::1]/hook",  # link-local
    "http://[fd00:ec2::254]/hook",  # the metadata service over IPv6
]


@pytest.fixture
def no_connections(monkeypatch):
    """Any connection attempt fails the test: a refused address must never be reached."""

    def refuse(*args, **kwargs):
        raise AssertionError("a connection was opened")

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "connect", refuse)
    monkeypatch.setattr(urllib3.connection.HTTPSConnection, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def no_allow_list(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    settings.WEBHOOK_ALLOWED_HOSTS = []


@pytest.mark.parametrize("url", INSIDE)
def test_inside_addresses_are_refused_before_a_connection(url, no_allow_list, no_connections):
    with pytest.raises(ssrf.Refused, match="inside a private network"):
        ssrf.post(url, b"{}", {})


def test_the_metadata_service_is_refused_even_when_its_network_is_allowed(settings, no_connections):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["169.254.0.0/16"]
    with pytest.raises(ssrf.Refused):
        ssrf.post("http://169.254.169.254/latest/meta-data/", b"{}", {})


def test_a_name_with_one_inside_address_among_public_ones_is_refused(
    monkeypatch, no_allow_list, no_connections
):
    answers = [("93.184.216.34", 443), ("10.1.2.3", 443)]
    monkeypatch.setattr(
        socket, "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", sa) for sa in answers],
    )  # fmt: skip
    with pytest.raises(ssrf.Refused, match=r"10\.1\.2\.3"):
        ssrf.post("https://hooks.example.test/x", b"{}", {})


def test_only_https_unless_plain_http_is_allowed(settings, no_connections):
    settings.WEBHOOK_ALLOW_HTTP = False
    for url in ("http://93.184.216.34/x", "ftp://93.184.216.34/x", "file:///etc/passwd"):
        with pytest.raises(ssrf.Refused, match="https"):
            ssrf.post(url, b"{}", {})
    with pytest.raises(ssrf.Refused, match="user name"):
        ssrf.post("https://user:pw@93.184.216.34/x", b"{}", {})


def test_the_allow_list_lets_a_loopback_receiver_in():
    with Receiver(204) as receiver:
        answer = ssrf.post(receiver.url, b'{"a": 1}', {"Content-Type": "application/json"})
    assert answer.status == 204 and receiver.received[0].body == b'{"a": 1}'


def test_the_checked_address_is_the_one_connected_to(monkeypatch, settings):
    """A name is resolved once: a rebinding DNS that answers an inside address the second
    time is never asked again. The name still goes in the Host header."""
    settings.WEBHOOK_ALLOWED_HOSTS = []
    lookups = []
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        lookups.append(host)
        if host == "hooks.example.test":
            address = "127.0.0.1" if len(lookups) == 1 else "10.9.9.9"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with Receiver(200) as receiver:
        port = receiver.server.server_address[1]
        answer = ssrf.post(f"http://hooks.example.test:{port}/in", b"{}", {})
    assert answer.status == 200
    assert lookups.count("hooks.example.test") == 1
    assert receiver.received[0].headers["Host"] == f"hooks.example.test:{port}"


def test_no_redirect_is_followed():
    with Receiver(302, headers={"Location": "http://169.254.169.254/"}) as receiver:
        answer = ssrf.post(receiver.url, b"{}", {})
    assert answer.status == 302 and len(receiver.received) == 1


def test_the_answer_is_capped(settings):
    settings.WEBHOOK_MAX_RESPONSE_BYTES = 1000
    with Receiver(200, body=b"x" * 2_000_000) as receiver:
        answer = ssrf.post(receiver.url, b"{}", {})
    assert answer.status == 200 and len(answer.excerpt) == 1000


@pytest.mark.django_db
def test_an_endpoint_on_an_inside_address_cannot_be_added(workspace, no_allow_list):
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        for url in ("http://127.0.0.1:8000/hook", "http://169.254.169.254/"):
            with pytest.raises(services.ValidationError) as caught:
                services.endpoint_create(actor=admin, url=url, events=["deal.*"])
            assert "url" in caught.value.message_dict


@pytest.mark.django_db
def test_a_delivery_to_an_address_refused_later_fails_without_a_connection(
    workspace, settings, django_capture_on_commit_callbacks, no_connections
):
    """Added while its address was allowed, sent after it was not: the delivery fails with
    the reason, and no packet leaves."""
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        services.endpoint_create(actor=admin, url="http://127.0.0.1:9/hook", events=["deal.*"])
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with tenant_scope(tenant, admin.user), django_capture_on_commit_callbacks(execute=True):
        deal_services.deal_create(actor=admin, data={"title": "Deal", "amount": 1})
    with tenant_scope(tenant):
        [row] = WebhookDelivery.objects.all()
    assert row.status == "failed" and "private network" in row.error
    assert row.response_code is None


@pytest.mark.django_db
def test_a_name_is_resolved_when_sent_not_when_saved(workspace, monkeypatch):
    """Saving asks no DNS (an endpoint may be set up before its name exists); each delivery
    resolves it, and a name that does not resolve fails the attempt with the reason."""
    lookups = []

    def unknown(host, *args, **kwargs):
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    tenant, admin = workspace
    with tenant_scope(tenant, admin.user):
        services.endpoint_create(
            actor=admin, url="https://hooks.example.test/in", events=["deal.*"]
        )
    assert lookups == []
    with pytest.raises(ssrf.Refused, match="could not be resolved"):
        ssrf.post("https://hooks.example.test/in", b"{}", {})
    assert lookups == ["hooks.example.test"]
