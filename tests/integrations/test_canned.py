"""Canned responses: placeholders (whitelist, refused unknown ones, filled for the
conversation as the member may see it), the page, the thread's picker and the API; a
personal response is its owner's alone; workspaces are walled."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from crm.tenancy.context import tenant_scope
from deals import services as deal_services
from integrations import canned
from integrations.models import CannedResponse
from tests.conftest import api_client, login, make_workspace
from tests.contacts.conftest import new_company, new_contact

from .conftest import connect_channel
from .test_visibility import conversation

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
GREETING = "Hello {{contact.first_name}} from {{ company.name }}! {{manager.first_name}} here."


def make(actor, title="Greeting", text=GREETING, shared=False) -> CannedResponse:
    with tenant_scope(actor.tenant_id, actor.user):
        return canned.canned_create(actor=actor, title=title, text=text, shared=shared)


def test_placeholders_are_a_whitelist_substituted_without_a_template_engine():
    assert canned.unknown_placeholders(GREETING) == []
    assert canned.unknown_placeholders(
        "{{contact.email}} {{ contact.first_name.__class__ }} {{contact.email}} {% if x %}"
    ) == ["contact.email", "contact.first_name.__class__"]
    values = {"contact.first_name": "Ivan", "company.name": "Acme"}
    assert canned.substitute(GREETING, values) == "Hello Ivan from Acme!  here."
    # A value is text, never read again as a placeholder or markup.
    assert canned.substitute("{{contact.first_name}}", {"contact.first_name": "{{deal.title}}"}) \
        == "{{deal.title}}"  # fmt: skip
    assert canned.substitute("{{ unknown }} {{x", {}) == "{{ unknown }} {{x"


def test_an_unknown_placeholder_is_refused_by_name_and_nothing_is_saved(workspace):
    tenant, owner = workspace
    with pytest.raises(ValidationError) as refused:
        make(owner, text="Dear {{contact.email}}, {{ contact.first_name }}")
    message = refused.value.message_dict["text"][0]
    assert "{{contact.email}}" in message and "{{contact.first_name}}" in message
    with pytest.raises(ValidationError) as empty:
        make(owner, title=" ", text=" ")
    assert set(empty.value.message_dict) == {"title", "text"}
    with tenant_scope(tenant):
        assert not CannedResponse.objects.exists()


def test_placeholders_are_filled_for_the_conversation(workspace, telegram):
    tenant, owner = workspace
    channel = connect_channel(owner, telegram)
    company = new_company(owner, name="Petrov Trading")
    ivan = new_contact(owner, first_name="Ivan", last_name="Petrov", company=company)
    with tenant_scope(tenant, owner.user):
        deal_services.deal_create(actor=owner, data={"title": "Old deal", "contacts": [ivan]})
        deal_services.deal_create(actor=owner, data={"title": "Spring order", "contacts": [ivan]})
    c = conversation(channel, 1, contact=ivan)
    response = make(owner, text=GREETING + " Re: {{deal.title}}, {{contact.full_name}}")
    with tenant_scope(tenant, owner.user):
        text = canned.render(owner, response, c)
    first = owner.user.first_name
    assert text == f"Hello Ivan from Petrov Trading! {first} here. Re: Spring order, Ivan Petrov"
    # No client linked: the client's placeholders are empty, the manager's are not.
    unknown = conversation(channel, 2)
    with tenant_scope(tenant, owner.user):
        assert canned.render(owner, response, unknown).startswith("Hello  from ! ")


def test_a_client_the_member_cannot_see_gives_empty_values(team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    hidden = new_contact(carl, first_name="Vera", last_name="Hidden")
    # Assigned to Mia, about Carl's client: Mia answers, without Vera's name.
    c = conversation(channel, 1, contact=hidden, assignee=mia)
    response = make(mia, text="Hi {{contact.full_name}}")
    with tenant_scope(mia.tenant_id, mia.user):
        assert canned.render(mia, response, c) == "Hi "


def test_a_personal_response_is_its_owners_alone(team):
    admin, mia, carl = team
    shared = make(admin, title="Shared", shared=True)
    mine = make(mia, title="Mia's own")
    carls = make(carl, title="Carl's own")
    with tenant_scope(mia.tenant_id):
        assert set(canned.canned_for(mia)) == {shared, mine}
        assert set(canned.canned_for(admin)) == {shared}  # not even an admin sees Mia's
        for call in (
            lambda: canned.canned_update(actor=mia, response=carls, title="x", text="y"),
            lambda: canned.canned_delete(actor=mia, response=carls),
            # A manager may not change the workspace's shared ones, nor share her own.
            lambda: canned.canned_update(actor=mia, response=shared, title="x", text="y"),
            lambda: canned.canned_update(actor=mia, response=mine, title="x", text="y",
                                         shared=True),
            lambda: canned.canned_create(actor=mia, title="x", text="y", shared=True),
        ):  # fmt: skip
            with pytest.raises(PermissionDenied):
                call()
        carls.refresh_from_db()
        assert carls.title == "Carl's own"


def test_the_page_lists_creates_edits_and_deletes_with_clear_errors(team):
    admin, mia, carl = team
    make(carl, title="Carl's secret answer")
    make(admin, title="Shared welcome", shared=True)
    page = login(Client(), mia)
    listed = page.get("/inbox/canned/")
    text = listed.content.decode()
    assert listed.status_code == 200
    assert "Shared welcome" in text and "Carl's secret answer" not in text
    assert "{{contact.first_name}}" in text  # the placeholders are listed
    assert 'name="shared"' not in text  # a manager cannot share

    bad = page.post("/inbox/canned/", {"title": "Typo", "text": "Dear {{contact.name}}"})
    assert bad.status_code == 200
    assert "Unknown placeholder: {{contact.name}}" in bad.content.decode()
    assert "Dear {{contact.name}}" in bad.content.decode()  # what was typed is kept
    made = page.post("/inbox/canned/", {"title": "Thanks", "text": "Thanks {{contact.first_name}}"})
    assert made.status_code == 302
    with tenant_scope(mia.tenant_id):
        thanks = CannedResponse.objects.get(title="Thanks")
        assert thanks.owner_id == mia.user_id
    edited = page.post(f"/inbox/canned/{thanks.pk}/", {"title": "Thank you", "text": "Thanks!"})
    assert edited.status_code == 302
    with tenant_scope(mia.tenant_id):
        thanks.refresh_from_db()
        assert thanks.title == "Thank you"
    assert page.post(f"/inbox/canned/{thanks.pk}/delete/").status_code == 302
    with tenant_scope(mia.tenant_id):
        assert not CannedResponse.objects.filter(pk=thanks.pk).exists()

    admin_page = login(Client(), admin)
    assert 'name="shared"' in admin_page.get("/inbox/canned/").content.decode()
    admin_page.post("/inbox/canned/", {"title": "Team hello", "text": "Hi", "shared": "on"})
    with tenant_scope(admin.tenant_id):
        assert CannedResponse.objects.get(title="Team hello").shared


def test_a_colleagues_personal_response_cannot_be_reached_through_the_pages(team):
    _admin, mia, carl = team
    carls = make(carl, title="Carl's quokka answer")
    page = login(Client(), mia)
    assert page.get(f"/inbox/canned/{carls.pk}/").status_code == 404
    assert page.post(f"/inbox/canned/{carls.pk}/", {"title": "x", "text": "y"}).status_code == 404
    assert page.post(f"/inbox/canned/{carls.pk}/delete/").status_code == 404
    assert "answer" not in page.get("/inbox/canned/", {"q": "quokka"}).content.decode()
    with tenant_scope(carl.tenant_id):
        carls.refresh_from_db()
        assert carls.title == "Carl's quokka answer"


def test_the_threads_picker_renders_responses_for_the_conversation(
    team, telegram, django_assert_max_num_queries
):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    ivan = new_contact(mia, first_name="Ivan", last_name="Petrov")
    c = conversation(channel, 1, contact=ivan, assignee=mia)
    make(mia, title="Greeting", text="Hello {{contact.first_name}}!")
    make(carl, title="Carl's greeting", text="Hi from Carl")
    page = login(Client(), mia)
    thread = page.get(f"/inbox/{c.pk}/").content.decode()
    assert f"/inbox/{c.pk}/canned/" in thread and f"/inbox/{c.pk}/mentions/" in thread
    picker = page.get(f"/inbox/{c.pk}/canned/", headers=HTMX)
    text = picker.content.decode()
    assert picker.status_code == 200
    assert 'data-canned-text="Hello Ivan!"' in text and "Carl" not in text
    assert "Greeting" in page.get(f"/inbox/{c.pk}/canned/", {"q": "greet"}).content.decode()
    assert "Greeting" not in page.get(f"/inbox/{c.pk}/canned/", {"q": "zzz"}).content.decode()
    with django_assert_max_num_queries(20) as few:
        page.get(f"/inbox/{c.pk}/canned/")
    for i in range(10):
        make(mia, title=f"More {i}", text="{{contact.full_name}} {{deal.title}}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page.get(f"/inbox/{c.pk}/canned/")
    # Carl cannot open Mia's conversation, so not its picker either.
    assert login(Client(), carl).get(f"/inbox/{c.pk}/canned/").status_code == 404


def test_the_api_creates_lists_renders_updates_and_deletes(team, telegram):
    admin, mia, carl = team
    channel = connect_channel(admin, telegram)
    ivan = new_contact(mia, first_name="Ivan")
    c = conversation(channel, 1, contact=ivan, assignee=mia)
    api = api_client(mia)
    bad = api.post("/api/v1/canned-responses/", {"title": "T", "text": "{{contact.phone}}"},
                   format="json")  # fmt: skip
    assert bad.status_code == 400 and "{{contact.phone}}" in str(bad.json())
    hello = {"title": "Hi", "text": "Hi {{contact.first_name}}"}
    made = api.post("/api/v1/canned-responses/", hello, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["shared"] is False and body["owner"] == mia.user_id
    assert api.post("/api/v1/canned-responses/", {"title": "S", "text": "s", "shared": True},
                    format="json").status_code == 403  # fmt: skip
    rendered = api.get(f"/api/v1/canned-responses/{body['id']}/render/", {"conversation": c.pk})
    assert rendered.status_code == 200 and rendered.json() == {"text": "Hi Ivan"}
    assert api.get(f"/api/v1/canned-responses/{body['id']}/render/",
                   {"conversation": "x"}).status_code == 400  # fmt: skip
    patched = api.patch(f"/api/v1/canned-responses/{body['id']}/", {"title": "Hello"},
                        format="json")  # fmt: skip
    assert patched.status_code == 200 and patched.json()["title"] == "Hello"
    listed = api.get("/api/v1/canned-responses/").json()["results"]
    assert [r["title"] for r in listed] == ["Hello"]

    # Carl sees nothing of Mia's, and changes nothing of it.
    carl_api = api_client(carl)
    assert carl_api.get("/api/v1/canned-responses/").json()["results"] == []
    for method in ("get", "patch", "delete"):
        response = getattr(carl_api, method)(f"/api/v1/canned-responses/{body['id']}/",
                                             {"title": "x"}, format="json")  # fmt: skip
        assert response.status_code == 404
    assert carl_api.get(f"/api/v1/canned-responses/{body['id']}/render/",
                        {"conversation": c.pk}).status_code == 404  # fmt: skip
    assert api.delete(f"/api/v1/canned-responses/{body['id']}/").status_code == 204


def test_another_workspace_sees_nothing(workspace, telegram):
    _tenant, owner = workspace
    shared = make(owner, title="Acme hello", shared=True)
    _other, stranger = make_workspace("Globex")
    api = api_client(stranger)
    assert api.get("/api/v1/canned-responses/").json()["results"] == []
    assert api.get(f"/api/v1/canned-responses/{shared.pk}/").status_code == 404
    assert api.delete(f"/api/v1/canned-responses/{shared.pk}/").status_code == 404
    page = login(Client(), stranger)
    assert page.get(f"/inbox/canned/{shared.pk}/").status_code == 404
    assert "Acme hello" not in page.get("/inbox/canned/").content.decode()
