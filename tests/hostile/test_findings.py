"""Hostile input that once answered 500, each now a clear 400 (or 404) that changes nothing.

The sweep beside this file (test_sweep.py) throws generated values at every endpoint; these
are the cases found by hand, kept as plain tests so each one reads as what it proves.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from contacts import services as contact_services
from contacts.models import Company, Contact, Segment
from crm.accounts.models import Role
from crm.activity import services as activity_services
from crm.activity.models import Comment
from crm.tenancy.context import tenant_scope
from deals.models import Deal, LineItem
from tests.conftest import api_client
from tests.contacts.conftest import new_company, new_contact
from tests.deals.test_board import funnel, new_deal

pytestmark = pytest.mark.django_db

# The Django test client re-raises a view's exception; these clients answer 500 instead, as
# a server would, so each test can say which status it wants.
NUL = "\x00"
HUGE = "99999999999999999999"


@pytest.fixture
def web(workspace):
    client = Client(raise_request_exception=False)
    client.force_login(workspace[1].user)
    return client


@pytest.fixture
def api(workspace):
    client = api_client(workspace[1])
    client.raise_request_exception = False
    return client


def error_text(response) -> str:
    return response.content.decode()


# --- a website that urlsplit cannot read ---------------------------------------------------


def test_a_website_with_a_broken_ipv6_host_is_refused_by_the_api(api, workspace):
    response = api.post(
        "/api/v1/companies/", {"name": "Acme", "website": "http://[::1"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "website" in response.json()["error"]["fields"]
    with tenant_scope(workspace[0]):
        assert not Company.objects.exists()


def test_a_website_with_a_broken_ipv6_host_is_refused_by_the_form(web, workspace):
    response = web.post(reverse("company_new"), {"name": "Acme", "website": "http://[::1"})
    assert response.status_code == 200
    assert "Enter a valid URL" in error_text(response)
    with tenant_scope(workspace[0]):
        assert not Company.objects.exists()


# --- line items beyond the columns ---------------------------------------------------------


def test_a_line_item_whose_total_overflows_the_amount_is_refused_by_the_api(api, workspace):
    tenant, owner = workspace
    deal = new_deal(owner, funnel(tenant)[1][0], "Big")
    body = {"deal": deal.pk, "name": "Huge", "quantity": "999999999.999",
            "price": "999999999999.99"}  # fmt: skip
    response = api.post("/api/v1/line-items/", body, format="json")
    assert response.status_code == 400, response.content
    assert "too large" in str(response.json()["error"]).lower()
    huge_price = api.post(
        "/api/v1/line-items/", {**body, "quantity": 1, "price": "1e20"}, format="json"
    )
    assert huge_price.status_code == 400
    with tenant_scope(tenant):
        assert not LineItem.objects.exists()
        assert Deal.objects.get(pk=deal.pk).amount == 0


def test_a_line_item_whose_total_overflows_the_amount_is_refused_by_the_card(web, workspace):
    tenant, owner = workspace
    deal = new_deal(owner, funnel(tenant)[1][0], "Big")
    response = web.post(
        reverse("deal_item_add", args=[deal.pk]),
        {"name": "Huge", "quantity": "999999999", "price": "999999999999"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "too large" in error_text(response).lower()
    with tenant_scope(tenant):
        assert not LineItem.objects.exists()


# --- role grants of the wrong shape --------------------------------------------------------


@pytest.mark.parametrize(
    "grant",
    [{"actions": [1]}, {"visibility": ["all"]}, {"actions": "view"}, {"visibility": {}},
     {"actions": [["view"]]}],
)  # fmt: skip
def test_role_grants_of_the_wrong_shape_are_refused(api, workspace, grant):
    response = api.post("/api/v1/roles/", {"name": "Odd", "grants": {"deal": grant}}, format="json")
    assert response.status_code == 400, response.content
    assert "grants" in response.json()["error"]["fields"]
    with tenant_scope(workspace[0]):
        assert not Role.objects.filter(name="Odd").exists()


# --- NUL, which PostgreSQL refuses in text ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/?q=%00",
        "/contacts/?tag=%00",
        "/companies/?industry=%00x",
        "/contacts/export/?q=%00",
        "/deals/list/?q=%00",
        "/search/?q=ab%00",
        "/settings/members/?q=%00",
        "/api/v1/contacts/?q=%00",
        "/api/v1/contacts/?tag=%00",
        "/api/v1/deals/?q=%00",
        "/api/v1/tasks/?search=%00",
        "/api/v1/products/?q=%00",
    ],
)
def test_nul_in_a_query_parameter_is_a_400(web, url):
    response = web.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert "NUL" in error_text(response) or "null character" in error_text(response).lower()


def test_nul_in_raw_form_fields_is_a_400_and_saves_nothing(web, workspace):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann")
    deal = new_deal(owner, funnel(tenant)[1][0], "Deal")
    for url in (
        reverse("contact_note", args=[ann.pk]),
        reverse("deal_note", args=[deal.pk]),
        reverse("subject_comments", args=["contact", ann.pk]),
    ):
        response = web.post(url, {"body": f"hello{NUL}world"})
        assert response.status_code == 400, (url, response.status_code)
    response = web.post(reverse("contact_new"), {"first_name": f"Bob{NUL}"})
    assert response.status_code == 400
    with tenant_scope(tenant):
        assert not Comment.objects.exists()
        assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ann"]


def test_nul_inside_a_saved_segment_query_is_refused(web, workspace):
    response = web.post(reverse("contact_segment_save"), {"name": "Odd", "query": "q=%00&tag=vip"})
    assert response.status_code == 400
    with tenant_scope(workspace[0]):
        assert not Segment.objects.exists()


def test_nul_and_lone_surrogates_in_json_bodies_are_refused(api, workspace):
    """DRF's CharFields refuse them; a custom field's value (a dict's value) and a dict's keys
    reach no CharField, so the API's JSON parser refuses them anywhere in a body."""
    tenant, owner = workspace
    with tenant_scope(tenant):
        contact_services.custom_field_save(
            actor=owner, object_type="contact", key="note", label="Note", field_type="text"
        )
    response = api.post(
        "/api/v1/contacts/", {"first_name": "Ann", "custom": {"note": f"a{NUL}b"}}, format="json"
    )
    assert response.status_code == 400, response.content
    lone_surrogate = b'{"first_name": "Ann", "custom": {"note": "\\ud800"}}'
    response = api.post("/api/v1/contacts/", lone_surrogate, content_type="application/json")
    assert response.status_code == 400, response.content
    with tenant_scope(tenant):
        assert not Contact.objects.exists()


# --- numbers, pages and dates out of range ---------------------------------------------------


@pytest.mark.parametrize("value", ["99999999999", "abc", "-5", "1.5", "²"])
@pytest.mark.parametrize("name", ["no_contact_days", "no_purchase_days"])
def test_day_counts_out_of_range_are_a_400(api, web, name, value):
    response = api.get("/api/v1/contacts/", {name: value})
    assert response.status_code == 400, response.content
    assert name in response.json()["error"]["fields"]
    response = web.get("/contacts/export/", {name: value})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url", ["/contacts/", "/companies/", "/deals/list/", "/notifications/",
            "/settings/members/", "/settings/audit/"],
)  # fmt: skip
@pytest.mark.parametrize("page", [HUGE, "²", "-1", "abc"])
def test_a_page_number_out_of_range_is_a_400(web, url, page):
    response = web.get(url, {"page": page})
    assert response.status_code in (400, 302), (url, page, response.status_code)
    if response.status_code == 400:
        assert "page" in error_text(response).lower()


