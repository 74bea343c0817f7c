"""Deal services: create with defaults, update and assign, moves with their stage history,
won/lost/reopen, line items driving the amount, contacts, files, permissions (no takeover
of a deal one cannot see), merges of contacts and companies, and the tasks hook."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contacts import services as contact_services
from contacts.models import Contact
from crm.accounts import services as account_services
from crm.activity.models import Event
from crm.tenancy.context import tenant_scope
from deals import services
from deals.models import Attachment, Deal, DealContact, LineItem, Product, StageHistory
from pipelines import services as pipeline_services
from pipelines.models import LostReason
from tests.conftest import add_member
from tests.contacts.conftest import new_company, new_contact
from tests.pipelines.helpers import funnel, new_deal, reload

pytestmark = pytest.mark.django_db


def events(tenant, type_):
    with tenant_scope(tenant):
        return list(Event.objects.filter(type=type_).order_by("id"))


def history(deal):
    with tenant_scope(deal.tenant_id):
        return list(StageHistory.objects.filter(deal=deal).order_by("entered_at", "id"))


# --- create and update -------------------------------------------------------------------


def test_create_fills_the_defaults(workspace):
    tenant, owner = workspace
    tenant.currency = "EUR"
    tenant.save()
    owner.tenant.currency = "EUR"
    pipeline, stages = funnel(tenant)
    first = new_deal(owner, title="  First  ", amount="1200.50", tags="vip, vip, new")
    second = new_deal(owner, title="Second")
    assert first.title == "First" and first.amount == Decimal("1200.50")
    assert (first.pipeline_id, first.stage_id, first.owner_id) == (
        pipeline.pk, stages["Lead"].pk, owner.user_id,
    )  # fmt: skip
    assert first.currency == "EUR" and first.status == Deal.OPEN
    assert first.tags == ["vip", "new"]
    assert second.position > first.position  # the end of the column
    [row] = history(first)
    assert row.stage_id == stages["Lead"].pk and row.left_at is None and row.moved_by == owner.user
    event = events(tenant, "deal.created")[0]
    assert event.subject_id == first.pk and event.data["stage"] == "Lead"


def test_create_where_asked_and_refuse_what_does_not_fit(workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    won = new_deal(owner, stage=stages["Won"])
    assert won.status == Deal.WON and won.closed_at is not None
    with tenant_scope(tenant, owner.user):
        other = pipeline_services.pipeline_create(actor=owner, name="Other")
    in_other = new_deal(owner, pipeline=other)
    assert in_other.stage.pipeline_id == other.pk and in_other.stage.position == 0
    with pytest.raises(ValidationError) as err:
        new_deal(owner, pipeline=other, stage=stages["Lead"])
    assert "stage" in err.value.message_dict
    with tenant_scope(tenant, owner.user):
        pipeline_services.pipeline_archive(actor=owner, pipeline=other)
    with pytest.raises(ValidationError) as err:
        new_deal(owner, pipeline=other)
    assert "pipeline" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        new_deal(owner, title="")
    assert "title" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        new_deal(owner, amount="-5")
    assert "amount" in err.value.message_dict
    outsider = add_member(tenant, "manager")
    with tenant_scope(tenant):
        account_services.member_deactivate(actor=owner, membership=outsider)
    with pytest.raises(ValidationError) as err:
        new_deal(owner, owner=outsider.user)
    assert "owner" in err.value.message_dict
    assert pipeline.pk


def test_create_links_contacts_with_roles_and_the_company(workspace):
    tenant, owner = workspace
    acme = new_company(owner, name="Acme")
    ann = new_contact(owner, first_name="Ann", emails="ann@acme.example")
    bob = new_contact(owner, first_name="Bob", emails="bob@acme.example")
    deal = new_deal(owner, company=acme, contacts=[(ann, "decision maker"), bob])
    with tenant_scope(tenant):
        links = {dc.contact_id: dc.role for dc in DealContact.objects.filter(deal=deal)}
    assert links == {ann.pk: "decision maker", bob.pk: ""}
    [event] = events(tenant, "deal.created")
    assert sorted(map(tuple, event.related)) == sorted(
        [("company", acme.pk), ("contact", ann.pk), ("contact", bob.pk)]
    )


def test_a_member_links_only_contacts_and_companies_they_may_see(workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    secret = new_contact(owner, first_name="Secret", emails="s@x.example")
    hidden_co = new_company(owner, name="Hidden Co")
    with pytest.raises(ValidationError) as err:
        new_deal(manager, contacts=[secret])
    assert "contacts" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        new_deal(manager, company=hidden_co)
    assert "company" in err.value.message_dict


def test_update_records_changes_and_assignment(workspace):
    tenant, owner = workspace
    colleague = add_member(tenant, "manager")
    deal = new_deal(owner, title="Old", amount=100)
    with tenant_scope(tenant, owner.user):
        services.deal_update(
            actor=owner,
            deal=deal,
            data={"title": "New", "amount": 250, "owner": colleague.user, "expected_close": None},
        )
    reload(deal)
    assert (deal.title, deal.amount, deal.owner) == ("New", Decimal(250), colleague.user)
    [updated] = events(tenant, "deal.updated")
    assert updated.data["changes"]["title"] == ["Old", "New"]
    assert updated.data["changes"]["amount"] == ["100.00", "250"]
    [assigned] = events(tenant, "deal.assigned")
    assert assigned.data["owner_id"] == colleague.user.pk
    with tenant_scope(tenant, owner.user):  # nothing changed: no event
        services.deal_update(actor=owner, deal=deal, data={"title": "New"})
    assert len(events(tenant, "deal.updated")) == 1


def test_update_replaces_contacts_and_can_move(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    ann = new_contact(owner, first_name="Ann", emails="ann@acme.example")
    bob = new_contact(owner, first_name="Bob", emails="bob@acme.example")
    deal = new_deal(owner, contacts=[(ann, "buyer")])
    with tenant_scope(tenant, owner.user):
        services.deal_update(
            actor=owner, deal=deal, data={"contacts": [ann, bob], "stage": stages["Proposal"]}
        )
        links = {dc.contact_id: dc.role for dc in DealContact.objects.filter(deal=deal)}
        assert links == {ann.pk: "buyer", bob.pk: ""}  # the role stays
        services.deal_update(actor=owner, deal=deal, data={"contacts": [bob]})
        assert list(DealContact.objects.filter(deal=deal).values_list("contact", flat=True)) == [
            bob.pk
        ]
    reload(deal)
    assert deal.stage_id == stages["Proposal"].pk
    assert len(events(tenant, "deal.stage_changed")) == 1


# --- permissions -------------------------------------------------------------------------


def test_a_manager_cannot_touch_or_take_over_a_deal_they_cannot_see(workspace):
    tenant, _ = workspace
    _, stages = funnel(tenant)
    me = add_member(tenant, "manager")
    other = add_member(tenant, "manager")
    theirs = new_deal(other, title="Theirs")
    mine = new_deal(me, title="Mine")
    with tenant_scope(tenant, me.user):
        for call in (
            lambda: services.deal_update(actor=me, deal=theirs, data={"owner": me.user}),
            lambda: services.deal_update(actor=me, deal=theirs, data={"title": "Mine now"}),
            lambda: services.deal_move(actor=me, deal=theirs, stage=stages["Proposal"]),
            lambda: services.deal_won(actor=me, deal=theirs),
            lambda: services.deal_lost(actor=me, deal=theirs, reason=None),
            lambda: services.line_item_add(actor=me, deal=theirs, name="X", price=1),
            lambda: services.deal_contact_remove(actor=me, deal=theirs, contact=Contact()),
        ):
            with pytest.raises(PermissionDenied):
                call()
        with pytest.raises(PermissionDenied):  # managers may not delete deals at all
            services.deal_delete(actor=me, deal=mine)
        # Handing one's own deal to a colleague is allowed (and then it is theirs).
        services.deal_update(actor=me, deal=mine, data={"owner": other.user})
        with pytest.raises(PermissionDenied):
            services.deal_update(actor=me, deal=mine, data={"owner": me.user})
    reload(theirs)
    assert theirs.owner_id == other.user.pk and theirs.title == "Theirs"
    assert theirs.stage_id == stages["Lead"].pk


def test_a_head_reassigns_within_the_department_only(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        sales = account_services.department_save(actor=owner, name="Sales")
        other_dept = account_services.department_save(actor=owner, name="Other")
    head = add_member(tenant, "head", department=sales)
    in_dept = add_member(tenant, "manager", department=sales)
    outside = add_member(tenant, "manager", department=other_dept)
    ours, theirs = new_deal(in_dept, title="Ours"), new_deal(outside, title="Theirs")
    with tenant_scope(tenant, head.user):
        services.deal_update(actor=head, deal=ours, data={"owner": head.user})
        with pytest.raises(PermissionDenied):
            services.deal_update(actor=head, deal=theirs, data={"owner": head.user})
    reload(ours)
    assert ours.owner_id == head.user.pk


def test_view_only_roles_change_nothing(workspace):
    tenant, owner = workspace
    accountant = add_member(tenant, "accountant")
    _, stages = funnel(tenant)
    deal = new_deal(owner)
    with tenant_scope(tenant, accountant.user):
        with pytest.raises(PermissionDenied):
            services.deal_create(actor=accountant, data={"title": "X"})
        with pytest.raises(PermissionDenied):
            services.deal_move(actor=accountant, deal=deal, stage=stages["Won"])


# --- moves -------------------------------------------------------------------------------


def test_moves_keep_the_stage_history_and_say_what_changed(workspace):
    tenant, _ = workspace
    _, stages = funnel(tenant)
    manager = add_member(tenant, "manager")
    deal = new_deal(manager)
    with tenant_scope(tenant, manager.user):
        services.deal_move(actor=manager, deal=deal, stage=stages["Proposal"])
        services.deal_move(actor=manager, deal=deal, stage=stages["Negotiation"], position=-5)
    reload(deal)
    assert deal.stage_id == stages["Negotiation"].pk and deal.position == -5
    rows = history(deal)
    assert [r.stage_name for r in rows] == ["Lead", "Proposal", "Negotiation"]
    assert all(r.left_at for r in rows[:-1]) and rows[-1].left_at is None
    assert rows[1].left_at == rows[2].entered_at == deal.stage_entered_at
    assert {r.moved_by for r in rows} == {manager.user}
    first, second = events(tenant, "deal.stage_changed")
    assert first.data == {
        "from": stages["Lead"].pk,
        "to": stages["Proposal"].pk,
        "changes": {"stage": ["Lead", "Proposal"]},
    }
    assert second.data["changes"] == {"stage": ["Proposal", "Negotiation"]}


def test_a_move_within_the_stage_only_changes_the_position(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner)
    with tenant_scope(tenant, owner.user):
        services.deal_move(actor=owner, deal=deal, stage=stages["Lead"], position=0.5)
    reload(deal)
    assert deal.position == 0.5 and len(history(deal)) == 1
    assert events(tenant, "deal.stage_changed") == []


def test_won_and_lost_stages_close_the_deal_and_open_ones_reopen_it(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner)
    with tenant_scope(tenant, owner.user):
        services.deal_move(actor=owner, deal=deal, stage=stages["Won"])
        reload(deal)
        assert deal.status == Deal.WON and deal.closed_at
        services.deal_move(actor=owner, deal=deal, stage=stages["Lost"])
        reload(deal)
        assert deal.status == Deal.LOST
        services.deal_move(actor=owner, deal=deal, stage=stages["Qualified"])
        reload(deal)
        assert deal.status == Deal.OPEN and deal.closed_at is None
    assert [e.type for e in events(tenant, "deal.won")] == ["deal.won"]
    assert len(events(tenant, "deal.lost")) == len(events(tenant, "deal.reopened")) == 1


def test_moving_to_another_funnel(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        other = pipeline_services.pipeline_create(actor=owner, name="Other")
        target = other.stages.get(name="Qualified")
    deal = new_deal(owner)
    with tenant_scope(tenant, owner.user):
        services.deal_move(actor=owner, deal=deal, stage=target)
    reload(deal)
    assert deal.pipeline_id == other.pk and deal.stage_id == target.pk
    [event] = events(tenant, "deal.stage_changed")
    assert event.data["changes"]["pipeline"] == ["Sales", "Other"]


# --- won, lost, reopen -------------------------------------------------------------------


def test_won_lost_and_reopen(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, stage=stages["Proposal"])
    with tenant_scope(tenant, owner.user):
        reason = LostReason.objects.get(name="No budget")
        services.deal_lost(actor=owner, deal=deal, reason=reason, note="  Maybe in Q3 ")
        reload(deal)
        assert (deal.status, deal.stage, deal.lost_reason, deal.lost_note) == (
            Deal.LOST, stages["Lost"], reason, "Maybe in Q3",
        )  # fmt: skip
        [lost] = Event.objects.filter(type="deal.lost")
        assert lost.data["reason"] == "No budget" and lost.data["note"] == "Maybe in Q3"
        services.deal_reopen(actor=owner, deal=deal)
        reload(deal)
        # Back where it was before it was lost, with the reason cleared.
        assert deal.status == Deal.OPEN and deal.stage_id == stages["Proposal"].pk
        assert deal.lost_reason is None and deal.lost_note == "" and deal.closed_at is None
        services.deal_won(actor=owner, deal=deal)
        reload(deal)
        assert deal.status == Deal.WON and deal.stage_id == stages["Won"].pk
        services.deal_won(actor=owner, deal=deal)  # again: nothing new
        assert Event.objects.filter(type="deal.won").count() == 1
        with pytest.raises(ValidationError):
            services.deal_reopen(actor=owner, deal=deal, stage=stages["Lost"])
        services.deal_reopen(actor=owner, deal=deal, stage=stages["Negotiation"])
        reload(deal)
        assert deal.stage_id == stages["Negotiation"].pk and deal.status == Deal.OPEN
    assert [r.stage_name for r in history(deal)] == [
        "Proposal", "Lost", "Proposal", "Won", "Negotiation",
    ]  # fmt: skip


def test_won_and_lost_without_closing_stages(workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        plain = pipeline_services.pipeline_create(
            actor=owner, name="Plain", stages=[("Open", "open", 10)]
        )
    deal = new_deal(owner, pipeline=plain)
    with tenant_scope(tenant, owner.user):
        services.deal_won(actor=owner, deal=deal)
        reload(deal)
        assert deal.status == Deal.WON and deal.stage.name == "Open" and deal.closed_at
        services.deal_lost(actor=owner, deal=deal, reason=None)
        reload(deal)
        assert deal.status == Deal.LOST
        services.deal_reopen(actor=owner, deal=deal)
        reload(deal)
        assert deal.status == Deal.OPEN and deal.closed_at is None


def test_delete(workspace, django_capture_on_commit_callbacks):
    tenant, owner = workspace
    deal = new_deal(owner)
    with tenant_scope(tenant, owner.user), django_capture_on_commit_callbacks(execute=True):
        services.deal_delete(actor=owner, deal=deal)
        assert not Deal.objects.exists()
    assert len(events(tenant, "deal.deleted")) == 1


# --- line items --------------------------------------------------------------------------


def test_the_amount_follows_the_line_items(workspace):
    tenant, owner = workspace
    deal = new_deal(owner, amount=999)
    with tenant_scope(tenant, owner.user):
        product = services.product_save(
            actor=owner, data={"name": "Licence", "price": "100", "tax_rate": "20"}
        )
        assert product.currency == "USD"
        a = services.line_item_add(actor=owner, deal=deal, product=product, quantity=3)
        assert (a.name, a.price, a.tax_rate) == ("Licence", Decimal(100), Decimal(20))
        reload(deal)
        assert deal.amount == Decimal("360.00")  # 3 x 100 + 20% tax
        b = services.line_item_add(
            actor=owner, deal=deal, name="Set-up", quantity="1", price="50", discount="10"
        )
        reload(deal)
        assert b.total == Decimal("45.00") and deal.amount == Decimal("405.00")
        services.line_item_update(actor=owner, item=a, data={"quantity": 1, "discount": 50})
        reload(deal)
        assert deal.amount == Decimal("105.00")  # 60 + 45
        with pytest.raises(ValidationError) as err:
            services.deal_update(actor=owner, deal=deal, data={"amount": 1})
        assert "amount" in err.value.message_dict
        services.line_item_remove(actor=owner, item=b)
        reload(deal)
        assert deal.amount == Decimal("60.00")
        assert [i.position for i in LineItem.objects.filter(deal=deal)] == [0]
        types = list(Event.objects.filter(subject_id=deal.pk).values_list("type", flat=True))
        assert "deal.line_item_added" in types and "deal.line_item_removed" in types
        services.line_item_remove(actor=owner, item=a)
        reload(deal)
        assert deal.amount == Decimal("60.00")  # no lines left: typed in again from here
        services.deal_update(actor=owner, deal=deal, data={"amount": 70})


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "X", "quantity": 0, "price": 1}, "quantity"),
        ({"name": "X", "quantity": 1, "price": -1}, "price"),
        ({"name": "X", "quantity": 1, "price": 1, "discount": 101}, "discount"),
        ({"name": "X", "quantity": "lots", "price": 1}, "quantity"),
        ({"name": "X", "quantity": 1}, "price"),
        ({"name": "", "quantity": 1, "price": 1}, "name"),
    ],
)
def test_bad_line_items_are_refused(workspace, values, field):
    tenant, owner = workspace
    deal = new_deal(owner)
    with tenant_scope(tenant, owner.user), pytest.raises(ValidationError) as err:
        services.line_item_add(actor=owner, deal=deal, **values)
    assert field in err.value.message_dict


def test_line_items_from_a_form(workspace):
    """The card's form passes its cleaned data as `data`."""
    tenant, owner = workspace
    deal = new_deal(owner)
    with tenant_scope(tenant, owner.user):
        item = services.line_item_add(
            actor=owner, deal=deal, data={"name": "Hours", "quantity": 2, "price": 30}
        )
    assert item.total == Decimal(60)


