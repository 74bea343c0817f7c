"""API fuzzing from the OpenAPI schema, with canaries: the engine of tests/hostile/test_fuzz.py
(a bounded run in the suite) and of bench/bench_fuzz.py (a long run).

The world: tenant A (an admin, a colleague and a viewer, a manager who sees only their own
records: tests/isolation/scenario.py) with a record of every kind (FACTORIES), and tenant B
with a record of every kind. Every text column of every row tenant B owns (and B's name, and
its people's names and emails) is then overwritten with a unique canary, `canary-<16 hex>`,
and so is every text column of the colleague's records in A. The canaries are recorded with
the row they sit in, so a finding names the record that leaked.

Schemathesis generates requests for every operation of the schema (bodies valid and invalid,
path and query parameters), and ids of A's, B's and the colleague's records are mixed into
path parameters, query parameters and the integer fields of bodies, so requests aim at other
tenants' records as an attacker's would. Every answer is checked:

- no 500;
- no canary of tenant B (for anyone in A), nor of the colleague (for the viewer);
- every error (a 4xx, or a 5xx the API chose, such as a 502) in the API's one error shape
  (crm/api/exceptions.py), see `error_shape_problem`.

The viewer is fuzzed first, then the admin: an admin's generated requests may change roles
and records, after which the viewer's view would prove nothing.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import IntegrityError, close_old_connections, models, transaction
from django.db.models.functions import MD5, Cast, Concat, Left
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode
from werkzeug.test import Client as WSGIClient

from crm.accounts import services as account_services
from crm.accounts.models import ApiKey, Membership, User
from crm.api.urls import router
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant, TenantModel
from tests.conftest import make_workspace
from tests.isolation import scenario
from tests.isolation.test_api_walk import FACTORIES

CANARY_RE = re.compile(rb"canary-[0-9a-f]{16}")
CANARY_LENGTH = len("canary-") + 16
# What a hostile client sends besides what schemathesis draws (as in test_sweep.py).
HOSTILE = ["²", "\x00", "9" * 20, "-1", "0", "9999-99-99", "x" * 3000, "'\"<>", "😀", ""]
METHODS = ("get", "post", "put", "patch", "delete")
REQUIRED = {"status", "code", "message"}


# --- the one error shape -------------------------------------------------------------------


def error_shape_problem(status: int, content: bytes) -> str | None:
    """What is wrong with an error's body (4xx, or a 5xx the API chose, such as 502 for a
    channel that refused a message), or None if it is the API's one error shape:
    {"error": {"status": <the status>, "code": "...", "message": "...", "fields": {...},
    "details": {...}}}, `fields` and `details` optional (non-empty objects), nothing else."""
    if status < 400:
        return None
    try:
        body = json.loads(content)
    except ValueError:
        return f"not JSON: {content[:80]!r}"
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return f"not {{'error': {{...}}}}: {str(body)[:120]}"
    error = body["error"]
    if not REQUIRED <= set(error) <= {*REQUIRED, "fields", "details"}:
        return f"keys {sorted(error)}"
    if error["status"] != status:
        return f"status {error['status']!r} in a {status}"
    if not (isinstance(error["code"], str) and error["code"]):
        return f"code {error['code']!r}"
    if not (isinstance(error["message"], str) and error["message"]):
        return f"message {error['message']!r}"
    for optional in ("fields", "details"):  # objects, there only when they say something
        if optional in error and not (isinstance(error[optional], dict) and error[optional]):
            return f"{optional} {error[optional]!r}"
    return None


def assert_error_shape(response) -> None:
    """The test helper: a Django test client's (or schemathesis') 4xx is in the one shape."""
    content = getattr(response, "content", b"")
    problem = error_shape_problem(response.status_code, content)
    assert problem is None, f"{response.status_code}: {problem}"


# --- canaries ------------------------------------------------------------------------------


@dataclass
class Canaries:
    """Canary value -> the row and column it was written into."""

    where: dict[str, str] = field(default_factory=dict)

    def seen(self, content: bytes) -> list[str]:
        return [
            f"{value} ({self.where[value]})"
            for value in {m.decode() for m in CANARY_RE.findall(content.lower())}
            if value in self.where
        ]


def _text_columns(model) -> list[str]:
    """Columns a canary fits in: text, free (no choices), long enough."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.primary_key
        and not f.choices
        and (f.max_length is None or f.max_length >= CANARY_LENGTH + 20)
        and not getattr(f, "generated", False)
    ]


