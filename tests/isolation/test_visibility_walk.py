"""The walls inside a workspace: a manager who sees only their own records walks every page,
htmx fragment and API route against a colleague's records (tests/isolation/scenario.py).

Every read answers nothing of the colleague's (the canary word never appears in a response);
every write changes nothing of them. A new URL or API route fails these walks until it says
below how it scopes: PAGES for pages, a `scope` on its viewset (crm/api/viewsets.py).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from crm.api.urls import router
from crm.api.viewsets import OWNED, PERSONAL, SCOPES, ScopedViewSetMixin
from crm.tenancy.context import tenant_scope
from tests.conftest import api_client, login

from .scenario import (
    CANARY,
    HIDDEN_COMPANY_EMAIL,
    HIDDEN_EMAIL,
    HIDDEN_PHONE,
    SEARCH_WORD,
    build,
)

# --- how each page scopes -----------------------------------------------------------------

PUBLIC = "public"  # outside a workspace: login, sign-up, health, the API's own pages
LIST = "list"  # shows many records, or none: the colleague's never appear
# ("record", key): about one record of the colleague's, named by the URL; 404 or 403

PAGES: dict[str, object] = {
    "home": LIST,
    "healthz": PUBLIC,
    "livez": PUBLIC,
    "login": PUBLIC,
    "logout": PUBLIC,
    "signup": PUBLIC,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "invitation_accept": PUBLIC,
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "workspace_switch": LIST,
    "workspace_new": LIST,
    "profile": LIST,
    "workspace": LIST,
    "members": LIST,
    "member_edit": ("record", "colleague_membership"),
    "invitation_revoke": ("record", "nothing"),
    "roles": LIST,
    "role_new": LIST,
    "role_edit": ("record", "manager_role"),
    "departments": LIST,
    "department_edit": ("record", "nothing"),
    "api_keys": LIST,
    "api_key_revoke": ("record", "nothing"),
    "audit": LIST,
    "import_new": LIST,
    "contact_import": ("record", "import"),
    "contact_import_progress": ("record", "import"),
    "contact_import_errors": ("record", "import"),
    "contacts": LIST,
    "contact_new": LIST,
    "contact_export": LIST,
    "contact_bulk": LIST,
    "contact_duplicates": LIST,
    "contact_merge": LIST,
    "contact_segment_save": LIST,
    "contact_segment_delete": ("record", "segment"),
    "contact_card": ("record", "contact"),
    "contact_title": ("record", "contact"),
    "contact_field": ("record", "contact"),
    "contact_note": ("record", "contact"),
    "contact_delete": ("record", "contact"),
    "companies": LIST,
    "company_new": LIST,
    "company_export": LIST,
    "company_bulk": LIST,
    "company_duplicates": LIST,
    "company_merge": LIST,
    "company_segment_save": LIST,
    "company_segment_delete": ("record", "segment"),
    "company_card": ("record", "company"),
    "company_title": ("record", "company"),
    "company_field": ("record", "company"),
    "company_note": ("record", "company"),
    "company_delete": ("record", "company"),
    "global_search": LIST,
    "custom_fields": LIST,
    "funnels": LIST,
    "funnel_edit": ("record", "pipeline"),
    "funnel_stage_add": ("record", "pipeline"),
    "funnel_stages_reorder": ("record", "pipeline"),
    "funnel_stage_edit": ("record", "stage"),
    "funnel_stage_delete": ("record", "stage"),
    "products": LIST,
    "product_edit": ("record", "nothing"),
    "lost_reasons": LIST,
    "lost_reason_edit": ("record", "nothing"),
    "deals": LIST,
    "deal_list": LIST,
    "deal_bulk": LIST,
    "deal_new": LIST,
    "deal_quick": LIST,
    "deal_column": LIST,  # a stage's column: the stage is the workspace's, the deals are not
    "deal_card": ("record", "deal"),
    "deal_title": ("record", "deal"),
    "deal_field": ("record", "deal"),
    "deal_move": ("record", "deal"),
    "deal_won": ("record", "deal"),
    "deal_lost": ("record", "deal"),
    "deal_reopen": ("record", "deal"),
    "deal_delete": ("record", "deal"),
    "deal_note": ("record", "deal"),
    "deal_item_add": ("record", "deal"),
    "deal_item_edit": ("record", "deal"),
    "deal_item_remove": ("record", "deal"),
    "deal_contact_add": ("record", "deal"),
    "deal_contact_remove": ("record", "deal"),
    "deal_file_add": ("record", "deal"),
    "deal_file": ("record", "deal"),
    "deal_file_delete": ("record", "deal"),
    "tasks": LIST,
    "task_new": LIST,
    "calendar": LIST,
    "task_edit": ("record", "task"),
    "task_toggle": ("record", "task"),
    "task_move": ("record", "task"),
    "task_delete": ("record", "task"),
    "subject_tasks": ("record", "deal"),
    "subject_comments": ("record", "deal"),
    "calendar_feed": ("record", "feed"),
    "notifications": LIST,
    "notifications_bell": LIST,
    "notifications_menu": LIST,
    "notifications_read_all": LIST,
    "notification_open": ("record", "colleague_notification"),
    "notification_read": ("record", "colleague_notification"),
    "notification_settings": LIST,
    "calendar_feed_regenerate": LIST,
    "calendar_feed_revoke": LIST,
    "inbox": LIST,
    "inbox_list": LIST,
    "inbox_unread": LIST,
    "inbox_conversation": ("record", "conversation"),
    "inbox_messages": ("record", "conversation"),
    "inbox_reply": ("record", "conversation"),
    "inbox_update": ("record", "conversation"),
    "inbox_attachment": ("record", "inbox_attachment"),
    "inbox_client": ("record", "conversation"),
    "inbox_client_deal": ("record", "conversation"),
    "inbox_client_task": ("record", "conversation"),
    "inbox_client_find": ("record", "conversation"),
    "inbox_accept": ("record", "conversation"),
    "inbox_link": ("record", "conversation"),
    "inbox_decline": ("record", "conversation"),
    "inbox_snooze": ("record", "conversation"),
    "inbox_assign": ("record", "conversation"),
    "inbox_response_times": LIST,
    "channel_desk_settings": LIST,
    "sender_unblock": ("record", "nothing"),
    "channels": LIST,
    "webhooks": LIST,
    "webhook_detail": ("record", "webhook"),
    "webhook_toggle": ("record", "webhook"),
    "webhook_delete": ("record", "webhook"),
    "webhook_rotate_secret": ("record", "webhook"),
    "webhook_redeliver": ("record", "webhook_delivery"),
    "channel_reconnect": ("record", "nothing"),
    "channel_retry": ("record", "nothing"),
    "channel_autoreply": ("record", "nothing"),
    "telegram_webhook": PUBLIC,
    "whatsapp_webhook": PUBLIC,
    "messenger_webhook": PUBLIC,
    "instagram_webhook": PUBLIC,
    "vk_webhook": PUBLIC,
    "canned_responses": LIST,
    "canned_edit": ("record", "canned"),
    "canned_delete": ("record", "canned"),
    "inbox_canned": ("record", "conversation"),
    "inbox_mentions": ("record", "conversation"),
    "team": LIST,
    "team_unread": LIST,
    "team_direct": LIST,
    "team_room": ("record", "team_room"),
    "team_messages": ("record", "team_room"),
    "team_post": ("record", "team_room"),
    "team_mentions": ("record", "team_room"),
    "form_webhook": PUBLIC,
    "webform_page": PUBLIC,
    "sitechat_webhook": PUBLIC,
    "sitechat_messages": PUBLIC,
    "webforms": LIST,
    "webform_new": LIST,
    "webform_edit": ("record", "nothing"),
    "webform_delete": ("record", "nothing"),
    "twilio_webhook": PUBLIC,
    "zadarma_webhook": PUBLIC,
    "pbx_webhook": PUBLIC,
    # The client is named in the query string (its card's "Call via"): none here, and the
    # hidden contact in the POST, answer 404 (tests/integrations/test_calls.py dials too).
    "call_dial": ("record", "contact"),
    "invoices": LIST,
    "invoice_export": LIST,
    "invoice_create": ("record", "deal"),
    "invoice_card": ("record", "invoice"),
    "invoice_edit": ("record", "invoice"),
    "invoice_line_add": ("record", "invoice"),
    "invoice_line_remove": ("record", "invoice"),
    "invoice_issue": ("record", "invoice"),
    "invoice_cancel": ("record", "invoice"),
    "invoice_send": ("record", "invoice"),
    "invoice_credit_note": ("record", "invoice"),
    "invoice_payment": ("record", "invoice"),
    "invoice_pdf": ("record", "invoice"),
    "invoice_settings": LIST,
    "invoice_receipt": ("record", "invoice"),
    "invoice_tax_settings": LIST,
    "invoice_series_new": LIST,
    "invoice_series_edit": ("record", "nothing"),
    "invoice_rate_new": LIST,
    "invoice_rate_edit": ("record", "nothing"),
    "invoice_rate_archive": ("record", "nothing"),
    "invoice_client_page": PUBLIC,  # the token is the key (tests/invoices/test_client_page.py)
    "invoice_client_pdf": PUBLIC,
    "invoice_client_other_pdf": PUBLIC,
    "payment_webhook": PUBLIC,  # signed by the provider (tests/invoices/test_webhooks.py)
    "invoice_link_create": ("record", "invoice"),
    "invoice_link_revoke": ("record", "invoice"),
    "invoice_reminders": LIST,
    "invoice_request": ("record", "deal"),
    "invoice_request_fulfil": ("record", "nothing"),  # a colleague's: test_overdue_and_requests
    "invoice_statements": LIST,
    "invoice_statement": ("record", "nothing"),  # a colleague's: test_statements
    "payment_provider_settings": LIST,
    # The board's automation view: admins and roles granted "automation" only (the viewer
    # has neither: 403); tests/automation/test_views.py walks it with the right.
    "automation": LIST,
    "automation_board": ("record", "pipeline"),
    # The rules outside funnels: the same views, the same right (tests/automation/
    # test_workspace_page.py walks it with the right and with "own" visibility).
    "automation_workspace": LIST,
    "automation_rule_new": ("record", "pipeline"),
    "automation_rule_form": ("record", "pipeline"),
    "automation_rule_save": ("record", "pipeline"),
    "automation_rule_edit": ("record", "pipeline"),
    "automation_rule_toggle": ("record", "pipeline"),
    "automation_rule_move": ("record", "pipeline"),
    "automation_rule_delete": ("record", "pipeline"),
    "automation_rule_runs": ("record", "pipeline"),
    "automation_run_retry": ("record", "pipeline"),
    "automation_dry_run": ("record", "pipeline"),
    # Reports: the colleague's private report is the one aimed at; shared ones run as the
    # viewer (tests/reports/test_api.py compares the numbers).
    "reports": LIST,
    "report_new": LIST,
    "report_preview": LIST,
    "report_folder_new": LIST,
    "report_run": ("record", "report"),
    "report_edit": ("record", "report"),
    "report_export": ("record", "report"),
    "report_delete": ("record", "report"),
    # Custom report types: admins only (the viewer, a manager, gets 403 whatever the id);
    # tests/reports/test_custom_types.py walks them across workspaces.
    "report_types": LIST,
    "report_type_edit": ("record", "nothing"),
    "report_type_delete": ("record", "nothing"),
    # Background exports: only the member who asked sees one (404 for anyone else).
    "report_export_status": ("record", "report_export"),
    "report_export_download": ("record", "report_export"),
    # Subscriptions: the colleague's to their private report (tests/reports/
    # test_subscription_pages.py aims at one to a shared report too).
    "report_subscribe": ("record", "report"),
    "report_subscriptions": LIST,
    "report_subscription_edit": ("record", "report_subscription"),
    "report_subscription_delete": ("record", "report_subscription"),
    # The sales dashboard shows the viewer's own numbers; plans: their own (a manager reads).
    "dashboards": LIST,
    "sales_plans": LIST,
    # Custom dashboards: the colleague's private one is aimed at; a widget's report runs as
    # the viewer (tests/reports/test_boards.py).
    "board_list": LIST,
    "board_add_report": LIST,
    "board": ("record", "board"),
    "board_edit": ("record", "board"),
    "board_widget_add": ("record", "board"),
    "board_widget_edit": ("record", "board"),
    "board_widget_remove": ("record", "board"),
    "board_order": ("record", "board"),
    "board_subscribe": ("record", "board"),
}

# Query strings each list page is read with, besides none: searches for the canary and for
# the hidden record's email and phone, and filters that name the hidden records.
LIST_QUERIES = [
    {"q": SEARCH_WORD},
    {"q": HIDDEN_EMAIL},
    {"q": HIDDEN_PHONE},
    {"view": "month"},
    {"user": "{colleague_user}"},
    {"owner": "{colleague_user}"},
    {"company": "{company}"},
    {"deal": "{deal}"},
    {"segment": "{segment}"},
    {"stage": "{stage}"},
]


def _patterns(patterns=None, prefix=""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield p.name, prefix + str(p.pattern), list(p.pattern.converters)


PAGE_NAMES = sorted(
    {name for name, route, _ in _patterns() if not route.startswith(("api/v1", "static"))}
)


def test_every_page_says_how_it_scopes():
    assert set(PAGE_NAMES) - set(PAGES) == set(), "add these pages to PAGES"
    assert set(PAGES) - set(PAGE_NAMES) == set(), "these pages are gone: drop them from PAGES"


# --- the scenario, with the ids every URL may name -----------------------------------------


@pytest.fixture
def scenario(workspace, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tenant, admin = workspace
    s = build(tenant, admin)
    with tenant_scope(tenant):
        from crm.accounts.models import Role
        from crm.activity.models import Notification
        from pipelines.models import Pipeline

        colleague_note = Notification.objects.filter(recipient=s.colleague.user).first()
        if colleague_note is None:
            from crm.activity import services as activity_services

            colleague_note = activity_services.notify(
                recipient=s.colleague.user, kind="reminder", title="Quokka reminder"
            )
        s.ids = {
            "colleague_membership": s.colleague.pk,
            "manager_role": Role.objects.get(key="manager").pk,
            "pipeline": Pipeline.objects.first().pk,
            "stage": s.records["deal"].stage_id,
            "colleague_notification": colleague_note.pk,
            "colleague_user": s.colleague.user_id,
            "nothing": 987654,
            **{name: record.pk for name, record in s.records.items()},
        }
    return s


def _kwargs(s, route: str, converters: list[str], key: str | None) -> dict:
    """Values for the URL's parameters: the hidden record `key` for pk, its parts for the
    rest (a line item, a file, a linked contact)."""
    ids = s.ids
    values = {
        "pk": ids.get(key, ids["nothing"]),
        "item_id": ids["item"],
        "file_id": ids["attachment"],
        "contact_id": ids["contact"],
        "stage_id": ids["stage"],
        "object_type": "deal",
        "object_id": ids["deal"],
        "name": "title" if route.startswith("deals") else "first_name",
        "token": f"{ids['feed']}.not-the-secret",
        "uidb64": "MQ",
        "pipeline_id": ids["pipeline"],
        "rule_id": ids["nothing"],
        "run_id": ids["nothing"],
        "widget_pk": ids.get("board_widget", ids["nothing"]),
    }
    return {c: values[c] for c in converters}


def _url(route: str, kwargs: dict) -> str:
    url = "/" + route
    for name, value in kwargs.items():
        for conv in ("int", "str", "slug", "path", "scope", ""):
            token = f"<{conv}:{name}>" if conv else f"<{name}>"
            url = url.replace(token, str(value))
    return url


def _payload(s) -> dict:
    """A POST that names the hidden records everywhere a form could take an id, and tries to
    take them over (the viewer as owner)."""
    ids, viewer = s.ids, s.viewer.user_id
    hidden = [ids["contact"], ids["company"], ids["deal"]]
    return {
        "ids": [*hidden, s.own["contact"].pk],
        "pk": hidden,
        "survivor": s.own["contact"].pk,
        "others": hidden,
        "action": "delete",
        "owner": viewer,
        "value": viewer,
        "contact": ids["contact"],
        "company": ids["company"],
        "deal": ids["deal"],
        "stage": ids["stage"],
        "title": "Hacked",
        "name": "Hacked",
        "first_name": "Hacked",
        "body": "Hacked",
        "position": 0,
        "order": [ids["stage"]],
    }


def _assert_clean(response, where: str, echoed=()) -> None:
    """No canary in the answer, nor the hidden email or phone unless the request typed it
    (a search box or a form shows back what was typed)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace").lower()
    assert CANARY not in text, f"{where} shows the colleague's record"
    for value in {HIDDEN_EMAIL, HIDDEN_PHONE} - set(echoed):
        assert value not in text, f"{where} shows {value}"


