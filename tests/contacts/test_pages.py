import csv
import io

import pytest
from django.urls import reverse

from contacts import services
from contacts.models import Contact, Segment
from crm.accounts import services as account_services
from crm.accounts.models import Role
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, login
from tests.contacts.conftest import new_company, new_contact
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["contacts", "companies"])
def test_lists_render_a_page_with_bounded_queries(
    kind, client, workspace, django_assert_max_num_queries
):
    tenant, owner = workspace
    acme = CompanyFactory(actor=owner, name="Acme")
    with tenant_scope(tenant):
        services.custom_field_save(
            actor=owner,
            object_type="contact",
            key="tier",
            label="Tier",
            field_type="select",
            options=["a", "b"],
        )
        Contact.objects.bulk_create(ContactFactory.build_batch(120, company=acme, owner=owner.user))
    login(client, owner)
    with django_assert_max_num_queries(16):
        response = client.get(f"/{kind}/", {"ordering": "-created_at"})
    assert response.status_code == 200
    assert b"Acme" in response.content


def test_empty_list_invites_to_add_or_import(client, workspace):
    response = login(client, workspace[1]).get("/contacts/")
    assert b"No contacts yet" in response.content


def test_card_shows_details_and_history(client, workspace, django_capture_on_commit_callbacks):
    _tenant, owner = workspace
    with django_capture_on_commit_callbacks(execute=True):
        ann = new_contact(owner, first_name="Ann", last_name="Lee", emails="ann@x.example")
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("contact_note", args=[ann.pk]), {"body": "Wants a demo on Friday"})
    page = client.get(reverse("contact_card", args=[ann.pk])).content.decode()
    assert "Ann Lee" in page and "ann@x.example" in page
    assert "Wants a demo on Friday" in page


def test_a_field_is_edited_in_place(client, ru_workspace):
    tenant, owner = ru_workspace
    ann = new_contact(owner, first_name="Ann")
    login(client, owner)
    url = reverse("contact_field", args=[ann.pk, "phones"])
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert b'name="phones"' in form.content
    saved = client.post(url, {"phones": "8 916 123 45 67"}, HTTP_HX_REQUEST="true")
    assert b"+7 916 123-45-67" in saved.content
    bad = client.post(url, {"phones": "12"}, HTTP_HX_REQUEST="true")
    assert "is not a phone number" in bad.content.decode()
    with tenant_scope(tenant):
        assert Contact.objects.get(pk=ann.pk).phones == ["+79161234567"]


def test_new_contact_warns_about_a_duplicate_first(client, workspace):
    _, owner = workspace
    new_contact(owner, first_name="Ann", emails="ann@x.example")
    login(client, owner)
    data = {"first_name": "Anna", "emails": "ANN@x.example"}
    warned = client.post(reverse("contact_new"), data)
    assert warned.status_code == 200 and b"duplicate-warning" in warned.content
    created = client.post(reverse("contact_new"), {**data, "allow_duplicate": "1"})
    assert created.status_code == 302


def test_merge_page_flow(client, workspace):
    tenant, owner = workspace
    a = new_contact(owner, first_name="Ann", emails="ann@x.example")
    b = new_contact(owner, first_name="Anne", emails="ann@x.example", _dup=True)
    login(client, owner)
    groups = client.get(reverse("contact_duplicates")).content.decode()
    assert "same email" in groups
    page = client.get(reverse("contact_merge"), {"ids": f"{a.pk},{b.pk}"})
    assert page.status_code == 200
    response = client.post(
        reverse("contact_merge"), {"ids": [a.pk, b.pk], "survivor": a.pk, "pick_first_name": b.pk}
    )
    assert response.status_code == 302
    with tenant_scope(tenant):
        assert list(Contact.objects.values_list("first_name", flat=True)) == ["Anne"]