def plant(canaries: Canaries, queryset, label: str, salt: str) -> list[int]:
    """Overwrite every text column of every row of `queryset` with a unique canary (one
    UPDATE per column, the value derived from the row's id), record them; the rows' ids."""
    model = queryset.model
    pks = list(queryset.values_list("pk", flat=True))
    if not pks:
        return []
    rows = model._base_manager.filter(pk__in=pks)
    for column in _text_columns(model):
        value = Concat(
            models.Value("canary-"),
            Left(
                MD5(
                    Concat(
                        models.Value(f"{salt}:{label}.{column}:"), Cast("pk", models.TextField())
                    )
                ),
                16,
            ),
            output_field=models.TextField(),
        )
        try:
            with transaction.atomic():
                rows.update(**{column: value})
        except IntegrityError:
            continue  # a check the column has (a format): it keeps its value
        for pk, planted in rows.values_list("pk", column):
            canaries.where[planted] = f"{label} {pk} .{column}"
    return pks


# --- the world -----------------------------------------------------------------------------


@dataclass
class World:
    tenant_a: Tenant
    admin: Membership
    viewer: Membership
    colleague: Membership
    tenant_b: Tenant
    of_b: Canaries  # tenant B's: nobody in A may see them
    of_colleague: Canaries  # the colleague's, in A: the viewer may not see them
    ids: dict[str, dict[str, list[int]]]  # "a" / "b" / "colleague" -> model label -> ids
    # (model label, id) never in a path: our keys and memberships (a DELETE would end the run)
    protected: set[tuple[str, int]] = field(default_factory=set)

    def ids_of(self, label: str | None) -> list[int]:
        found = {
            pk
            for side in self.ids.values()
            for name, pks in side.items()
            if (label is None or name == label)
            for pk in pks
            if (name, pk) not in self.protected
        }
        return sorted(found)


def build_world() -> World:
    salt = uuid.uuid4().hex
    tenant_a, admin = make_workspace(f"Fuzzed A {salt[:6]}")
    a_ids: dict[str, list[int]] = {}
    with tenant_scope(tenant_a, admin.user):
        # Before the scenario: the Run factory needs the workspace's rules not yet loaded by
        # a dispatch (a test's transaction never commits, and the commit reloads them).
        for model, make in FACTORIES.items():
            a_ids.setdefault(model._meta.label_lower, []).append(make(tenant_a, admin).pk)
    s = scenario.build(tenant_a, admin)
    with tenant_scope(tenant_a, admin.user):
        for record in s.own.values():
            a_ids.setdefault(record._meta.label_lower, []).append(record.pk)

    tenant_b, owner_b = make_workspace(f"Fuzzed B {salt[:6]}")
    with tenant_scope(tenant_b, owner_b.user):
        for make in FACTORIES.values():
            make(tenant_b, owner_b)
    of_b, b_ids = Canaries(), {}
    with tenant_scope(tenant_b):
        user_ids = set(Membership.objects.values_list("user_id", flat=True))
        for model in apps.get_models():
            if issubclass(model, TenantModel):
                rows = model.all_tenants.filter(tenant_id=tenant_b.pk)
                label = model._meta.label_lower
                b_ids[label] = plant(of_b, rows, f"B {label}", salt)
    plant(of_b, Tenant.objects.filter(pk=tenant_b.pk), "B tenant", salt)
    plant(of_b, User.objects.filter(pk__in=user_ids), "B user", salt)

    of_colleague, colleague_ids = Canaries(), {}
    with tenant_scope(tenant_a):
        for name, record in s.records.items():
            label = record._meta.label_lower
            rows = type(record)._base_manager.filter(pk=record.pk)
            colleague_ids.setdefault(label, []).extend(
                plant(of_colleague, rows, f"colleague's {name}", salt)
            )
    return World(
        tenant_a=tenant_a,
        admin=admin,
        viewer=s.viewer,
        colleague=s.colleague,
        tenant_b=tenant_b,
        of_b=of_b,
        of_colleague=of_colleague,
        ids={"a": a_ids, "b": b_ids, "colleague": colleague_ids},
        protected={(Membership._meta.label_lower, m.pk) for m in (admin, s.viewer)},
    )


