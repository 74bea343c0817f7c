"""Web forms: the builder (admins), the public JSON endpoint and the plain page, and what a
submission becomes once the worker has ingested it (client, conversation, deal, event)."""

import json

import pytest
from django.urls import reverse

from contacts.models import Contact
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import Event, TimelineEntry
from crm.tenancy.context import tenant_scope
from deals.models import Deal
from integrations import webforms
from integrations.models import Channel, Conversation, Message, RawDelivery, WebForm
from pipelines.models import Stage
from tests.conftest import api_client, login
from tests.contacts.conftest import new_contact

pytestmark = pytest.mark.django_db

FIELDS = [
    {"label": "Name", "type": "text", "maps_to": "contact.first_name", "required": True},
    {"label": "Email", "type": "email", "maps_to": "contact.email", "required": True},
    {"label": "Phone", "type": "phone", "maps_to": "contact.phone"},
    {"label": "Company", "type": "text", "maps_to": "contact.company"},
    {"label": "Budget", "type": "text", "maps_to": "deal.amount"},
    {"label": "Topic", "type": "select", "options": ["Sales", "Support"]},
    {"label": "Message", "type": "textarea"},
    {"label": "I agree", "type": "checkbox", "required": True},
]
GOOD = {
    "name": "Olivia",
    "email": "Olivia@Example.com",
    "phone": "+1 415 555 0123",
    "company": "Oak Ltd",
    "budget": "1500",
    "topic": "Sales",
    "message": "Please call me about 20 chairs.",
    "i_agree": True,
    "utm_source": "google",
    "utm_medium": "cpc",
    "utm_campaign": "spring",
    "referrer": "https://www.google.com/",
    "landing_page": "https://shop.example/chairs?utm_source=google&utm_term=chairs",
    "page": "https://shop.example/contact",
}


def make_form(owner, stage=None, **extra) -> WebForm:
    with tenant_scope(owner.tenant_id, owner.user):
        return webforms.form_create(
            actor=owner,
            name=extra.pop("name", "Contact us"),
            fields=extra.pop("fields", FIELDS),
            thank_you="Thanks, we will call you.",
            stage=stage,
            pipeline=stage.pipeline if stage else None,
            **extra,
        )


def second_stage(tenant):
    with tenant_scope(tenant):
        return (
            Stage.objects.select_related("pipeline")
            .filter(kind=Stage.OPEN)
            .order_by("pipeline_id", "position")[1]
        )


def endpoint(form) -> str:
    return reverse("form_webhook", args=[form.channel.webhook_token])


def submit(client, form, data, capture=None, remote_addr="127.0.0.1", **headers):
    def post():
        return client.post(endpoint(form), json.dumps(data), content_type="application/json",
                           headers=headers, REMOTE_ADDR=remote_addr)  # fmt: skip

    if capture is None:
        return post()
    with capture(execute=True):
        return post()