@pytest.mark.parametrize(
    "url",
    [
        "/tasks/calendar/?date=9999-12-31",
        "/tasks/calendar/?date=0001-01-01",
        "/tasks/calendar/?date=2026-99-99",
        "/tasks/calendar/?view=month&date=9999-12-31",
        "/tasks/calendar/?view=month&date=0001-01-01",
        "/tasks/new/?date=9999-99-99",
        "/tasks/new/?date=9999-12-31",
    ],
)
def test_impossible_calendar_dates_are_a_400(web, url):
    response = web.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert "date" in error_text(response).lower()


def test_an_export_with_a_bad_date_is_a_400_before_any_byte_is_sent(web, workspace):
    new_contact(workspace[1], first_name="Ann")
    response = web.get("/contacts/export/", {"created_after": "bad"})
    assert response.status_code == 400
    assert "created_after" in error_text(response)
    response = web.get("/contacts/export/", {"format": "xlsx", "created_before": "2026-02-30"})
    assert response.status_code == 400


def test_a_csv_export_whose_query_fails_fails_before_the_answer_starts(workspace):
    from django.db import DataError
    from django.db.models import F

    from contacts import exporter

    tenant, owner = workspace
    new_contact(owner, first_name="Ann")
    with tenant_scope(tenant), pytest.raises(DataError):
        failing = Contact.objects.annotate(boom=F("id") / 0).filter(boom__gt=0)
        exporter.export_response(failing, "contact", "csv", [])


