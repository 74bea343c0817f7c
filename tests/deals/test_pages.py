"""The deal pages: the board and its endpoints (move, won, lost, quick add, load more), the
list with bulk actions, the deal card with its parts, the new-deal page; their walls
(visibility and other workspaces) and their costs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Company, Contact
from crm.tenancy.context import tenant_scope
from deals import services
from deals.models import Attachment, Deal, DealContact, LineItem, StageHistory
from pipelines import services as pipeline_services
from pipelines.models import LostReason, Stage
from tests.conftest import add_member, login
from tests.contacts.conftest import new_company, new_contact
from tests.deals.test_board import closing_stage, funnel, many_deals, new_deal

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def reload(deal) -> Deal:
    with tenant_scope(deal.tenant_id):
        return Deal.objects.select_related("stage").get(pk=deal.pk)


# --- the board -----------------------------------------------------------------------------


def test_the_board_shows_columns_cards_and_totals(client, workspace):
    tenant, owner = workspace
    _pipeline, stages = funnel(tenant)
    acme = new_company(owner, name="Acme Ltd")
    new_deal(owner, stages[0], "Forklifts for Acme", amount=Decimal("12500"), company=acme)
    new_deal(owner, stages[2], "Spare parts", amount=Decimal("800"))
    page = login(client, owner).get(reverse("deals")).content.decode()
    for name in ("Lead", "Qualified", "Proposal", "Negotiation"):
        assert name in page
    assert "Forklifts for Acme" in page and "Acme Ltd" in page and "$12,500" in page
    assert "$13,300" in page  # the board's total
    assert 'data-drop="won"' in page and 'data-drop="lost"' in page
    assert "js/board.js" in page and "Sortable.min.js" in page
    assert 'style="' not in page  # the CSP allows no inline styles


def test_the_board_renders_2000_deals_in_a_bounded_number_of_queries(
    client, workspace, django_assert_max_num_queries
):
    tenant, owner = workspace
    _pipeline, stages = funnel(tenant)
    for stage in stages:
        many_deals(owner, stage, 500)
    login(client, owner)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("deals"))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="deal-card"') == 4 * 30
    assert b"2,000 open deals" in response.content
    assert response.content.count(b'data-testid="load-more"') == 4


def test_load_more_brings_the_next_cards_of_a_column(client, workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    many_deals(owner, stages[0], 45)
    login(client, owner)
    more = client.get(reverse("deal_column", args=[stages[0].pk]), {"offset": 30}, **HTMX)
    html = more.content.decode()
    assert html.count('data-testid="deal-card"') == 15
    assert "Bulk deal 0030" in html and "Bulk deal 0044" in html
    assert 'hx-swap-oob="true"' in html and 'data-testid="load-more"' not in html
    assert (
        client.get(reverse("deal_column", args=[stages[0].pk]), {"offset": "x"}).status_code == 400
    )


def test_the_pipeline_switcher_remembers_the_choice(client, workspace):
    tenant, owner = workspace
    with tenant_scope(tenant, owner.user):
        other = pipeline_services.pipeline_create(actor=owner, name="Partners")
        first = other.stages.filter(kind=Stage.OPEN).first()
    new_deal(owner, first, "Reseller agreement")
    login(client, owner)
    assert b"Reseller agreement" not in client.get(reverse("deals")).content
    assert b"Reseller agreement" in client.get(reverse("deals"), {"pipeline": other.pk}).content
    assert b"Reseller agreement" in client.get(reverse("deals")).content  # remembered


# --- moving cards --------------------------------------------------------------------------


def test_dropping_a_card_on_the_next_column_moves_it_and_records_the_move(client, workspace):
    tenant, owner = workspace
    _, (lead, qualified, *_rest) = funnel(tenant)
    deal = new_deal(owner, lead, "Forklifts", amount=Decimal(500))
    above = new_deal(owner, qualified, "Above")
    below = new_deal(owner, qualified, "Below")
    login(client, owner)
    response = client.post(
        reverse("deal_move", args=[deal.pk]),
        {"stage": qualified.pk, "before": above.pk, "after": below.pk},
        **JSON,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] and {c["stage"]: c["count"] for c in body["columns"]} == {
        lead.pk: 0,
        qualified.pk: 3,
    }
    deal = reload(deal)
    assert deal.stage_id == qualified.pk
    assert reload(above).position < deal.position < reload(below).position
    with tenant_scope(tenant):
        moves = list(StageHistory.objects.filter(deal=deal).values_list("stage_name", flat=True))
    assert moves == ["Lead", "Qualified"]
    board = client.get(reverse("deals")).content.decode()
    column = board[board.index(f'id="col-{qualified.pk}-cards"') :]
    assert column.index("Above") < column.index("Forklifts") < column.index("Below")


def test_a_card_is_reordered_within_its_column(client, workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    first, _second, third = (new_deal(owner, stages[0], t) for t in ("One", "Two", "Three"))
    login(client, owner)
    response = client.post(
        reverse("deal_move", args=[third.pk]), {"stage": stages[0].pk, "after": first.pk}, **JSON
    )
    assert response.status_code == 200
    with tenant_scope(tenant):
        order = list(
            Deal.objects.filter(stage=stages[0]).order_by("position", "id").values_list("title")
        )
    assert order == [("Three",), ("One",), ("Two",)]
    with tenant_scope(tenant):
        assert StageHistory.objects.filter(deal=third).count() == 1  # no stage change


@pytest.mark.parametrize("stage_value", ["", "abc", "999999", "²", "-1", "9" * 30])
def test_a_move_to_a_missing_stage_changes_nothing(client, workspace, stage_value):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, stages[0], "Stays")
    login(client, owner)
    response = client.post(reverse("deal_move", args=[deal.pk]), {"stage": stage_value}, **JSON)
    assert response.status_code in (400, 404)
    assert response.json()["ok"] is False
    assert reload(deal).stage_id == stages[0].pk


def test_a_move_to_another_workspaces_or_another_funnels_stage_is_404(
    client, workspace, other_workspace
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    _, their_stages = funnel(other_workspace[0])
    with tenant_scope(tenant, owner.user):
        partners = pipeline_services.pipeline_create(actor=owner, name="Partners")
        partner_stage = partners.stages.filter(kind=Stage.OPEN).first()
    deal = new_deal(owner, stages[0], "Stays")
    login(client, owner)
    for stage in (their_stages[1], partner_stage):
        response = client.post(reverse("deal_move", args=[deal.pk]), {"stage": stage.pk}, **JSON)
        assert response.status_code == 404
        plain = client.post(reverse("deal_move", args=[deal.pk]), {"stage": stage.pk})
        assert plain.status_code == 404
    assert reload(deal).stage_id == stages[0].pk


def test_drop_on_won_and_on_lost_with_a_reason(client, workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    winner = new_deal(owner, stages[1], "Winner", amount=Decimal(700))
    loser = new_deal(owner, stages[1], "Loser")
    with tenant_scope(tenant):
        reason = LostReason.objects.first()
    login(client, owner)
    won = client.post(reverse("deal_won", args=[winner.pk]), {}, **JSON)
    assert won.status_code == 200 and won.json()["columns"][0]["count"] == 1
    assert reload(winner).status == Deal.WON
    assert reload(winner).stage_id == closing_stage(pipeline, Stage.WON).pk
    # Lost asks why: nothing given is refused, and nothing changes.
    refused = client.post(reverse("deal_lost", args=[loser.pk]), {}, **JSON)
    assert refused.status_code == 400 and reload(loser).status == Deal.OPEN
    # A lost stage is not a plain move either.
    lost_stage = closing_stage(pipeline, Stage.LOST)
    move = client.post(reverse("deal_move", args=[loser.pk]), {"stage": lost_stage.pk}, **JSON)
    assert move.status_code == 400 and reload(loser).status == Deal.OPEN
    lost = client.post(
        reverse("deal_lost", args=[loser.pk]), {"reason": reason.pk, "note": "Too late"}, **JSON
    )
    assert lost.status_code == 200
    loser = reload(loser)
    assert loser.status == Deal.LOST and loser.lost_reason_id == reason.pk
    assert loser.lost_note == "Too late"
    # Reopened from its card (a plain form), it goes back to work.
    response = client.post(reverse("deal_reopen", args=[loser.pk]))
    assert response.status_code == 302 and reload(loser).status == Deal.OPEN
    board = client.get(reverse("deals")).content.decode()
    assert "Loser" in board and "Winner" not in board


def test_a_lost_reason_from_another_workspace_is_refused(client, workspace, other_workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, stages[0], "Stays")
    with tenant_scope(other_workspace[0]):
        theirs = LostReason.objects.first()
    login(client, owner)
    response = client.post(reverse("deal_lost", args=[deal.pk]), {"reason": theirs.pk}, **JSON)
    assert response.status_code == 400 and reload(deal).status == Deal.OPEN


def test_a_member_who_may_only_view_cannot_move(client, workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    accountant = add_member(tenant, "accountant")  # deals: view, all
    deal = new_deal(owner, stages[0], "Look, do not touch")
    login(client, accountant)
    page = client.get(reverse("deals")).content.decode()
    assert "Look, do not touch" in page and 'data-can-edit=""' in page
    assert "Quick add" not in page
    response = client.post(reverse("deal_move", args=[deal.pk]), {"stage": stages[1].pk}, **JSON)
    assert response.status_code == 403 and reload(deal).stage_id == stages[0].pk


def test_quick_add_puts_the_deal_at_the_top_of_its_column(client, workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    new_deal(owner, stages[1], "Older")
    login(client, owner)
    response = client.post(
        reverse("deal_quick"), {"stage": stages[1].pk, "title": "Typed in", "amount": "990"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'hx-swap-oob="afterbegin:#col-{stages[1].pk}-cards"' in html and "Typed in" in html
    assert f'id="col-{stages[1].pk}-head"' in html and "$990" in html
    with tenant_scope(tenant):
        titles = list(
            Deal.objects.filter(stage=stages[1]).order_by("position").values_list("title", flat=1)
        )
        created = Deal.objects.get(title="Typed in")
    assert titles == ["Typed in", "Older"] and created.owner_id == owner.user_id
    empty = client.post(reverse("deal_quick"), {"stage": stages[1].pk, "title": ""}, **HTMX)
    assert empty.status_code == 200 and "errors" in empty.content.decode()
    with tenant_scope(tenant):
        assert Deal.objects.count() == 2


# --- the list ------------------------------------------------------------------------------


def test_the_list_sorts_pages_and_stays_bounded(client, workspace, django_assert_max_num_queries):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    many_deals(owner, stages[0], 120)
    new_deal(owner, stages[1], "Biggest", amount=Decimal("99999"))
    login(client, owner)
    with django_assert_max_num_queries(14):
        response = client.get(
            reverse("deal_list"), {"pipeline": pipeline.pk, "ordering": "-amount"}
        )
    html = response.content.decode()
    assert response.status_code == 200 and html.count('name="ids"') == 50
    assert html.index("Biggest") < html.index("Bulk deal")
    assert "121 deals" in html and "Page 1 of 3" in html
    last = client.get(reverse("deal_list"), {"pipeline": pipeline.pk, "page": 3})
    assert last.content.decode().count('name="ids"') == 21
    # Unknown orderings fall back to the newest first; a bad page is a 400 that says so.
    assert client.get(reverse("deal_list"), {"ordering": "tenant_id"}).status_code in (200, 302)
    bad = client.get(reverse("deal_list"), {"pipeline": pipeline.pk, "page": "x"})
    assert bad.status_code == 400 and "page" in bad.content.decode()


def test_the_list_filters_by_status(client, workspace):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    open_deal = new_deal(owner, stages[0], "Still open")
    closed = new_deal(owner, stages[0], "Signed")
    with tenant_scope(tenant, owner.user):
        services.deal_won(actor=owner, deal=closed)
    login(client, owner)
    url = reverse("deal_list")
    page = client.get(url, {"pipeline": pipeline.pk}).content.decode()
    assert "Still open" in page and "Signed" not in page
    page = client.get(url, {"pipeline": pipeline.pk, "status": "won"}).content.decode()
    assert "Signed" in page and "Still open" not in page
    assert open_deal.pk


def test_bulk_assign_move_and_delete(client, workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    colleague = add_member(tenant, "manager")
    a, b, c = (new_deal(owner, stages[0], t) for t in ("A", "B", "C"))
    login(client, owner)
    url = reverse("deal_bulk")
    client.post(url, {"action": "assign_owner", "owner": colleague.user_id, "ids": [a.pk, b.pk]})
    assert reload(a).owner_id == reload(b).owner_id == colleague.user_id
    assert reload(c).owner_id == owner.user_id
    client.post(url, {"action": "move_stage", "stage": stages[2].pk, "ids": [a.pk, c.pk]})
    assert reload(a).stage_id == reload(c).stage_id == stages[2].pk
    client.post(url, {"action": "delete", "ids": [b.pk, c.pk]})
    with tenant_scope(tenant):
        assert list(Deal.objects.values_list("title", flat=True)) == ["A"]


def test_bulk_actions_reach_only_deals_the_member_sees(client, workspace):
    tenant, _owner = workspace
    _, stages = funnel(tenant)
    anna, boris = add_member(tenant, "manager"), add_member(tenant, "manager")
    hers = new_deal(anna, stages[0], "Hers")
    his = new_deal(boris, stages[0], "His")
    login(client, anna)
    client.post(
        reverse("deal_bulk"),
        {"action": "move_stage", "stage": stages[1].pk, "ids": [hers.pk, his.pk]},
    )
    assert reload(hers).stage_id == stages[1].pk and reload(his).stage_id == stages[0].pk


# --- walls ---------------------------------------------------------------------------------


def test_own_visibility_holds_on_the_board_the_list_and_the_card(client, workspace):
    tenant, _owner = workspace
    _, stages = funnel(tenant)
    anna, boris = add_member(tenant, "manager"), add_member(tenant, "manager")
    new_deal(anna, stages[0], "Anna's deal")
    his = new_deal(boris, stages[0], "Boris's deal")
    login(client, anna)
    assert b"Boris's deal" not in client.get(reverse("deals")).content
    assert b"Anna&#x27;s deal" in client.get(reverse("deals")).content
    assert b"Boris" not in client.get(reverse("deal_list"), {"status": "all"}).content
    assert client.get(reverse("deal_card", args=[his.pk])).status_code == 404
    response = client.post(reverse("deal_move", args=[his.pk]), {"stage": stages[1].pk}, **JSON)
    assert response.status_code == 404 and reload(his).stage_id == stages[0].pk


def test_every_page_with_an_id_of_another_workspace_is_404(client, workspace, other_workspace):
    tenant_b, owner_b = other_workspace
    _, stages_b = funnel(tenant_b)
    theirs = new_deal(owner_b, stages_b[0], "Globex secret", amount=Decimal(10))
    contact = new_contact(owner_b, first_name="Hidden")
    with tenant_scope(tenant_b, owner_b.user):
        item = services.line_item_add(actor=owner_b, deal=theirs, name="Widget", price=5)
        services.deal_contact_set(actor=owner_b, deal=theirs, contact=contact, role="Boss")
        attachment = services.attachment_add(
            actor=owner_b, deal=theirs, upload=SimpleUploadedFile("secret.txt", b"secret")
        )
    login(client, workspace[1])
    pk = theirs.pk
    attempts = [
        ("get", reverse("deal_card", args=[pk]), {}),
        ("get", reverse("deal_title", args=[pk]), {}),
        ("post", reverse("deal_title", args=[pk]), {"title": "Hacked"}),
        ("get", reverse("deal_field", args=[pk, "amount"]), {}),
        ("post", reverse("deal_field", args=[pk, "amount"]), {"amount": "1"}),
        ("post", reverse("deal_move", args=[pk]), {"stage": stages_b[1].pk}),
        ("post", reverse("deal_won", args=[pk]), {}),
        ("post", reverse("deal_lost", args=[pk]), {"note": "x"}),
        ("post", reverse("deal_reopen", args=[pk]), {}),
        ("post", reverse("deal_delete", args=[pk]), {}),
        ("post", reverse("deal_note", args=[pk]), {"body": "hi"}),
        ("post", reverse("deal_item_add", args=[pk]), {"name": "x", "quantity": 1, "price": 1}),
        ("get", reverse("deal_item_edit", args=[pk, item.pk]), {}),
        ("post", reverse("deal_item_edit", args=[pk, item.pk]), {}),
        ("post", reverse("deal_item_remove", args=[pk, item.pk]), {}),
        ("post", reverse("deal_contact_add", args=[pk]), {"contact": contact.pk}),
        ("post", reverse("deal_contact_remove", args=[pk, contact.pk]), {}),
        ("post", reverse("deal_file_add", args=[pk]), {}),
        ("get", reverse("deal_file", args=[pk, attachment.pk]), {}),
        ("post", reverse("deal_file_delete", args=[pk, attachment.pk]), {}),
        ("get", reverse("deal_column", args=[stages_b[0].pk]), {}),
        ("post", reverse("deal_quick"), {"stage": stages_b[0].pk, "title": "Planted"}),
    ]
    for method, url, data in attempts:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    with tenant_scope(tenant_b):
        deal = Deal.objects.get(pk=pk)
        assert (deal.title, deal.amount, deal.stage_id) == ("Globex secret", 5, stages_b[0].pk)
        assert LineItem.objects.filter(deal=deal).count() == 1
        assert DealContact.objects.filter(deal=deal).count() == 1
        assert Attachment.objects.filter(deal=deal).count() == 1
        assert Deal.objects.count() == 1
    listing = client.get(reverse("deal_list"), {"status": "all"}).content
    assert b"Globex secret" not in listing and b"Globex secret" not in client.get("/deals/").content


# --- the deal card -------------------------------------------------------------------------


def test_the_card_shows_the_deal_and_stays_bounded(
    client, workspace, django_assert_max_num_queries
):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    acme = new_company(owner, name="Acme Ltd")
    ann = new_contact(owner, first_name="Ann", last_name="Lee", company=acme)
    deal = new_deal(owner, stages[0], "Forklifts", company=acme, contacts=[(ann, "Buyer")])
    with tenant_scope(tenant, owner.user):
        services.deal_move(actor=owner, deal=deal, stage=stages[1])
        for i in range(5):
            services.line_item_add(actor=owner, deal=deal, name=f"Item {i}", price=10)
    login(client, owner)
    with django_assert_max_num_queries(40):
        response = client.get(reverse("deal_card", args=[deal.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Forklifts" in html and "Acme Ltd" in html and "Ann Lee" in html and "Buyer" in html
    assert "$50" in html and "Item 4" in html
    assert 'data-testid="stage-history"' in html and "Qualified" in html
    assert 'style="' not in html


def test_the_card_shows_nothing_of_a_colleagues_tasks_on_the_deal(
    client, workspace, django_assert_max_num_queries
):
    """A deal of Priya's ("own" visibility) with tasks the admin gave Ivan: neither the tasks
    panel nor the timeline of her card names them; her own task and comments are there."""
    from crm.activity import services as activity_services
    from crm.activity.dispatch import dispatch_pending
    from tests.activity.helpers import new_task

    tenant, admin = workspace
    priya, ivan = add_member(tenant, "manager"), add_member(tenant, "manager")
    _, stages = funnel(tenant)
    deal = new_deal(priya, stages[0], "Forklifts")
    for i in range(10):
        task = new_task(admin, title=f"Zanzibar call {i}", subject=deal, assignee=ivan.user)
        with tenant_scope(tenant, admin.user):
            activity_services.task_complete(actor=admin, task=task, note="Zanzibar result")
    new_task(admin, title="Priya's call", subject=deal, assignee=priya.user)
    with tenant_scope(tenant, admin.user):
        activity_services.comment_add(actor=admin, subject=deal, body="Ask about pallets")
        dispatch_pending()
    login(client, priya)
    # 21: the invoices panel reads the deal's invoices and its open request to the accountant.
    with django_assert_max_num_queries(21):
        response = client.get(reverse("deal_card", args=[deal.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "Zanzibar" not in html
    assert "Priya&#x27;s call" in html and "Ask about pallets" in html
    login(client, admin)
    assert "Zanzibar call 9" in client.get(reverse("deal_card", args=[deal.pk])).content.decode()


def test_fields_are_edited_in_place(client, workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, stages[0], "Forklifts")
    login(client, owner)
    url = reverse("deal_field", args=[deal.pk, "amount"])
    assert b'name="amount"' in client.get(url, **HTMX).content
    saved = client.post(url, {"amount": "4200"}, **HTMX).content.decode()
    assert "$4,200" in saved and 'id="deal-amount"' in saved
    bad = client.post(url, {"amount": "-5"}, **HTMX).content.decode()
    assert "errors" in bad
    title = client.post(reverse("deal_title", args=[deal.pk]), {"title": "Forklifts x3"}, **HTMX)
    assert b"Forklifts x3" in title.content
    tags = reverse("deal_field", args=[deal.pk, "tags"])
    client.post(tags, {"tags": "vip, urgent"}, **HTMX)
    deal = reload(deal)
    assert (deal.amount, deal.title, deal.tags) == (
        Decimal(4200),
        "Forklifts x3",
        ["vip", "urgent"],
    )
    assert client.get(reverse("deal_field", args=[deal.pk, "tenant"])).status_code == 404


def test_products_add_edit_remove_and_the_amount_follows(client, workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, stages[0], "Forklifts", amount=Decimal(1))
    login(client, owner)
    add = client.post(
        reverse("deal_item_add", args=[deal.pk]),
        {"name": "Forklift", "quantity": "2", "price": "1000", "discount": "10"},
        **HTMX,
    )
    html = add.content.decode()
    assert "Forklift" in html and 'id="deal-amount"' in html and "$1,800" in html
    assert reload(deal).amount == Decimal(1800)
    with tenant_scope(tenant):
        item = LineItem.objects.get(deal=deal)
    assert (
        b"item%d-price" % item.pk
        in client.get(reverse("deal_item_edit", args=[deal.pk, item.pk]), **HTMX).content
    )
    client.post(
        reverse("deal_item_edit", args=[deal.pk, item.pk]),
        {f"item{item.pk}-name": "Forklift XL", f"item{item.pk}-quantity": "3",
         f"item{item.pk}-price": "1000"},
        **HTMX,
    )  # fmt: skip
    assert reload(deal).amount == Decimal(3000)
    # While it has products, the amount cannot be typed over.
    refused = client.post(reverse("deal_field", args=[deal.pk, "amount"]), {"amount": "5"}, **HTMX)
    assert "follows" in refused.content.decode() and reload(deal).amount == Decimal(3000)
    client.post(reverse("deal_item_remove", args=[deal.pk, item.pk]), **HTMX)
    with tenant_scope(tenant):
        assert not LineItem.objects.filter(deal=deal).exists()
    bad = client.post(reverse("deal_item_add", args=[deal.pk]), {"quantity": "1"}, **HTMX)
    assert "errors" in bad.content.decode()


def test_contacts_join_with_a_role_and_leave(client, workspace, other_workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, stages[0], "Forklifts")
    ann = new_contact(owner, first_name="Ann", last_name="Lee")
    stranger = new_contact(other_workspace[1], first_name="Stranger")
    login(client, owner)
    url = reverse("deal_contact_add", args=[deal.pk])
    html = client.post(url, {"contact": ann.pk, "role": "Decision maker"}, **HTMX).content.decode()
    assert "Ann Lee" in html and "Decision maker" in html
    refused = client.post(url, {"contact": stranger.pk}, **HTMX)
    assert "Stranger" not in refused.content.decode()
    with tenant_scope(tenant):
        assert list(DealContact.objects.values_list("contact_id", "role")) == [
            (ann.pk, "Decision maker")
        ]
    client.post(reverse("deal_contact_remove", args=[deal.pk, ann.pk]), **HTMX)
    with tenant_scope(tenant):
        assert not DealContact.objects.exists()


def test_files_upload_download_delete_and_the_size_limit(client, workspace, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DEAL_ATTACHMENT_MAX_SIZE = 1024
    tenant, owner = workspace
    _, stages = funnel(tenant)
    deal = new_deal(owner, stages[0], "Forklifts")
    login(client, owner)
    url = reverse("deal_file_add", args=[deal.pk])
    upload = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer", content_type="application/pdf")
    html = client.post(url, {"file": upload}, **HTMX).content.decode()
    assert "offer.pdf" in html
    with tenant_scope(tenant):
        attachment = Attachment.objects.get(deal=deal)
    download = client.get(reverse("deal_file", args=[deal.pk, attachment.pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 offer"
    assert "offer.pdf" in download["Content-Disposition"]
    big = SimpleUploadedFile("huge.bin", b"x" * 4096)
    refused = client.post(url, {"file": big}, **HTMX).content.decode()
    assert 'data-testid="file-errors"' in refused and "MB" in refused
    client.post(reverse("deal_file_delete", args=[deal.pk, attachment.pk]), **HTMX)
    with tenant_scope(tenant):
        assert not Attachment.objects.exists()


def test_a_manager_without_delete_cannot_delete(client, workspace):
    tenant, _owner = workspace
    _, stages = funnel(tenant)
    manager = add_member(tenant, "manager")
    deal = new_deal(manager, stages[0], "Mine to keep")
    login(client, manager)
    assert b"Delete this deal" not in client.get(reverse("deal_card", args=[deal.pk])).content
    assert client.post(reverse("deal_delete", args=[deal.pk])).status_code == 403
    assert reload(deal).pk


# --- a new deal ----------------------------------------------------------------------------


def test_a_new_deal_from_a_contacts_card(client, workspace):
    tenant, owner = workspace
    _, stages = funnel(tenant)
    acme = new_company(owner, name="Acme Ltd")
    ann = new_contact(owner, first_name="Ann", last_name="Lee", company=acme)
    login(client, owner)
    card = client.get(reverse("contact_card", args=[ann.pk])).content.decode()
    assert f"{reverse('deal_new')}?contact={ann.pk}" in card
    form = client.get(reverse("deal_new"), {"contact": ann.pk}).content.decode()
    assert f'value="{acme.pk}" selected' in form and f'value="{ann.pk}" selected' in form
    response = client.post(
        reverse("deal_new"),
        {"title": "Forklifts", "stage": stages[1].pk, "amount": "5000", "currency": "USD",
         "company": acme.pk, "contact": ann.pk, "owner": owner.user_id, "tags": "vip"},
    )  # fmt: skip
    with tenant_scope(tenant):
        deal = Deal.objects.get()
        assert list(deal.contacts.all()) == [ann]
    assert response.status_code == 302 and response["Location"] == reverse(
        "deal_card", args=[deal.pk]
    )
    assert (deal.stage_id, deal.company_id, deal.amount, deal.tags) == (
        stages[1].pk, acme.pk, Decimal(5000), ["vip"]
    )  # fmt: skip


def test_the_new_deal_form_offers_only_what_the_member_sees(client, workspace, other_workspace):
    tenant, owner = workspace
    funnel(tenant)
    manager = add_member(tenant, "manager")
    theirs = new_company(owner, name="Admin's client")
    foreign = new_company(other_workspace[1], name="Globex client")
    login(client, manager)
    form = client.get(reverse("deal_new"), {"company": foreign.pk}).content.decode()
    assert "Admin&#x27;s client" not in form and "Globex client" not in form
    response = client.post(
        reverse("deal_new"), {"title": "Sneaky", "stage": funnel(tenant)[1][0].pk,
                              "currency": "USD", "company": theirs.pk}
    )  # fmt: skip
    assert response.status_code == 200
    with tenant_scope(tenant):
        assert not Deal.objects.exists()
    assert Company and Contact  # imported for the models used above