ROUTES = [(n, r, c) for n, r, c in _patterns() if n in PAGES and PAGES[n] != PUBLIC]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "route", "converters"), ROUTES, ids=[r[0] for r in ROUTES])
def test_a_page_shows_and_changes_nothing_of_a_colleagues_records(
    name, route, converters, scenario, client, smtp
):
    s = scenario
    spec = PAGES[name]
    key = spec[1] if isinstance(spec, tuple) else None
    url = _url(route, _kwargs(s, route, converters, key))
    login(client, s.viewer)
    before = s.snapshot()

    if key is not None:
        for method in ("get", "post"):
            response = getattr(client, method)(url, _payload(s) if method == "post" else None)
            assert response.status_code in (403, 404, 405), (method, url, response.status_code)
            _assert_clean(response, f"{method.upper()} {url}")
    else:
        for query in [{}, *LIST_QUERIES]:
            params = {k: str(v).format(**s.ids) for k, v in query.items()}
            response = client.get(url, params)
            assert response.status_code < 500, (url, params)
            _assert_clean(response, f"GET {url} {params}", echoed=params.values())
        response = client.post(url, _payload(s))
        assert response.status_code < 500, (url, response.status_code)
        _assert_clean(response, f"POST {url}")
        # Probes: the hidden client's email and phone typed into a new record's form.
        for probe in (
            {"first_name": "Probe", "emails": HIDDEN_EMAIL},
            {"first_name": "Probe", "phones": HIDDEN_PHONE},
            {"name": "Probe", "emails": HIDDEN_COMPANY_EMAIL},
        ):
            _assert_clean(client.post(url, probe), f"POST {url} {probe}", probe.values())

    assert s.snapshot() == before, f"{url} changed a colleague's record"