def api_key(world: World, member: Membership) -> dict:
    """A fresh key of `member`'s, kept out of every path parameter (a DELETE would revoke it)."""
    with tenant_scope(member.tenant_id, member.user):
        _key, raw = account_services.api_key_create(actor=member, name="fuzz")
        keys = ApiKey.objects.values_list("pk", flat=True)
        world.protected.update((ApiKey._meta.label_lower, pk) for pk in keys)
    return {"Authorization": f"Bearer {raw}"}


# --- the schema ----------------------------------------------------------------------------


def load_schema():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.status_code
    schema = schemathesis.openapi.from_dict(json.loads(response.content))
    schema.app = get_wsgi_application()
    return schema


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


# Which model a path's {id} names: /api/v1/<prefix>/{id}/...
_MODELS = {
    f"/api/v1/{prefix}/": v.queryset.model._meta.label_lower for prefix, v, _ in router.registry
}


def _model_of(path: str) -> str | None:
    best = max((p for p in _MODELS if path.startswith(p)), key=len, default=None)
    return _MODELS[best] if best else None


@contextlib.contextmanager
def loopback_only():
    """Nothing a generated request sets up (a channel's bot API, a webhook's receiver, a
    mailbox) reaches past this machine: names other than localhost do not resolve, and
    connections go to loopback (or a Unix socket) only."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"{host!r}: not resolved while fuzzing")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise ConnectionRefusedError(f"{address!r}: not reached while fuzzing")
        return real_connect(sock, address)

    socket.getaddrinfo, socket.socket.connect = getaddrinfo, connect
    try:
        yield
    finally:
        socket.getaddrinfo, socket.socket.connect = real_getaddrinfo, real_connect


def _loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def connection_kept():
    """Requests sent through the WSGI application must not close the connection that holds
    a test's transaction when they end (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# --- the run -------------------------------------------------------------------------------


@dataclass
class Tally:
    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # 500s
    leaks: list[str] = field(default_factory=list)  # canaries seen
    shapes: list[str] = field(default_factory=list)  # errors not in the one shape
    seconds: float = 0.0  # spent in the application, the rest is generation

    def findings(self) -> list[str]:
        return [*self.errors, *self.leaks, *self.shapes]

    def summary(self) -> str:
        shown = "\n".join(self.findings()[:30])
        return (
            f"{self.sent} requests: {len(self.errors)} answered 500, {len(self.leaks)} showed "
            f"a canary, {len(self.shapes)} errors not in the error shape ({self.seconds:.0f} s "
            f"in the application)\n{shown}"
        )


class Fuzzer:
    """Sends generated requests as one member of tenant A and checks every answer."""

    def __init__(self, world: World, schema, member: Membership, tally: Tally):
        self.world, self.schema, self.tally = world, schema, tally
        self.role = "admin" if member.pk == world.admin.pk else "viewer"
        self.headers = api_key(world, member)
        self.forbidden = [world.of_b] + ([world.of_colleague] if self.role == "viewer" else [])

    # Checks ------------------------------------------------------------------------------

    def check(self, method: str, path: str, status: int, content: bytes, what: str) -> None:
        self.tally.sent += 1
        self.tally.statuses[status] += 1
        where = f"[{self.role}] {status} {method.upper()} {path} {what}"
        if status == 500:
            self.tally.errors.append(where)
        for canaries in self.forbidden:
            for seen in canaries.seen(content):
                self.tally.leaks.append(f"{where}: shows {seen}")
        if self.role == "viewer":  # the scenario's own marks: its word, its client's address
            text = content.decode("utf-8", "replace").lower()
            for mark in (scenario.CANARY, scenario.HIDDEN_EMAIL, scenario.HIDDEN_PHONE):
                if mark in text:
                    self.tally.leaks.append(f"{where}: shows the colleague's '{mark}'")
        problem = error_shape_problem(status, content)
        if problem:
            self.tally.shapes.append(f"{where}: {problem}")

    def send(self, case) -> None:
        t0 = time.perf_counter()
        response = case.call(app=self.schema.app, headers=self.headers)
        self.tally.seconds += time.perf_counter() - t0
        body = str(case.body)[:160] if case.body is not None else ""
        self.check(
            case.method,
            case.formatted_path,
            response.status_code,
            response.content,
            f"query={case.query!r} body={body!r}",
        )

    def other_methods(self, operations) -> None:
        """Each path once with each method the schema does not declare: a 405 in the shape."""
        declared: dict[str, set[str]] = {}
        for op in operations:
            declared.setdefault(op.path, set()).add(op.method.lower())
        client = WSGIClient(self.schema.app)  # as schemathesis sends: the WSGI application
        for path, methods in declared.items():
            ids = self.world.ids_of(_model_of(path)) or [1]
            url = re.sub(r"\{[^}]+\}", str(ids[0]), path)
            for method in sorted(set(METHODS) - methods):
                response = client.open(url, method=method.upper(), headers=self.headers, json={})
                content = response.get_data()
                self.check(method, url, response.status_code, content, "(method not declared)")


