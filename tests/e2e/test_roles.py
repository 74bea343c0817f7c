"""Role changes take effect on the next page a member opens: the navigation and the page."""

import pytest
from playwright.sync_api import expect

from crm.accounts.models import Role
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, make_workspace
from tests.e2e.conftest import log_in

ALL_ACTIONS = ("View", "Create", "Edit", "Delete", "Export")


def sidebar(page):
    return page.locator("nav.sidebar")


@pytest.mark.e2e
@pytest.mark.parametrize(
    "untick",
    [
        pytest.param(
            ("View",),
            id="only-view",
        ),
        pytest.param(ALL_ACTIONS, id="whole-row"),
    ],
)
def test_manager_loses_contacts_when_admin_takes_view_away(page, new_page, untick):
    tenant, owner = make_workspace("Acme")
    manager = add_member(tenant, "manager")

    # Before: the manager has Contacts in the sidebar and can open it.
    manager_page = new_page()
    log_in(manager_page, manager.user.email)
    expect(sidebar(manager_page).get_by_role("link", name="Contacts")).to_be_visible()
    manager_page.goto("/contacts/")
    expect(manager_page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()

    # The admin edits the Sales manager role and takes Contacts away.
    log_in(page, owner.user.email)
    page.goto("/settings/roles/")
    page.get_by_role("link", name="Sales manager", exact=True).click()
    expect(page.get_by_role("heading", name="Role: Sales manager")).to_be_visible()
    contacts = page.get_by_test_id("grants").get_by_role("row", name="Contacts")
    columns = [c.strip() for c in page.get_by_test_id("grants").locator("th").all_text_contents()]
    for action in untick:
        contacts.locator("td").nth(columns.index(action)).locator("input").uncheck()
    page.get_by_role("button", name="Save role").click()
    expect(page).to_have_url("/settings/roles/")
    expect(page.locator(".messages")).to_contain_text("Role Sales manager saved.")

    with tenant_scope(tenant):
        role = Role.objects.get(key="manager")
    assert not role.can("contact", "view"), role.grants["contact"]
    assert role.can("deal", "view")  # the other rows are as they were

    # After: on the manager's next page, Contacts is gone and its address answers 403.
    manager_page.goto("/deals/")
    nav = sidebar(manager_page)
    expect(nav.get_by_role("link", name="Deals")).to_be_visible()
    expect(nav.get_by_role("link", name="Contacts")).to_have_count(0)
    response = manager_page.goto("/contacts/")
    assert response.status == 403
    expect(manager_page.get_by_role("heading")).to_have_text("You do not have access to this page")


@pytest.mark.e2e
def test_a_manager_cannot_open_the_roles_settings(page):
    tenant, _owner = make_workspace("Acme")
    manager = add_member(tenant, "manager")
    log_in(page, manager.user.email)

    page.goto("/settings/")
    subnav = page.locator("nav.subnav")
    expect(subnav.get_by_role("link", name="Members")).to_be_visible()
    expect(subnav.get_by_role("link", name="Roles")).to_have_count(0)
    assert page.goto("/settings/roles/").status == 403