def test_a_good_submission_makes_the_client_the_conversation_and_a_deal_in_the_stage(
    client, workspace, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    stage = second_stage(tenant)
    form = make_form(owner, stage=stage, responsible=owner.user)
    response = submit(client, form, GOOD, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    assert response.json()["message"] == "Thanks, we will call you."
    assert response.json()["visitor"]
    with tenant_scope(tenant):
        contact = Contact.objects.get(emails__contains=["olivia@example.com"])
        assert contact.first_name == "Olivia"
        assert contact.phones == ["+14155550123"]
        assert contact.company.name == "Oak Ltd"
        assert (contact.source, contact.utm_source, contact.utm_medium, contact.utm_campaign,
                contact.utm_term) == ("google", "google", "cpc", "spring", "chairs")  # fmt: skip
        conversation = Conversation.objects.get(channel=form.channel)
        assert conversation.contact_id == contact.pk
        assert conversation.assignee_id == owner.user_id
        message = Message.objects.get(conversation=conversation)
        assert message.kind == "form"
        assert message.text == "Please call me about 20 chairs."
        assert message.meta["referrer"] == "https://www.google.com/"
        assert message.meta["landing_page"].startswith("https://shop.example/chairs")
        deal = Deal.objects.get()
        assert deal.stage_id == stage.pk and deal.pipeline_id == stage.pipeline_id
        assert str(deal.amount) == "1500.00"
        assert list(deal.contacts.all()) == [contact]
        assert (deal.utm_source, deal.utm_campaign, deal.utm_term) == ("google", "spring",
                                                                       "chairs")  # fmt: skip
        event = Event.objects.get(type="form.submitted")
        assert event.subject_id == conversation.pk
        assert event.data["contact"] == contact.pk and event.data["deal"] == deal.pk
        assert event.data["utm"]["utm_campaign"] == "spring"
        assert RawDelivery.objects.get().status == RawDelivery.PROCESSED
        dispatch_pending()
        assert TimelineEntry.objects.filter(
            event=event, object_type="contact", object_id=contact.pk
        ).exists()


def test_a_known_client_is_matched_and_keeps_where_they_first_came_from(
    client, workspace, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    known = new_contact(owner, first_name="Olivia", emails="olivia@example.com",
                        utm_source="newsletter", source="newsletter")  # fmt: skip
    form = make_form(owner)
    response = submit(client, form, GOOD, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201
    with tenant_scope(tenant):
        assert Contact.objects.count() == 1
        known.refresh_from_db()
        assert known.utm_source == "newsletter"
        assert Conversation.objects.get(channel=form.channel).contact_id == known.pk
        assert not Deal.objects.exists()  # the form names no stage


def test_bad_input_answers_400_per_field_and_stores_nothing(client, workspace):
    tenant, owner = workspace
    form = make_form(owner)
    bad = {**GOOD, "name": "", "email": "not-an-email", "phone": "12", "topic": "Other",
           "budget": "lots", "i_agree": False}  # fmt: skip
    response = submit(client, form, bad)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"name", "email", "phone", "topic", "budget", "i_agree"}
    assert errors["name"] == ["This field is required."]
    assert "not an email address" in errors["email"][0]
    for body in (b"not json", b"[1, 2]"):
        response = client.post(endpoint(form), body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]
    with tenant_scope(tenant):
        assert not RawDelivery.objects.exists() and not Message.objects.exists()


def test_errors_are_translated(client, workspace):
    _tenant, owner = workspace
    form = make_form(owner)
    response = client.post(endpoint(form), json.dumps({**GOOD, "name": ""}),
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="ru")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"]["name"] == ["Обязательное поле."]


def test_the_honeypot_thanks_the_bot_and_keeps_nothing(client, workspace):
    tenant, owner = workspace
    form = make_form(owner)
    response = submit(client, form, {**GOOD, webforms.HONEYPOT: "http://spam.example"})
    assert response.status_code == 200
    assert response.json()["message"] == "Thanks, we will call you."
    with tenant_scope(tenant):
        assert not RawDelivery.objects.exists() and not Contact.objects.exists()


def test_the_rate_limit_per_address_and_form_answers_429(client, workspace, settings):
    tenant, owner = workspace
    settings.SITE_RATE_LIMITS = {**settings.SITE_RATE_LIMITS, "form": 3}
    form, other = make_form(owner), make_form(owner, name="Other form")
    for i in range(3):
        assert submit(client, form, {**GOOD, "email": f"p{i}@example.com"}).status_code == 201
    refused = submit(client, form, GOOD)
    assert refused.status_code == 429
    assert "Too many requests" in refused.json()["error"] and refused["Retry-After"] == "60"
    # Another address, or another form, has its own count.
    assert submit(client, form, GOOD, remote_addr="10.0.0.2").status_code == 201
    assert submit(client, other, GOOD).status_code == 201
    with tenant_scope(tenant):
        assert RawDelivery.objects.count() == 5


def test_cors_allows_the_forms_sites_only(client, workspace):
    tenant, owner = workspace
    form = make_form(owner, allowed_origins="https://shop.example")
    preflight = client.options(endpoint(form), headers={"Origin": "https://shop.example",
                               "Access-Control-Request-Method": "POST"})  # fmt: skip
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    ok = submit(client, form, GOOD, Origin="https://shop.example")
    assert ok.status_code == 201 and ok["Access-Control-Allow-Origin"] == "https://shop.example"
    refused = submit(client, form, GOOD, Origin="https://evil.example")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    assert (
        client.options(endpoint(form), headers={"Origin": "https://evil.example"}).status_code
        == 403
    )
    with tenant_scope(tenant):
        assert RawDelivery.objects.count() == 1
    # A form naming no site takes any.
    open_form = make_form(owner, name="Open")
    assert submit(client, open_form, GOOD, Origin="https://any.example").status_code == 201


def test_the_schema_for_the_embed_script_names_no_mapping(client, workspace):
    _tenant, owner = workspace
    form = make_form(owner)
    body = client.get(endpoint(form)).json()
    assert [f["key"] for f in body["fields"]][:3] == ["name", "email", "phone"]
    assert "maps_to" not in body["fields"][0] and body["honeypot"] == webforms.HONEYPOT


def test_the_plain_page_works_without_javascript_and_may_be_framed(
    client, workspace, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    form = make_form(owner, allowed_origins="https://shop.example")
    url = reverse("webform_page", args=[form.channel.webhook_token])
    page = client.get(url)
    assert page.status_code == 200 and b'name="homepage"' in page.content
    assert "frame-ancestors https://shop.example" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    invalid = client.post(url, {"name": "", "email": "x"})
    assert invalid.status_code == 400 and "This field is required." in invalid.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            url, {k: v for k, v in GOOD.items() if k != "i_agree"} | {"i_agree": "on"}
        )
    assert sent.status_code == 200 and "Thanks, we will call you." in sent.content.decode()
    with tenant_scope(tenant):
        assert Message.objects.filter(kind="form").count() == 1


def test_a_token_of_one_workspace_never_writes_into_another(client, workspace, other_workspace):
    tenant, owner = workspace
    other_tenant, _other_owner = other_workspace
    form = make_form(owner)
    token = form.channel.webhook_token
    # The other workspace's id with this form's secret part, and garbage.
    forged = f"{other_tenant.pk}_{token.partition('_')[2]}"
    for bad in (forged, "nonsense", f"{tenant.pk}_nope"):
        url = reverse("form_webhook", args=[bad])
        assert (
            client.post(url, json.dumps(GOOD), content_type="application/json").status_code == 404
        )
        assert client.get(reverse("webform_page", args=[bad])).status_code == 404
    with tenant_scope(other_tenant):
        assert not RawDelivery.objects.exists() and not Contact.objects.exists()


def test_a_visitor_token_of_another_workspace_is_ignored(
    client, workspace, other_workspace, django_capture_on_commit_callbacks
):
    from integrations import site
    from integrations.models import Visitor

    tenant, owner = workspace
    other_tenant, _ = other_workspace
    form = make_form(owner)
    foreign = site.visitor_token(other_tenant.pk, "k" * 24)
    response = submit(client, form, {**GOOD, "visitor": foreign},
                      capture=django_capture_on_commit_callbacks)  # fmt: skip
    assert response.status_code == 201
    with tenant_scope(tenant):
        assert not Visitor.objects.filter(key="k" * 24).exists()
        assert Visitor.objects.filter(contact__isnull=False).count() == 1  # a new one


# --- the builder --------------------------------------------------------------------------


def test_the_builder_is_for_admins_only(client, team):
    admin, mia, _carl = team
    form = make_form(admin)
    login(client, mia)
    for url in (
        reverse("webforms"),
        reverse("webform_new"),
        reverse("webform_edit", args=[form.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("webform_delete", args=[form.pk])).status_code == 403
    with tenant_scope(admin.tenant_id):
        assert WebForm.objects.filter(pk=form.pk).exists()
    assert api_client(mia).get("/api/v1/forms/").status_code == 403


def test_the_builder_pages_make_and_change_a_form(client, workspace):
    tenant, owner = workspace
    stage = second_stage(tenant)
    login(client, owner)
    assert client.get(reverse("webform_new")).status_code == 200
    data = {"name": "Quote request", "thank_you": "Thanks!", "stage": stage.pk,
            "responsible": owner.user_id, "allowed_origins": "https://shop.example/",
            "fields-TOTAL_FORMS": "3", "fields-INITIAL_FORMS": "0",
            "fields-0-label": "Your name", "fields-0-type": "text",
            "fields-0-maps_to": "contact.first_name", "fields-0-required": "on",
            "fields-1-label": "Email", "fields-1-type": "email",
            "fields-1-maps_to": "contact.email",
            "fields-2-label": "", "fields-2-type": "text"}  # fmt: skip
    response = client.post(reverse("webform_new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_scope(tenant):
        form = WebForm.objects.select_related("channel").get()
        assert [f["key"] for f in form.fields] == ["your_name", "email"]
        assert form.stage_id == stage.pk and form.allowed_origins == ["https://shop.example"]
        assert form.channel.kind == "form" and form.channel.status == Channel.ACTIVE
    url = endpoint(form)
    page = client.get(reverse("webform_edit", args=[form.pk]))
    assert form.channel.webhook_token in page.content.decode()
    # A label changes, the key stays; an email field cannot fill the phone.
    data.update({"fields-0-key": "your_name", "fields-0-label": "Full name",
                 "fields-1-key": "email", "fields-INITIAL_FORMS": "2"})  # fmt: skip
    assert client.post(reverse("webform_edit", args=[form.pk]), data).status_code == 302
    with tenant_scope(tenant):
        form.refresh_from_db()
        assert next((f["key"], f["label"]) for f in form.fields) == ("your_name", "Full name")
    data["fields-1-maps_to"] = "contact.phone"
    refused = client.post(reverse("webform_edit", args=[form.pk]), data)
    assert refused.status_code == 200 and "make it a field of type" in refused.content.decode()
    assert client.post(reverse("webform_delete", args=[form.pk])).status_code == 302
    with tenant_scope(tenant):
        assert not WebForm.objects.exists() and Channel.objects.filter(kind="form").exists()
    assert client.post(url, "{}", content_type="application/json").status_code == 404


def test_the_builder_pages_of_another_workspace_answer_404(client, workspace, other_workspace):
    _tenant, owner = workspace
    form = make_form(owner)
    _other, other_owner = other_workspace
    login(client, other_owner)
    assert client.get(reverse("webform_edit", args=[form.pk])).status_code == 404
    assert client.post(reverse("webform_delete", args=[form.pk])).status_code == 404
    assert form.name not in client.get(reverse("webforms")).content.decode()


def test_the_builder_list_keeps_its_query_count(client, workspace, django_assert_max_num_queries):
    _tenant, owner = workspace
    for i in range(4):
        make_form(owner, name=f"Form {i}")
    login(client, owner)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("webforms")).status_code == 200


def test_form_conversations_follow_the_inbox_visibility(
    client, team, django_capture_on_commit_callbacks
):
    """A manager who sees their own: the conversation of a form whose responsible is a
    colleague is not theirs to read, through the page or the API."""
    admin, mia, carl = team
    form = make_form(admin, responsible=carl.user)
    submit(client, form, GOOD, capture=django_capture_on_commit_callbacks)
    with tenant_scope(admin.tenant_id):
        conversation = Conversation.objects.get(channel=form.channel)
    assert conversation.assignee_id == carl.user_id
    mine = api_client(mia).get("/api/v1/conversations/").json()["results"]
    assert mine == []
    assert api_client(carl).get("/api/v1/conversations/").json()["results"][0]["id"] == (
        conversation.pk
    )
    login(client, mia)
    assert client.get(reverse("inbox_conversation", args=[conversation.pk])).status_code == 404


def test_the_forms_api_makes_lists_and_changes_forms(workspace, other_workspace):
    tenant, owner = workspace
    stage = second_stage(tenant)
    api = api_client(owner)
    created = api.post("/api/v1/forms/", {
        "name": "Quote", "fields": [{"label": "Email", "type": "email",
                                     "maps_to": "contact.email", "required": True}],
        "stage": stage.pk, "allowed_origins": ["https://shop.example"],
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    with tenant_scope(tenant):
        token = WebForm.objects.select_related("channel").get(pk=body["id"]).channel.webhook_token
    assert body["endpoint"].endswith(reverse("form_webhook", args=[token]))
    assert body["fields"][0]["key"] == "email"
    assert [f["id"] for f in api.get("/api/v1/forms/").json()["results"]] == [body["id"]]
    phone_as_text = [{"label": "Phone", "type": "text", "maps_to": "contact.phone"}]
    bad = api.patch(f"/api/v1/forms/{body['id']}/", {"fields": phone_as_text}, format="json")
    assert bad.status_code == 400 and "make it a field of type" in str(bad.json())
    renamed = api.patch(f"/api/v1/forms/{body['id']}/", {"name": "Quote request"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Quote request"
    # Another workspace's stage reads as missing.
    other_stage = second_stage(other_workspace[0])
    refused = api.post("/api/v1/forms/", {"name": "X", "stage": other_stage.pk,
                                          "fields": [{"label": "A", "type": "text"}]},
                       format="json")  # fmt: skip
    assert refused.status_code == 400
    assert api.delete(f"/api/v1/forms/{body['id']}/").status_code == 204


def test_the_endpoint_keeps_its_query_count(client, workspace, django_assert_max_num_queries):
    _tenant, owner = workspace
    form = make_form(owner)
    with django_assert_max_num_queries(6):
        assert client.get(endpoint(form)).status_code == 200
    with django_assert_max_num_queries(8):
        assert submit(client, form, GOOD).status_code == 201  # stored; ingested after commit