class Generator:
    """Schemathesis' requests for an operation (valid ones, and invalid ones where there is a
    body), with the world's ids mixed into path and query parameters and integer body fields.
    Drawn once and sent as each role: generation costs more than sending."""

    def __init__(self, world: World):
        self.world = world
        self._strategies: dict = {}

    def _ids(self, operation) -> st.SearchStrategy:
        named = self.world.ids_of(_model_of(operation.path)) or self.world.ids_of(None)
        return st.sampled_from(named) | st.sampled_from(self.world.ids_of(None))

    def _path_values(self, operation) -> st.SearchStrategy:
        names = [p.name for p in operation.path_parameters]
        if not names:
            return st.just({})
        value = self._ids(operation) | st.sampled_from(HOSTILE)
        return st.fixed_dictionaries({name: value for name in names})

    def _query_values(self, operation) -> st.SearchStrategy:
        names = sorted(p.name for p in operation.query)
        if not names:
            return st.just({})
        value = st.sampled_from(HOSTILE) | self._ids(operation).map(str) | st.text(max_size=20)
        return st.dictionaries(st.sampled_from(names), value, max_size=3)

    def _strategy(self, operation, mode) -> st.SearchStrategy:
        key = (operation.label, mode)
        if key not in self._strategies:
            self._strategies[key] = operation.as_strategy(generation_mode=mode)
        return self._strategies[key]

    @staticmethod
    def _with_ids(body, ids: list[int]):
        """Integer fields of a body (and lists of them) aimed at real records' ids."""
        if not isinstance(body, dict) or not ids:
            return body
        out = dict(body)
        for i, (key, value) in enumerate(sorted(out.items())):
            pick = ids[i % len(ids)]
            if isinstance(value, int) and not isinstance(value, bool):
                out[key] = pick
            elif isinstance(value, list) and value and all(type(v) is int for v in value):
                out[key] = [pick]
        return out

    def draw(self, operation, examples: int, seed: int | None = None) -> list:
        """Up to `examples` valid requests (and as many invalid ones where there is a body),
        derandomized, or from `seed` when given (the long run varies it)."""
        invalid = st.none()
        if operation.body:
            invalid = self._strategy(operation, GenerationMode.NEGATIVE)
        drawn = st.tuples(
            self._strategy(operation, GenerationMode.POSITIVE),
            invalid,
            self._path_values(operation),
            self._query_values(operation),
            st.booleans(),
            st.lists(self._ids(operation), max_size=3),
        )
        cases: list = []
        config = hypothesis_settings(
            max_examples=examples,
            derandomize=seed is None,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )

        @config
        @given(drawn=drawn)
        def collect(drawn):
            *found, path, query, aim, ids = drawn
            for case in found:
                if case is None:
                    continue
                case.path_parameters = {**(case.path_parameters or {}), **path}
                case.query = {**(case.query or {}), **query}
                if aim:
                    case.body = self._with_ids(case.body, ids)
                cases.append(case)

        if seed is not None:
            collect = hypothesis_seed(seed)(collect)
        collect()
        return cases


def run(world: World, schema, examples: int) -> Tally:
    """Every operation of the schema, as the viewer and then the admin of A; each path with
    the methods it does not declare once (their answers do not depend on the role)."""
    tally = Tally()
    ops = operations(schema)
    generator = Generator(world)
    cases = [case for op in ops for case in generator.draw(op, examples)]
    for n, member in enumerate((world.viewer, world.admin)):
        fuzzer = Fuzzer(world, schema, member, tally)
        if n == 0:
            fuzzer.other_methods(ops)
        for case in cases:
            fuzzer.send(case)
    return tally
