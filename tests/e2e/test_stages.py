"""The stage editor in Chromium: drag a stage to reorder the funnel, pick a colour, delete a
stage moving its deals; no errors in the console (the CSP would report inline styles or
scripts there). Screenshots at desktop and phone sizes."""

import pytest

from crm.tenancy.context import tenant_scope
from deals.models import Deal
from pipelines.models import Stage
from tests.conftest import make_workspace
from tests.e2e.conftest import PHONE, log_in
from tests.pipelines.helpers import funnel, new_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def order(pipeline):
    with tenant_scope(pipeline.tenant_id):
        return list(pipeline.stages.order_by("position").values_list("name", flat=True))


def test_the_stage_editor_in_a_browser(page, new_page, screenshot_dir):
    tenant, owner = make_workspace("Stage editor")
    pipeline, stages = funnel(tenant)
    for i in range(3):
        new_deal(owner, title=f"Deal {i}", stage=stages["Qualified"])
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, owner.user.email)
    page.goto(f"/settings/funnels/{pipeline.pk}/")
    rows = page.locator("[data-testid=stage-row]")
    assert rows.count() == 6

    # Drag "Negotiation" above "Lead" by its handle.
    handle = rows.nth(3).locator(".handle").bounding_box()
    target = rows.nth(0).bounding_box()
    page.mouse.move(handle["x"] + 5, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(handle["x"] + 5, target["y"] + target["height"] / 2, steps=15)
    page.mouse.move(handle["x"] + 5, target["y"] + 2, steps=5)
    page.wait_for_timeout(200)  # let SortableJS settle the row where it is dropped
    with page.expect_response(lambda r: "/stages/order/" in r.url) as answer:
        page.mouse.up()
    assert answer.value.status == 204
    page.get_by_text("Order saved.").wait_for()
    assert order(pipeline)[:2] == ["Negotiation", "Lead"]

    # Pick a colour for "Lead": the row is saved and swapped in place.
    lead = page.locator(f"#stage-{stages['Lead'].pk}")
    lead.locator(".palette > summary").click()
    with page.expect_response(lambda r: f"/settings/stages/{stages['Lead'].pk}/" in r.url):
        lead.locator("label[title='#da77f2']").click()
    page.locator(f"#stage-{stages['Lead'].pk}.stage-c9").wait_for()
    with tenant_scope(tenant):
        assert Stage.objects.get(pk=stages["Lead"].pk).color == "#da77f2"
    page.screenshot(path=screenshot_dir / "settings-funnel-stages.png", full_page=True)

    # Delete "Qualified", moving its three deals to "Proposal".
    qualified = page.locator(f"#stage-{stages['Qualified'].pk}")
    qualified.locator(".stage-delete > summary").click()
    qualified.locator("select[name=move_to]").select_option(label="Proposal")
    qualified.get_by_role("button", name="Delete stage").click()
    page.get_by_text("3 deals moved to Proposal").wait_for()
    assert page.locator("[data-testid=stage-row]").count() == 5
    with tenant_scope(tenant):
        assert Deal.objects.filter(stage=stages["Proposal"]).count() == 3
    assert errors == [], "\n".join(errors)

    phone = new_page(viewport=PHONE)
    log_in(phone, owner.user.email)
    phone.goto(f"/settings/funnels/{pipeline.pk}/")
    phone.screenshot(path=screenshot_dir / "settings-funnel-stages-phone.png", full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the editor scrolls sideways on a phone"
