import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contacts import services
from contacts.models import Company, Contact
from crm.activity import services as activity_services
from crm.activity.dispatch import dispatch_pending
from crm.activity.models import AuditEntry, Event, Note, TimelineEntry
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member
from tests.contacts.conftest import new_company, new_contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_create_normalises_what_people_type(ru_workspace):
    _, owner = ru_workspace
    c = new_contact(
        owner,
        first_name=" Ivan ",
        last_name="Petrov",
        emails="Ivan@Example.COM, ivan@example.com; i.petrov@example.com",
        phones="8 (916) 123-45-67\n+7 916 123 45 67",
        tags="vip, vip, retail",
    )
    assert c.first_name == "Ivan"
    assert c.emails == ["ivan@example.com", "i.petrov@example.com"]
    assert c.phones == ["+79161234567"]
    assert c.tags == ["vip", "retail"]
    assert c.owner == owner.user
    assert "79161234567" in c.search and "ivan petrov" in c.search


def test_bad_values_are_reported_by_field_and_nothing_is_saved(workspace):
    _, owner = workspace
    with pytest.raises(ValidationError) as err:
        new_contact(owner, first_name="X", emails="not-an-email", phones="12")
    assert set(err.value.message_dict) == {"emails", "phones"}
    assert "not-an-email" in err.value.message_dict["emails"][0]
    with tenant_scope(owner.tenant_id):
        assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"emails": "IVAN@example.com"}, "email"),
        ({"phones": "+1 (415) 555-0100"}, "phone"),
    ],
)
def test_possible_duplicates_are_shown_before_saving(workspace, data, why):
    _, owner = workspace
    first = new_contact(owner, first_name="Ivan", emails="ivan@example.com", phones="+14155550100")
    with pytest.raises(services.DuplicatesFound) as err:
        new_contact(owner, first_name="Someone", **data)
    assert err.value.candidates == [first]
    # Creating anyway is a deliberate choice.
    new_contact(owner, first_name="Someone", _dup=True, **data)


def test_a_similar_name_in_the_same_company_is_a_possible_duplicate(workspace):
    _, owner = workspace
    acme = new_company(owner, name="Acme")
    ivan = new_contact(owner, first_name="Ivan", last_name="Petrov", company=acme)
    with pytest.raises(services.DuplicatesFound):
        new_contact(owner, first_name="Ivan", last_name="Petrof", company=acme)
    new_contact(owner, first_name="Ivan", last_name="Petrof")  # no company: a different person
    assert ivan.pk


def test_companies_are_duplicates_by_domain_or_similar_name(workspace):
    _, owner = workspace
    new_company(owner, name="Northwind Traders", website="https://www.northwind.example/")
    with pytest.raises(services.DuplicatesFound):
        new_company(owner, name="NW", website="northwind.example")
    with pytest.raises(services.DuplicatesFound):
        new_company(owner, name="Northwind Trader")


def test_update_is_audited_and_renaming_a_company_updates_contact_search(workspace):
    tenant, owner = workspace
    acme = new_company(owner, name="Acme")
    ivan = new_contact(owner, first_name="Ivan", company=acme)
    with tenant_scope(tenant):
        services.record_update(actor=owner, record=acme, data={"name": "Globex"})
        ivan.refresh_from_db()
        assert "globex" in ivan.search
        dispatch_pending()
        entry = AuditEntry.objects.get(action="company.updated")
        assert entry.changes == {"name": ["Acme", "Globex"]}


def test_custom_fields_are_validated_and_stored(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant):
        services.custom_field_save(
            actor=owner,
            object_type="contact",
            key="segment",
            label="Segment",
            field_type="select",
            options=["A", "B"],
        )
        services.custom_field_save(
            actor=owner, object_type="contact", key="budget", label="Budget", field_type="money"
        )
    c = new_contact(owner, first_name="A", custom={"segment": "A", "budget": "1 500,50"})
    assert c.custom == {"segment": "A", "budget": 1500.5}
    with pytest.raises(ValidationError) as err:
        new_contact(owner, first_name="B", custom={"segment": "Z"})
    assert "Segment" in str(err.value)
    with pytest.raises(ValidationError, match="Unknown fields"):
        new_contact(owner, first_name="C", custom={"nope": 1})