@pytest.mark.django_db
def test_the_viewers_own_deal_names_no_hidden_contact_or_company(scenario, client):
    """The admin linked the colleague's contact and company to the viewer's deal: the deal's
    card, the board and the list say a contact or company is there, not who."""
    s = scenario
    login(client, s.viewer)
    deal = s.own["deal"]
    card = client.get(f"/deals/{deal.pk}/")
    assert card.status_code == 200 and "Visible deal" in card.content.decode()
    _assert_clean(card, "the viewer's own deal card")
    # They are there, unnamed: in the people panel, the company field and the history.
    page = card.content.decode()
    assert "A contact you cannot see" in page and "A company you cannot see" in page
    api = api_client(s.viewer).get(f"/api/v1/deals/{deal.pk}/").json()
    assert api["company_name"] is None and [c["name"] for c in api["contacts"]] == [None]
    for url in ("/deals/", "/deals/list/", f"/api/v1/deals/{deal.pk}/"):
        _assert_clean(client.get(url), url)


@pytest.mark.django_db
def test_the_viewers_own_contact_card_shows_nothing_of_a_hidden_deal(scenario, client):
    """The viewer's contact is linked to the colleague's deal: its card, with its history,
    answers 200 and says nothing of the deal."""
    s = scenario
    login(client, s.viewer)
    response = client.get(f"/contacts/{s.own['contact'].pk}/")
    assert response.status_code == 200
    assert "Visible" in response.content.decode()
    _assert_clean(response, "the viewer's own contact card")


