"""A hostile-parameter sweep: every API operation of the OpenAPI schema and every page of the
URL resolver gets values such as "²", NUL, 20-digit numbers, impossible dates and 3,000
characters, as an admin and as a manager who sees only their own records, in a workspace
with one record of every kind. Nothing may answer 500.

Schemathesis generates the API's requests from the schema (bodies, path and query
parameters, valid and invalid), Hypothesis the pages' parameters; a schema hook mixes the
hostile values into every declared query parameter and every path parameter, and a plain
pass sends each hostile value to each declared query parameter once. Examples are few and
derandomized: the sweep takes well under a minute and fails the same way every time.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.wsgi import get_wsgi_application
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from crm.accounts.models import ApiKey, Membership
from crm.api.throttling import ApiKeyRateThrottle
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, api_client, login, make_workspace
from tests.contacts.conftest import new_company, new_contact
from tests.hostile.fuzzing import connection_kept
from tests.isolation.test_api_walk import FACTORIES

pytestmark = pytest.mark.django_db

# What a hostile client sends: other scripts' digits, NUL, numbers past a bigint, impossible
# and extreme dates, very long text, and the usual suspects.
CANONICAL = ["²", "٣", "\x00", "9" * 20, "9999-99-99", "x" * 3000]
HOSTILE = st.sampled_from(
    [*CANONICAL, "a\x00b", "-" + "9" * 20, "9999-12-31", "0001-01-01", "2026-02-30", "1e400",
     "NaN", "-1", "0", "", " ", "１２", "none", "true", "[]", "{}", "%00", "../..", "'\"<>",
     "cf_", "-id", "\u202e", "😀"]
)  # fmt: skip
VALUES = HOSTILE | st.text(max_size=40)
PAGINATION = {"cursor", "page_size"}
# Per operation or page, per role: enough to vary, few enough to keep `make test` quick.
# SWEEP_EXAMPLES=100 makes a deeper sweep by hand.
EXAMPLES = int(os.environ.get("SWEEP_EXAMPLES", "3"))
SWEEP = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected instead
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Findings:
    """Every request that answered 500, described so it can be replayed by hand."""

    errors: list[str] = field(default_factory=list)
    paginated: set[str] = field(default_factory=set)

    def check(self, status: int, what: str) -> None:
        if status == 500:  # (503 is /healthz saying a worker is missing, as it should)
            self.errors.append(f"{status} {what}")

    def assert_none(self) -> None:
        shown = "\n".join(self.errors[:20])
        assert not self.errors, f"{len(self.errors)} answers were 500:\n{shown}"


# --- a workspace with something of everything ----------------------------------------------


@dataclass
class World:
    admin: Membership
    manager: Membership
    ids: dict[str, list[int]]  # record ids by model name (lower case)
    key_ids: set[int]


def _world(smtp) -> World:
    tenant, admin = make_workspace("Swept")
    manager = add_member(tenant, "manager")
    ids: dict[str, list[int]] = {}
    with tenant_scope(tenant, admin.user):
        for model, make in FACTORIES.items():
            ids.setdefault(model.__name__.lower(), []).append(make(tenant, admin).pk)
    ids.setdefault("contact", []).append(new_contact(manager, first_name="Mine").pk)
    ids.setdefault("company", []).append(new_company(manager, name="Mine Ltd").pk)
    return World(admin, manager, ids, set())


@pytest.fixture
def world(db, smtp, monkeypatch):
    # One key makes hundreds of calls a minute here: lift its throttle for the sweep.
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1000000/min"})
    return _world(smtp)


def _as(world: World, role: str) -> Membership:
    return world.admin if role == "admin" else world.manager


# --- the API -------------------------------------------------------------------------------


@functools.cache
def _api_schema(raw: bytes):
    import json

    return schemathesis.openapi.from_dict(json.loads(raw))


def _schema(world: World):
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = _api_schema(response.content)
    schema.app = get_wsgi_application()
    return schema


def _path_values(world: World, operation) -> st.SearchStrategy:
    """Path parameters: the workspace's real ids (so detail pages are reached) or hostile
    values. Never the sweep's own API keys, which a DELETE would revoke."""
    real = sorted({i for found in world.ids.values() for i in found} - world.key_ids)
    names = [p.name for p in operation.path_parameters]
    if not names:
        return st.just({})
    value = st.sampled_from(real) | HOSTILE
    return st.fixed_dictionaries({name: value for name in names})


def _query_values(operation) -> st.SearchStrategy:
    names = sorted(p.name for p in operation.query)
    if not names:
        return st.just({})
    return st.dictionaries(st.sampled_from(names), VALUES, max_size=3)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_the_api_never_answers_500(world, role):
    member = _as(world, role)
    client = api_client(member)
    headers = {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}
    with tenant_scope(member.tenant_id):
        world.key_ids = set(ApiKey.objects.values_list("pk", flat=True))
    schema = _schema(world)
    findings = Findings()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50  # the schema was read, and lists the whole API

    with connection_kept():
        for operation in operations:
            _sweep_operation(world, schema, operation, headers, findings, plain=role == "admin")
    findings.assert_none()


