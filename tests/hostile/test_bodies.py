"""Hostile request bodies on every write of the API, walked from its OpenAPI schema: each
POST, PUT and PATCH with a JSON body, in a workspace with one record of every kind (the
isolation walk's FACTORIES), as its admin.

- a 50 MB body: 413 in the error shape, and the server reads none of it (a stream that
  counts what is read stands in for the socket);
- JSON nested 100,000 deep, invalid UTF-8, a NUL: 400 in the error shape;
- for every field the schema describes: a string one character past its maxLength, a
  number past its digits, and dates out of range (year 0, year 10000, 30 February 1900):
  400 naming the field; and the money fields (amounts, prices, quantities) below zero.

Nothing may answer 500, and each refusal must be in the one error shape.
"""

from __future__ import annotations

import io
import json
import re

import pytest
from django.test import Client

from crm.api.throttling import ApiKeyRateThrottle
from crm.api.urls import router
from crm.tenancy.context import tenant_scope
from tests.conftest import api_client, login, make_workspace
from tests.isolation.test_api_walk import FACTORIES

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
WRITES = ("post", "put", "patch")
# Money and counts that may not go below zero, by the name the API gives them.
NON_NEGATIVE = {"amount", "price", "quantity", "unit_price"}
BAD_DATES = ["0000-01-01", "10000-01-01", "1900-02-30"]


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _writes(schema: dict) -> list[tuple[str, str, dict]]:
    """(method, path, the JSON body's properties) of every write with a JSON body."""
    out = []
    for path, item in schema["paths"].items():
        for method in WRITES:
            operation = item.get(method)
            if not operation:
                continue
            content = (operation.get("requestBody") or {}).get("content") or {}
            body = content.get("application/json")
            if body is None:
                continue
            node = _resolve(schema, body.get("schema") or {})
            properties = {
                name: _resolve(schema, prop)
                for name, prop in (node.get("properties") or {}).items()
                if not _resolve(schema, prop).get("readOnly")
            }
            out.append((method, path, properties))
    return out


@pytest.fixture
def world(db, smtp, monkeypatch):
    """A workspace with a record of every kind; (the admin's API client, ids by prefix)."""
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1000000/min"})
    tenant, admin = make_workspace("Hostile bodies")
    ids = {}
    with tenant_scope(tenant, admin.user):
        made = {model: make(tenant, admin) for model, make in FACTORIES.items()}
    for prefix, viewset, _basename in router.registry:
        record = made.get(viewset.queryset.model)
        if record is not None:
            ids[prefix] = record.pk
    client = api_client(admin)
    client.raise_request_exception = False
    return client, ids


def _url(path: str, ids: dict) -> str | None:
    """The path with its record's id, or None when no record of that kind was made."""
    if "{" not in path:
        return path
    prefix = path.removeprefix("/api/v1/").split("/", 1)[0]
    if prefix not in ids:
        return None
    return re.sub(r"\{[^}]+\}", str(ids[prefix]), path, count=1) if path.count("{") == 1 else None


def _targets(schema, ids):
    for method, path, properties in _writes(schema):
        url = _url(path, ids)
        if url is not None:
            yield method, url, properties


def _send(client, method: str, url: str, body: bytes, **extra):
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == response.status_code, body
    return body["error"]


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes that exists only as it is read; counts what is read."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b" " * n
        self.read_bytes += n
        return n


def test_a_50_mb_body_is_refused_413_without_being_read(schema, world):
    client, ids = world
    seen = []
    for method, url, _properties in _targets(schema, ids):
        stream = CountingStream(50 * MB)
        response = getattr(client, method)(
            url, b"", content_type="application/json",
            **{"wsgi.input": stream, "CONTENT_LENGTH": str(50 * MB)},
        )  # fmt: skip
        seen.append(url)
        assert response.status_code == 413, (method, url, response.status_code)
        error = _error(response)
        assert error["code"] == "too_large" and "MB" in error["message"], error
        assert stream.read_bytes == 0, (method, url, stream.read_bytes)
    assert len(seen) > 40, len(seen)  # the schema was read, and lists the whole API


UNREADABLE = {
    "nested-arrays": b"[" * 100_000 + b"]" * 100_000,
    "nested-objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "invalid-utf8": b'{"name": "\xff\xfe\xc3\x28"}',
    "nul": b'{"name": "a\\u0000b", "title": "a\\u0000b", "first_name": "a\\u0000b"}',
    "truncated": b'{"name": "',
}