def test_export_streams_only_visible_rows_and_neutralises_formulas(client, workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    new_contact(owner, first_name='=HYPERLINK("http://evil")', last_name="+cmd")
    with tenant_scope(tenant):
        services.record_create(actor=manager, model=Contact, data={"first_name": "Mine"})
    response = login(client, owner).get(reverse("contact_export"), {"format": "csv"})
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    names = {r[1] for r in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in names and "Mine" in names
    assert rows[1][2].startswith("'") or rows[2][2].startswith("'")
    # A manager has no export permission by default.
    assert login(client, manager).get(reverse("contact_export")).status_code == 403
    with tenant_scope(tenant):
        role = Role.objects.get(key="manager")
        grants = {
            **role.grants,
            "contact": {**role.grants["contact"], "actions": ["view", "export"]},
        }
        account_services.role_save(actor=owner, role=role, name=role.name, grants=grants)
    response = client.get(reverse("contact_export"), {"format": "xlsx"})
    assert response.status_code == 200
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    data = book.get_sheet_by_index(0).to_python()
    assert [r[1] for r in data[1:]] == ["Mine"]  # own visibility holds in exports too


def test_segments_save_and_apply_filters(client, workspace):
    tenant, owner = workspace
    new_contact(owner, first_name="Vip", tags="vip")
    new_contact(owner, first_name="Plain")
    login(client, owner)
    response = client.post(
        reverse("contact_segment_save"), {"name": "VIPs", "query": "tag=vip", "shared": "on"}
    )
    with tenant_scope(tenant):
        segment = Segment.objects.get()
    assert segment.filters == {"tag": ["vip"]} and segment.shared
    page = client.get(response["Location"]).content.decode()
    assert "Vip" in page and "Plain" not in page


def test_global_search_answers_as_you_type(client, workspace):
    _, owner = workspace
    acme = new_company(owner, name="Acme Logistics")
    new_contact(owner, first_name="Ivan", last_name="Petrov", company=acme)
    login(client, owner)
    html = client.get(reverse("global_search"), {"q": "petr"}).content.decode()
    assert "Ivan Petrov" in html
    html = client.get(reverse("global_search"), {"q": "logist"}).content.decode()
    assert "Acme Logistics" in html


class TestOtherWorkspaces:
    def test_cards_and_actions_are_not_found(self, client, workspace, other_workspace):
        _, owner_b = other_workspace
        theirs = new_contact(owner_b, first_name="Secret", emails="s@b.example")
        company = new_company(owner_b, name="Secret Co")
        login(client, workspace[1])
        for url in [
            reverse("contact_card", args=[theirs.pk]),
            reverse("contact_field", args=[theirs.pk, "position"]),
            reverse("contact_title", args=[theirs.pk]),
            reverse("company_card", args=[company.pk]),
        ]:
            assert client.get(url).status_code == 404, url
        for url in [
            reverse("contact_note", args=[theirs.pk]),
            reverse("contact_delete", args=[theirs.pk]),
            reverse("contact_field", args=[theirs.pk, "position"]),
        ]:
            assert client.post(url, {"body": "x", "position": "x"}).status_code == 404, url
        client.post(reverse("contact_bulk"), {"ids": [theirs.pk], "action": "delete"})
        client.post(reverse("contact_merge"), {"ids": [theirs.pk, theirs.pk]})
        assert "Secret" not in client.get("/contacts/").content.decode()
        assert (
            "Secret" not in client.get(reverse("global_search"), {"q": "secret"}).content.decode()
        )
        with tenant_scope(other_workspace[0]):
            assert Contact.objects.get(pk=theirs.pk).position == ""

    def test_a_manager_sees_only_own_clients_on_pages(self, client, workspace):
        tenant, owner = workspace
        manager = add_member(tenant, "manager")
        theirs = new_contact(owner, first_name="Owners")
        login(client, manager)
        assert client.get(reverse("contact_card", args=[theirs.pk])).status_code == 404
        assert "Owners" not in client.get("/contacts/").content.decode()


def test_cards_show_no_events_of_a_colleagues_deal_or_task(
    client, workspace, django_assert_max_num_queries
):
    """Priya ("own" visibility) owns Ann and Acme; the admin hangs a deal and a task of Ivan's
    on them. Their cards' timelines must not tell her anything about either."""
    from decimal import Decimal

    from crm.activity import services as activity_services
    from crm.activity.dispatch import dispatch_pending
    from deals import services as deal_services
    from tests.activity.helpers import new_task
    from tests.deals.test_board import funnel, new_deal

    tenant, admin = workspace
    priya, ivan = add_member(tenant, "manager"), add_member(tenant, "manager")
    acme = new_company(priya, name="Acme Ltd")
    ann = new_contact(priya, first_name="Ann", last_name="Lee", company=acme)
    _, stages = funnel(tenant)
    deal = new_deal(
        admin, stages[0], "Zanzibar forklifts", owner=ivan.user, amount=Decimal("98765"),
        utm_campaign="zanzibar-campaign", company=acme, contacts=[ann],
    )  # fmt: skip
    for i in range(10):
        with tenant_scope(tenant, ivan.user):
            deal_services.deal_update(
                actor=ivan, deal=deal, data={"title": f"Zanzibar forklifts x{i}", "amount": i}
            )
        new_task(admin, title=f"Zanzibar call {i}", subject=ann, assignee=ivan.user)
        new_task(admin, title=f"Priya's call {i}", subject=ann, assignee=priya.user)
    with tenant_scope(tenant, priya.user):
        activity_services.note_add(actor=priya, subject=ann, body="Prefers email")
    with tenant_scope(tenant):
        dispatch_pending()
    login(client, priya)
    for name, pk in (("contact_card", ann.pk), ("company_card", acme.pk)):
        with django_assert_max_num_queries(14):
            response = client.get(reverse(name, args=[pk]))
        html = response.content.decode()
        assert response.status_code == 200
        assert "zanzibar" not in html.lower() and "98765" not in html, name
    card = client.get(reverse("contact_card", args=[ann.pk])).content.decode()
    assert "Prefers email" in card and "Priya&#x27;s call 9" in card
    login(client, admin)
    assert (
        "Zanzibar forklifts x9"
        in client.get(reverse("contact_card", args=[ann.pk])).content.decode()
    )