def test_merge_moves_history_and_unites_channels(workspace):
    tenant, owner = workspace
    a = new_contact(
        owner, first_name="Ivan", last_name="Petrov", emails="a@example.com", tags="vip"
    )
    b = new_contact(
        owner,
        first_name="Ivan",
        last_name="Petrov Jr",
        emails="b@example.com",
        phones="+14155550100",
        position="CEO",
        _dup=True,
    )
    with tenant_scope(tenant):
        activity_services.note_add(actor=owner, subject=b, body="Called, wants a discount")
        dispatch_pending()
        survivor = services.merge(
            actor=owner, survivor=a, others=[b], picks={"last_name": b.pk, "position": b.pk}
        )
        dispatch_pending()
        assert not Contact.objects.filter(pk=b.pk).exists()
        assert survivor.emails == ["a@example.com", "b@example.com"]
        assert survivor.phones == ["+14155550100"]
        assert (survivor.last_name, survivor.position) == ("Petrov Jr", "CEO")
        assert Note.objects.get().object_id == a.pk
        types = set(
            TimelineEntry.objects.filter(object_type="contact", object_id=a.pk).values_list(
                "event__type", flat=True
            )
        )
        assert {"contact.created", "note.added", "contact.merged"} <= types
        assert not TimelineEntry.objects.filter(object_type="contact", object_id=b.pk).exists()
        merged = AuditEntry.objects.get(action="contact.merged")
        assert merged.changes["last_name"] == ["Petrov", "Petrov Jr"]


def test_merging_companies_moves_their_contacts(workspace):
    tenant, owner = workspace
    a = new_company(owner, name="Acme")
    b = new_company(owner, name="ACME Ltd", website="acme.example")
    person = new_contact(owner, first_name="Ann", company=b)
    other = new_contact(owner, first_name="Bob", company=b)
    with tenant_scope(tenant):
        dispatch_pending()
        services.merge(actor=owner, survivor=a, others=[b])
        person.refresh_from_db()
        assert person.company_id == a.pk
        assert "acme" in person.search and "ltd" not in person.search  # found by its new name
        moved = Event.objects.filter(type="contact.updated").order_by("subject_id")
        assert [(e.subject_id, e.data["changes"]) for e in moved] == [
            (person.pk, {"company": ["ACME Ltd", "Acme"]}),
            (other.pk, {"company": ["ACME Ltd", "Acme"]}),
        ]
        assert all(e.related == [["company", a.pk]] for e in moved)
        dispatch_pending()
        on_card = TimelineEntry.objects.filter(object_type="contact", object_id=person.pk)
        assert "contact.updated" in set(on_card.values_list("event__type", flat=True))


def test_roles_limit_what_services_do(workspace):
    tenant, _owner = workspace
    accountant = add_member(tenant, "accountant")
    with tenant_scope(tenant), pytest.raises(PermissionDenied):
        services.record_create(actor=accountant, model=Contact, data={"first_name": "X"})


def test_bulk_actions(workspace):
    tenant, owner = workspace
    other = add_member(tenant, "manager")
    people = ContactFactory.create_batch(3, actor=owner, tags="old")
    with tenant_scope(tenant):
        qs = Contact.objects.filter(pk__in=[p.pk for p in people[:2]])
        assert (
            services.bulk_action(actor=owner, queryset=qs, action="assign_owner", value=other.user)
            == 2
        )
        services.bulk_action(
            actor=owner, queryset=Contact.objects.all(), action="add_tags", value=["new"]
        )
        services.bulk_action(
            actor=owner, queryset=Contact.objects.all(), action="remove_tags", value=["old"]
        )
        assert set(Contact.objects.values_list("owner_id", flat=True)) == {
            other.user_id,
            owner.user_id,
        }
        assert all(c.tags == ["new"] for c in Contact.objects.all())
        services.bulk_action(
            actor=owner, queryset=Contact.objects.filter(pk=people[2].pk), action="delete"
        )
        assert Contact.objects.count() == 2


def test_private_clients_have_no_company(workspace):
    _, owner = workspace
    c = new_contact(owner, first_name="Solo", phones="+14155550199")
    assert c.company is None and str(c) == "Solo"
    assert Company.objects is not None


def test_notes_and_won_deals_move_last_activity_and_last_purchase(workspace):
    from deals import services as deal_services

    tenant, owner = workspace
    acme = new_company(owner, name="Acme")
    ann = new_contact(owner, first_name="Ann", company=acme)
    with tenant_scope(tenant):
        dispatch_pending()
        assert Contact.objects.get(pk=ann.pk).last_activity_at is None
        activity_services.note_add(actor=owner, subject=ann, body="Met at the fair")
        dispatch_pending()
        assert Contact.objects.get(pk=ann.pk).last_activity_at is not None
        deal = deal_services.deal_create(
            actor=owner, data={"title": "Order", "company": acme, "contacts": [ann], "amount": 100}
        )
        deal_services.deal_won(actor=owner, deal=deal)
        dispatch_pending()
        assert Contact.objects.get(pk=ann.pk).last_purchase_at is not None
        assert Company.objects.get(pk=acme.pk).last_purchase_at is not None
        sleeping = new_contact(owner, first_name="Sleepy")
        from contacts import selectors

        rows = selectors.apply_filters(Contact.objects.all(), {"no_purchase_days": "90"}, "contact")
        assert set(rows.values_list("pk", flat=True)) == {sleeping.pk}