def test_products_are_kept_by_admins(workspace):
    tenant, owner = workspace
    manager = add_member(tenant, "manager")
    with tenant_scope(tenant, manager.user), pytest.raises(PermissionDenied):
        services.product_save(actor=manager, data={"name": "X"})
    with tenant_scope(tenant, owner.user):
        p = services.product_save(actor=owner, data={"name": "Box", "price": 5, "sku": "B-1"})
        services.product_save(actor=owner, product=p, data={"is_active": False})
        reload(p)
        assert not p.is_active and p.sku == "B-1"
        with pytest.raises(ValidationError):
            services.product_save(actor=owner, data={"name": "Y", "tax_rate": 150})
    deal = new_deal(owner)
    with tenant_scope(tenant, owner.user):
        item = services.line_item_add(actor=owner, deal=deal, product=p)
        services.product_delete(actor=owner, product=p)
        reload(item)
        assert item.product is None and item.name == "Box" and item.price == 5
        assert not Product.objects.exists()


# --- contacts, files ---------------------------------------------------------------------


def test_contacts_are_set_updated_and_removed(workspace):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann", emails="ann@acme.example")
    deal = new_deal(owner)
    with tenant_scope(tenant, owner.user):
        services.deal_contact_set(actor=owner, deal=deal, contact=ann, role="buyer")
        services.deal_contact_set(actor=owner, deal=deal, contact=ann, role="champion")
        assert DealContact.objects.get().role == "champion"
        services.deal_contact_remove(actor=owner, deal=deal, contact=ann)
        assert not DealContact.objects.exists()
        types = list(Event.objects.order_by("id").values_list("type", flat=True))
    assert types[-3:] == ["deal.contact_added", "deal.contact_updated", "deal.contact_removed"]