# --- ids outside the selection, out of range, or in other scripts -----------------------


def test_merge_with_a_survivor_outside_the_selection_changes_nothing(web, workspace):
    tenant, owner = workspace
    a = new_contact(owner, first_name="Ann", _dup=True)
    b = new_contact(owner, first_name="Ann", _dup=True)
    c = new_contact(owner, first_name="Cid", _dup=True)
    response = web.post(
        reverse("contact_merge"), {"ids": [a.pk, b.pk], "survivor": c.pk}, follow=True
    )
    assert response.status_code in (200, 400)
    assert "survivor" in error_text(response).lower() or "keep" in error_text(response).lower()
    with tenant_scope(tenant):
        assert Contact.objects.count() == 3


def test_an_ical_token_with_an_out_of_range_workspace_is_a_404(web):
    for token in (f"cal_{HUGE}_secret", "cal_²_secret", "cal_٣_secret", "cal_0_x"):
        assert web.get(f"/calendar/{token}.ics").status_code == 404, token


def test_an_api_key_naming_an_out_of_range_workspace_is_refused(db):
    client = APIClient(raise_request_exception=False)
    for key in (f"crm_{HUGE}_secret", "crm_²_secret", "crm_٣_secret"):
        response = client.get("/api/v1/contacts/", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code in (401, 403), (key, response.status_code)


ODD_DIGITS = ["²", "٣", "１", HUGE]


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_digits_in_id_parameters_of_pages_are_400_or_404(web, workspace, value):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann")
    new_company(owner, name="Acme")
    deal = new_deal(owner, funnel(tenant)[1][0], "Deal")
    gets = [
        ("/contacts/", {"segment": value}),
        ("/contacts/export/", {"segment": value}),
        ("/contacts/", {"owner": value}),
        ("/contacts/export/", {"owner": value}),
        ("/contacts/export/", {"company": value}),
        ("/deals/list/", {"pipeline": value}),
        ("/deals/", {"pipeline": value}),
        ("/deals/new/", {"company": value, "contact": value, "stage": value}),
        ("/tasks/new/", {"object_type": "deal", "object_id": value}),
        ("/tasks/calendar/", {"who": value}),
        ("/contacts/merge/", {"ids": f"{ann.pk},{value}"}),
    ]
    for url, params in gets:
        response = web.get(url, params)
        assert response.status_code in (200, 302, 400, 404), (url, params, response.status_code)
    posts = [
        (reverse("contact_bulk"), {"action": "add_tags", "ids": [value], "tags": "x"}),
        (reverse("contact_bulk"), {"action": "assign_owner", "ids": [ann.pk], "owner": value}),
        (reverse("contact_merge"), {"ids": [ann.pk, value], "survivor": value}),
        (reverse("custom_fields"), {"delete": value}),
        (reverse("deal_bulk"), {"action": "assign_owner", "ids": [deal.pk], "owner": value}),
        (reverse("deal_move", args=[deal.pk]), {"stage": value}),
        (reverse("task_new"), {"object_type": "deal", "object_id": value, "title": "x"}),
        (reverse("workspace_switch"), {"tenant": value}),
    ]
    for url, data in posts:
        response = web.post(url, data)
        assert response.status_code in (200, 302, 400, 404), (url, data, response.status_code)


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_digits_in_id_parameters_of_the_api_are_400_or_404(api, workspace, value):
    tenant, owner = workspace
    deal = new_deal(owner, funnel(tenant)[1][0], "Deal")
    with tenant_scope(tenant, owner.user):
        activity_services.comment_add(actor=owner, subject=deal, body="hi")
    gets = [
        ("/api/v1/contacts/", {"owner": value}),
        ("/api/v1/contacts/", {"company": value}),
        ("/api/v1/contacts/", {"q": "ann", "page_size": value}),
        ("/api/v1/deals/", {"pipeline": value}),
        ("/api/v1/line-items/", {"deal": value}),
        ("/api/v1/deal-contacts/", {"deal": value}),
        ("/api/v1/stages/", {"pipeline": value}),
        ("/api/v1/comments/", {"object_type": "deal", "object_id": value}),
        ("/api/v1/tasks/", {"object_id": value}),
        ("/api/v1/audit-trail/", {"object_id": value}),
        ("/api/v1/contacts/", {"page_size": value}),
    ]
    for url, params in gets:
        response = api.get(url, params)
        assert response.status_code in (200, 400, 404), (url, params, response.status_code)
    stage = funnel(tenant)[1][1]
    response = api.delete(f"/api/v1/stages/{stage.pk}/?move_to={value}")
    assert response.status_code in (400, 404), response.status_code
    assert api.get(f"/api/v1/deals/{deal.pk}/").status_code == 200


def test_a_huge_id_in_a_path_is_a_404(web, api):
    assert web.get(f"/contacts/{HUGE}/").status_code == 404
    assert web.get(f"/deals/{HUGE}/").status_code == 404
    assert api.get(f"/api/v1/deals/{HUGE}/").status_code == 404


def test_the_error_page_says_what_was_wrong(web):
    response = web.get("/tasks/calendar/", {"date": "2026-99-99"})
    assert response.status_code == 400
    page = error_text(response)
    assert "date" in page and "YYYY-MM-DD" in page


def test_the_api_error_names_the_parameter(api):
    response = api.get("/api/v1/contacts/", {"created_after": "yesterday"})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["status"] == 400 and "created_after" in body["fields"]


@pytest.mark.parametrize(
    "params",
    [{"object_id": "²"}, {"object_id": "1e3"}, {"object_id": HUGE}, {"due_before": "9999-12-31"},
     {"due_after": "9999-99-99"}, {"object_type": "x" * 3000}],
)  # fmt: skip
def test_filtersets_read_ids_dates_and_text_with_the_one_parser(api, params):
    response = api.get("/api/v1/tasks/", params)
    assert response.status_code == 400, (params, response.content)
    assert set(response.json()["error"]["fields"]) == set(params)


def test_a_comment_id_that_is_not_a_number_is_a_404(api):
    for pk in ("abc", "'\"<>", "9999-99-99", "²"):
        assert api.get(f"/api/v1/comments/{pk}/").status_code == 404, pk


def test_a_role_created_over_the_api_without_grants_sees_nothing(api, workspace):
    response = api.post("/api/v1/roles/", {"name": "Bare"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["grants"] == {}


# --- found by the fuzz (test_fuzz.py) --------------------------------------------------------


def test_a_duplicates_409_is_in_the_one_error_shape(api, workspace):
    """It carried `candidates` and `hidden_matches` beside `message`; they are `details` now."""
    from .fuzzing import assert_error_shape

    new_company(workspace[1], name="Acme", emails="office@acme.example")
    response = api.post(
        "/api/v1/companies/", {"name": "Acme", "emails": ["office@acme.example"]}, format="json"
    )
    assert response.status_code == 409, response.content
    assert_error_shape(response)
    details = response.json()["error"]["details"]
    assert len(details["candidates"]) == 1 and details["hidden_matches"] is False