# --- the API ------------------------------------------------------------------------------

# How a route scopes is declared on its viewset (crm/api/viewsets.py: `scope`). For the
# routes of owned and personal records, which of the colleague's records to aim at.
TARGETS = {
    "tasks": "task",
    "comments": "comment",
    "notifications": "colleague_notification",
    "calendar-feeds": "feed",
    "companies": "company",
    "contacts": "contact",
    "imports": "import",
    "deals": "deal",
    "line-items": "item",
    "deal-contacts": "deal_contact",
    "conversations": "conversation",
    "canned-responses": "canned",
    "invoices": "invoice",
    "payments": "payment",
    "api-keys": None,  # the colleague's key is never listed; there is no id to aim at here
    # A colleague's statement and request are aimed at in tests/invoices/test_statements.py
    # and test_overdue_and_requests.py; here the lists and actions are walked.
    "statements": None,
    "invoice-requests": None,
    "reports": "report",
    "report-folders": "report_folder",
    "report-exports": "report_export",
    "report-subscriptions": "report_subscription",
    "sales-plans": "sales_plan",
    "dashboards": "board",
}
API_ROUTES = [(prefix, viewset) for prefix, viewset, _ in router.registry]


def test_every_api_route_says_how_it_scopes():
    for prefix, viewset in API_ROUTES:
        assert issubclass(viewset, ScopedViewSetMixin), f"{prefix}: base it on ScopedViewSetMixin"
        assert viewset.scope in SCOPES, f"{prefix}: declare its scope"
        if viewset.scope in (OWNED, PERSONAL):
            assert prefix in TARGETS, f"{prefix}: say which hidden record to aim at"