def test_files_have_a_size_limit_and_go_with_their_record(
    workspace, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.DEAL_ATTACHMENT_MAX_SIZE = 1024 * 1024
    tenant, owner = workspace
    deal = new_deal(owner)
    big = SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1))
    with tenant_scope(tenant, owner.user):
        with pytest.raises(ValidationError) as err:
            services.attachment_add(actor=owner, deal=deal, upload=big)
        assert err.value.message_dict["file"] == [
            "The file is 1 MB; files up to 1 MB can be attached."
        ]
        upload = SimpleUploadedFile("../../quote.pdf", b"%PDF-1.4 quote")
        attachment = services.attachment_add(actor=owner, deal=deal, upload=upload)
    assert attachment.name == "quote.pdf" and attachment.size == 14
    assert attachment.file.name.startswith(f"deals/{tenant.pk}/")
    path = tmp_path / attachment.file.name
    assert path.read_bytes() == b"%PDF-1.4 quote"
    with tenant_scope(tenant, owner.user), django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(actor=owner, attachment=attachment)
    assert not path.exists() and not Attachment.all_tenants.exists()


def test_the_default_size_limit_is_25_mb():
    assert services.max_attachment_size() == 25 * 1024 * 1024


# --- merges and tasks --------------------------------------------------------------------


