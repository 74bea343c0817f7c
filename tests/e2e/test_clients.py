"""The client base in Chromium: search as you type, edit in place, merge duplicates."""

import pytest

from contacts.models import Contact
from crm.tenancy.context import tenant_scope
from tests.conftest import make_workspace
from tests.contacts.conftest import new_company, new_contact
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def base(transactional_db):
    tenant, owner = make_workspace("Acme")
    acme = new_company(owner, name="Altai Logistics", website="altai.example")
    ivan = new_contact(
        owner,
        first_name="Ivan",
        last_name="Petrov",
        company=acme,
        emails="ivan@altai.example",
        phones="+14155550100",
    )
    return tenant, owner, ivan


def test_global_search_finds_a_contact_as_you_type(page, base, screenshot_dir):
    _, owner, ivan = base
    log_in(page, owner.user.email)
    page.get_by_test_id("global-search").fill("petr")
    result = page.get_by_test_id("search-results").get_by_role("link", name="Ivan Petrov")
    result.wait_for()
    page.screenshot(path=screenshot_dir / "global-search.png")
    result.click()
    page.wait_for_url(f"**/contacts/{ivan.pk}/")
    assert page.get_by_test_id("record-title").inner_text() == "Ivan Petrov"


def test_a_field_is_edited_in_place_on_the_card(page, base, screenshot_dir):
    tenant, owner, ivan = base
    log_in(page, owner.user.email)
    page.goto(f"/contacts/{ivan.pk}/")
    page.get_by_test_id("field-position").click()
    box = page.locator("#field-position input[name=position]")
    box.fill("Head of purchasing")
    page.locator("#field-position").get_by_role("button", name="Save").click()
    page.get_by_test_id("field-position").filter(has_text="Head of purchasing").wait_for()
    page.screenshot(path=screenshot_dir / "contact-card.png", full_page=True)
    page.reload()
    assert "Head of purchasing" in page.get_by_test_id("field-position").inner_text()
    with tenant_scope(tenant):
        assert Contact.objects.get(pk=ivan.pk).position == "Head of purchasing"


def test_two_duplicates_are_merged(page, base, screenshot_dir):
    tenant, owner, ivan = base
    twin = new_contact(
        owner,
        first_name="Ivan",
        last_name="Petrov-Smith",
        emails="ivan@altai.example",
        position="Buyer",
        _dup=True,
    )
    log_in(page, owner.user.email)
    page.goto("/contacts/duplicates/")
    page.get_by_test_id("duplicate-group").get_by_role("button", name="Review and merge").click()
    form = page.get_by_test_id("merge-form")
    form.wait_for()
    form.locator(f"input[name=pick_last_name][value='{twin.pk}']").check()
    page.screenshot(path=screenshot_dir / "merge.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    form.get_by_role("button", name="Merge").click()
    page.wait_for_url(f"**/contacts/{ivan.pk}/")
    with tenant_scope(tenant):
        survivor = Contact.objects.get()
    assert survivor.pk == ivan.pk and survivor.last_name == "Petrov-Smith"
    assert "Merged with" in page.get_by_test_id("timeline").inner_text()


def test_contact_list_screenshot(page, base, screenshot_dir):
    _, owner, _ = base
    for i in range(5):
        new_contact(
            owner, first_name=f"Client{i}", last_name="Doe", tags="vip", emails=f"c{i}@mail.example"
        )
    log_in(page, owner.user.email)
    page.goto("/contacts/?ordering=last_name")
    page.get_by_test_id("records").wait_for()
    page.screenshot(path=screenshot_dir / "contacts.png", full_page=True)
    assert page.get_by_test_id("records").locator("tbody tr").count() == 6