@pytest.mark.django_db
@pytest.mark.parametrize(("prefix", "viewset"), API_ROUTES, ids=[p for p, _ in API_ROUTES])
def test_an_api_route_shows_and_changes_nothing_of_a_colleagues_records(
    prefix, viewset, scenario, smtp
):
    s = scenario
    with tenant_scope(s.tenant):
        from deals.models import DealContact

        s.ids["deal_contact"] = DealContact.objects.get(
            deal=s.records["deal"], contact=s.records["contact"]
        ).pk
    client = api_client(s.viewer)
    before = s.snapshot()
    scope, key = viewset.scope, TARGETS.get(prefix)

    for params in (
        {"page_size": 200},
        {"q": SEARCH_WORD},
        {"search": SEARCH_WORD},
        {"q": HIDDEN_EMAIL},
        {"q": HIDDEN_PHONE},
    ):
        response = client.get(f"/api/v1/{prefix}/", params)
        assert response.status_code in (200, 403), (prefix, response.status_code)
        _assert_clean(response, f"GET /api/v1/{prefix}/ {params}", params.values())

    if key is not None:
        url = f"/api/v1/{prefix}/{s.ids[key]}/"
        missing = client.get(f"/api/v1/{prefix}/987654321/")
        for method in ("get", "patch", "put", "delete"):
            response = getattr(client, method)(url, _payload(s), format="json")
            assert response.status_code in (403, 404, 405), (method, url, response.status_code)
            if response.status_code == 404:
                assert response.json() == missing.json()  # the same as an id that never was

    for act in viewset.get_extra_actions():
        detail = f"{s.ids[key]}/" if act.detail and key else ("1/" if act.detail else "")
        url = f"/api/v1/{prefix}/{detail}{act.url_path}/"
        for method in act.mapping:
            response = getattr(client, method)(url, _payload(s), format="json")
            assert response.status_code < 500, (url, method, response.status_code)
            _assert_clean(response, f"{method.upper()} {url}")

    if scope == OWNED and prefix in ("contacts", "companies"):
        # Probes: a new record with the hidden client's email; the answer (409 with the
        # candidates) says nothing about the hidden one.
        body = (
            {"first_name": "Probe", "emails": [HIDDEN_EMAIL]}
            if prefix == "contacts"
            else {"name": "Probe", "emails": [HIDDEN_COMPANY_EMAIL]}
        )
        response = client.post(f"/api/v1/{prefix}/", body, format="json")
        assert response.status_code < 500
        _assert_clean(response, f"POST /api/v1/{prefix}/ probe", [*body["emails"]])

    assert s.snapshot() == before, f"/api/v1/{prefix}/ changed a colleague's record"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("policy", ["skip", "update", "create"])