def test_merging_contacts_moves_their_deals_to_the_survivor(workspace):
    tenant, owner = workspace
    ann = new_contact(owner, first_name="Ann", emails="ann@acme.example")
    dup = new_contact(owner, first_name="Ann", emails="ann2@acme.example", _dup=True)
    both = new_deal(owner, title="Both", contacts=[(ann, ""), (dup, "signer")])
    only_dup = new_deal(owner, title="Dup only", contacts=[(dup, "buyer")])
    with tenant_scope(tenant, owner.user):
        contact_services.merge(actor=owner, survivor=ann, others=[dup])
        links = sorted(DealContact.objects.values_list("deal_id", "contact_id", "role"))
    assert links == sorted([(both.pk, ann.pk, "signer"), (only_dup.pk, ann.pk, "buyer")])


def test_merging_companies_moves_their_deals(workspace):
    tenant, owner = workspace
    acme = new_company(owner, name="Acme", emails="a@acme.example")
    acme2 = new_company(owner, name="ACME Inc", emails="b@acme.example")
    deal = new_deal(owner, company=acme2)
    with tenant_scope(tenant, owner.user):
        contact_services.merge(actor=owner, survivor=acme, others=[acme2])
    reload(deal)
    assert deal.company_id == acme.pk


def test_the_tasks_hook_keeps_the_next_activity(workspace):
    from django.apps import apps

    try:
        task_model = apps.get_model("activity", "Task")
    except LookupError:
        pytest.skip("no tasks yet")
    from crm.activity import subjects

    tenant, owner = workspace
    deal = new_deal(owner)
    soon = timezone.now() + timedelta(days=1)
    with tenant_scope(tenant, owner.user):
        task_model.objects.create(
            title="Call", object_type="deal", object_id=deal.pk, due_at=soon + timedelta(days=1)
        )
        task_model.objects.create(title="Mail", object_type="deal", object_id=deal.pk, due_at=soon)
        done = task_model.objects.create(
            title="Met",
            object_type="deal",
            object_id=deal.pk,
            due_at=soon - timedelta(days=3),
            done_at=timezone.now(),
        )
        subjects.changed("deal", deal.pk)
        reload(deal)
        assert deal.next_activity_at == soon
        assert deal.last_activity_at == done.done_at
        task_model.objects.filter(object_id=deal.pk).update(done_at=timezone.now())
        subjects.changed("deal", deal.pk)
        reload(deal)
        assert deal.next_activity_at is None


def test_rotting(workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    with tenant_scope(tenant, owner.user):
        pipeline_services.stage_update(actor=owner, stage=stages["Lead"], data={"rotting_days": 3})
    fresh, idle = new_deal(owner, title="Fresh"), new_deal(owner, title="Idle")
    with tenant_scope(tenant):
        Deal.objects.filter(pk=idle.pk).update(stage_entered_at=timezone.now() - timedelta(days=4))
        from deals.selectors import rotting_q

        assert list(Deal.objects.filter(rotting_q()).values_list("title", flat=True)) == ["Idle"]
        rows = {d.title: d.is_rotting for d in Deal.objects.select_related("stage")}
    assert rows == {"Fresh": False, "Idle": True}
    assert fresh.pk