def _sweep_operation(world, schema, operation, headers, findings: Findings, *, plain: bool):
    if plain:  # each canonical hostile value in each declared query parameter, once
        path = {p.name: world.ids["deal"][0] for p in operation.path_parameters}
        for parameter in operation.query:
            if parameter.name in PAGINATION and parameter.name in findings.paginated:
                continue  # the same paginator reads them on every list: once is enough
            findings.paginated.add(parameter.name)
            for value in CANONICAL:
                case = operation.Case(path_parameters=path, query={parameter.name: value})
                response = case.call(app=schema.app, headers=headers)
                findings.check(response.status_code, f"{operation.label} {case.query!r}")
    # Schemathesis' requests with hostile values mixed in; invalid bodies where there is one.
    modes = [GenerationMode.POSITIVE]
    if operation.body:
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:
        _generated(world, schema, operation, mode, headers, findings)


_STRATEGIES: dict = {}


def _strategy(operation, mode) -> st.SearchStrategy:
    """Schemathesis' strategy for an operation, built once for both roles."""
    key = (operation.label, mode)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = operation.as_strategy(generation_mode=mode)
    return _STRATEGIES[key]


def _generated(world, schema, operation, mode, headers, findings: Findings) -> None:
    cases = st.tuples(
        _strategy(operation, mode),
        _path_values(world, operation),
        _query_values(operation),
    )

    @SWEEP
    @given(drawn=cases)
    def send(drawn):
        case, path, query = drawn
        case.path_parameters = {**(case.path_parameters or {}), **path}
        case.query = {**(case.query or {}), **query}
        response = case.call(app=schema.app, headers=headers)
        findings.check(
            response.status_code,
            f"{case.method} {case.formatted_path} query={case.query!r} "
            f"body={str(case.body)[:200]!r}",
        )

    send()


# --- the pages -----------------------------------------------------------------------------


def _routes(resolver: URLResolver | None = None, prefix: str = ""):
    """(route, name) of every page the URL resolver knows, outside the API."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern) and not route.startswith(("api/", "static/")):
            yield route, entry.name or ""


def _field_names() -> list[str]:
    """Every form field and query parameter name the templates use, and the list filters."""
    names: set[str] = set()
    for template in Path(django_settings.BASE_DIR, "templates").rglob("*.html"):
        names.update(re.findall(r'name="([a-z_][a-z0-9_]*)"', template.read_text()))
    names.update(
        ["q", "page", "date", "view", "who", "segment", "owner", "tag", "company", "contact",
         "stage", "pipeline", "status", "ordering", "created_after", "created_before",
         "no_contact_days", "no_purchase_days", "offset", "ids", "survivor", "format",
         "next", "object_type", "object_id", "unread", "filters", "back", "query", "day",
         "before", "after", "move_to", "delete", "panel", "mine", "rotting", "cf_tier",
         "pick_first_name", "close_after", "close_before", "limit", "mapping"]
    )  # fmt: skip
    return sorted(names)


# URL parameters, by name, and the records they name (the rest take any record's id).
PATH_MODELS = {"item_id": "lineitem", "file_id": "attachment", "contact_id": "contact",
               "stage_id": "stage", "object_id": "deal"}  # fmt: skip
NAME_MODELS = [("contact_import", "importjob"), ("contact", "contact"), ("company", "company"),
               ("deal", "deal"), ("task", "task"), ("notification", "notification"),
               ("funnel_stage", "stage"), ("funnel", "pipeline"), ("product", "product"),
               ("lost_reason", "lostreason"), ("member", "membership"), ("role", "role"),
               ("department", "department"), ("api_key", "apikey"),
               ("invitation", "invitation")]  # fmt: skip
SKIPPED = {"logout"}  # it ends the session every later request needs


def _url_strategy(world: World, route: str, name: str) -> st.SearchStrategy:
    everything = sorted({i for found in world.ids.values() for i in found})
    parts = re.split(r"<(?:(\w+):)?(\w+)>", route)
    pieces: list[st.SearchStrategy] = []
    for i in range(0, len(parts), 3):
        pieces.append(st.just(parts[i]))
        if i + 2 >= len(parts):
            break
        converter, param = parts[i + 1] or "str", parts[i + 2]
        model = PATH_MODELS.get(param) or next(
            (m for p, m in NAME_MODELS if name.startswith(p)), ""
        )
        real = world.ids.get(model) or everything
        if converter == "int":
            value = st.sampled_from(real).map(str) | st.sampled_from(["0", "9" * 20])
        elif converter == "slug":
            value = st.sampled_from(["deal", "contact", "company", "task", "x"])
        else:  # str: tokens, field names
            value = st.sampled_from(["amount", "tags", "owner", "phones", "cf_tier", "title"])
            value = value | HOSTILE.filter(lambda v: "/" not in v and v.strip())
        pieces.append(value)
    return st.tuples(*pieces).map(lambda bits: "/" + "".join(bits))


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_no_page_answers_500(world, role):
    member = _as(world, role)
    client = Client(raise_request_exception=False)
    findings = Findings()
    names = _field_names()
    routes = [(r, n) for r, n in _routes() if n not in SKIPPED]
    assert len(routes) > 60

    params = st.dictionaries(st.sampled_from(names), VALUES, max_size=4)
    for route, name in routes:
        requests = st.tuples(
            _url_strategy(world, route, name), st.sampled_from(["get", "post"]), params,
            st.booleans(),
        )  # fmt: skip

        @SWEEP
        @given(drawn=requests)
        def send(drawn):
            path, method, data, htmx = drawn
            login(client, member)  # a page may have switched the workspace or logged out
            extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            response = getattr(client, method)(path, data, **extra)
            findings.check(response.status_code, f"{method.upper()} {path} {data!r} htmx={htmx}")

        send()
    findings.assert_none()