def test_an_import_changes_nothing_of_a_colleagues_records_and_its_counts_tell_nothing(
    policy, workspace, settings, tmp_path, django_capture_on_commit_callbacks
):
    """A sheet naming the hidden client's email and phone, with every policy: the hidden
    contact stays as it was, and the counts are those of a workspace without it."""
    settings.MEDIA_ROOT = tmp_path
    s = build(*workspace)
    client = api_client(s.viewer)
    before = s.snapshot()
    sheet = (
        "First name,Last name,Email,Phone,Owner\r\n"
        f"Hacked,Row,{HIDDEN_EMAIL},,{s.viewer.user.email}\r\n"
        f"Hacked,Other,,{HIDDEN_PHONE},{s.viewer.user.email}\r\n"
    ).encode()
    upload = SimpleUploadedFile("probe.csv", sheet, content_type="text/csv")
    job = client.post("/api/v1/imports/", {"file": upload}, format="multipart").json()
    mapping = {"0": "first_name", "1": "last_name", "2": "emails", "3": "phones", "4": "owner"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/imports/{job['id']}/start/",
            {"mapping": mapping, "duplicate_policy": policy},
            format="json",
        )
    assert response.status_code in (200, 202), response.content
    done = client.get(f"/api/v1/imports/{job['id']}/").json()
    assert done["status"] == "done", done
    # Two rows, two new records: what a workspace without the hidden contact would give.
    assert (done["created"], done["updated"], done["skipped"]) == (2, 0, 0), done
    _assert_clean(client.get(f"/api/v1/imports/{job['id']}/"), "the import's answer")
    assert s.snapshot() == before