def test_bodies_that_cannot_be_read_are_a_400(schema, world):
    client, ids = world
    failures = []
    for method, url, _properties in _targets(schema, ids):
        for name, body in UNREADABLE.items():
            response = _send(client, method, url, body)
            if response.status_code != 400:
                failures.append((method, url, name, response.status_code))
                continue
            _error(response)
    assert not failures, failures


def _field_cases(properties: dict):
    """(field, value, why) for each field the schema bounds."""
    for field, prop in properties.items():
        kind, fmt = prop.get("type"), prop.get("format")
        if kind == "string" and prop.get("maxLength") and not prop.get("enum"):
            yield field, "x" * (prop["maxLength"] + 1), "overlong"
        if fmt == "decimal" or (
            kind == "string" and "pattern" in prop and "\\d" in prop["pattern"]
        ):
            yield field, "1" + "0" * 30, "huge"
            if field in NON_NEGATIVE:
                yield field, "-1", "negative"
        if kind in ("number", "integer") and field in NON_NEGATIVE:
            yield field, -1, "negative"
        if fmt == "date":
            for value in BAD_DATES:
                yield field, value, "date"
        if fmt == "date-time":
            for value in BAD_DATES:
                yield field, f"{value}T10:00:00Z", "date"


# Operations that store nothing (a preview): a long name in them harms no one.
STORES_NOTHING = re.compile(r"/(preview|dry-run|dry_run|test)/$")


def _base(client, url: str, ids: dict) -> dict:
    """A body as valid as can be had: the representation of the route's record (read-only
    and nested fields are ignored on input), so a field is refused for itself and not for
    a required field missing beside it."""
    prefix = url.removeprefix("/api/v1/").split("/", 1)[0]
    if prefix not in ids:
        return {}
    response = client.get(f"/api/v1/{prefix}/{ids[prefix]}/")
    return response.json() if response.status_code == 200 else {}


def _names(response, field: str) -> bool:
    return field in set(_error(response).get("fields") or {})


def test_every_bounded_field_refuses_what_is_out_of_bounds_and_names_itself(schema, world):
    client, ids = world
    failures, checked = [], 0
    for method, url, properties in _targets(schema, ids):
        if STORES_NOTHING.search(url):
            continue
        base = _base(client, url, ids)
        for field, value, why in _field_cases(properties):
            checked += 1
            response = _send(client, method, url, json.dumps({**base, field: value}).encode())
            if response.status_code == 400 and not _names(response, field):
                # Refused for something else of the base: the field alone, then.
                response = _send(client, method, url, json.dumps({field: value}).encode())
            if response.status_code != 400:
                failures.append((method, url, field, why, response.status_code))
            elif not _names(response, field):
                failures.append((method, url, field, why, _error(response).get("fields")))
    assert checked > 100, checked
    assert not failures, "\n".join(map(str, failures))


DEEP = "[" * 100_000 + "]" * 100_000


def test_deep_json_in_query_parameters_is_a_400_not_a_500(world):
    """JSON read from elsewhere than a body (a report's drill-down, an import's mapping)
    goes through the one reader that turns a RecursionError into a refusal."""
    api, ids = world
    report, job = ids["reports"], ids["imports"]
    assert api.get(f"/api/v1/reports/{report}/run/", {"drill": DEEP}).status_code == 400
    assert api.get(f"/api/v1/imports/{job}/preview/", {"mapping": DEEP}).status_code == 400


def test_deep_json_to_a_public_form_endpoint_is_a_400(workspace):
    from tests.integrations.test_webforms import endpoint, make_form

    form = make_form(workspace[1])
    client = Client(raise_request_exception=False)
    response = client.post(endpoint(form), DEEP, content_type="application/json")
    assert response.status_code == 400, response.status_code
    page = Client(raise_request_exception=False)
    login(page, workspace[1])
    with tenant_scope(workspace[0], workspace[1].user):
        from reports import services as report_services

        report = report_services.report_create(
            actor=workspace[1], name="R", report_type="deals", definition={"columns": ["title"]}
        )
    # The report's page ignores a drill-down it cannot read.
    assert page.get(f"/reports/{report.pk}/", {"drill": DEEP}).status_code == 200
