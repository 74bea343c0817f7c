"""One login in two workspaces: the switcher moves the whole app to the other one."""

import pytest
from playwright.sync_api import expect

from tests.conftest import add_member, make_workspace
from tests.e2e.conftest import log_in


@pytest.mark.e2e
def test_switching_workspace_changes_what_the_app_shows(page):
    _acme, owner = make_workspace("Acme")
    globex, _ = make_workspace("Globex")
    add_member(globex, "manager", user=owner.user)
    add_member(globex, "manager")  # Globex: its owner, a colleague and this user

    log_in(page, owner.user.email)
    switcher = page.get_by_test_id("workspace-switcher")
    brand = page.locator("nav.sidebar .brand")
    expect(brand).to_have_text("Acme")  # the first workspace by name
    expect(switcher.locator("summary")).to_contain_text("Acme")

    switcher.locator("summary").click()
    expect(switcher.get_by_role("button", name="Globex")).to_be_visible()
    switcher.get_by_role("button", name="Globex").click()

    expect(page.locator(".messages")).to_contain_text("Switched to Globex.")
    expect(brand).to_have_text("Globex")
    expect(switcher.locator("summary")).to_contain_text("Globex")

    # The choice sticks to the session, and the data is Globex's: its three members, and no
    # invite form, as this user is a Sales manager there.
    page.goto("/settings/members/")
    expect(brand).to_have_text("Globex")
    expect(page.get_by_test_id("member-row")).to_have_count(3)
    expect(page.get_by_test_id("invite-form")).to_have_count(0)

    # And back again.
    switcher.locator("summary").click()
    switcher.get_by_role("button", name="Acme").click()
    expect(brand).to_have_text("Acme")
    page.goto("/settings/members/")
    expect(page.get_by_test_id("member-row")).to_have_count(1)
    expect(page.get_by_test_id("invite-form")).to_be_visible()
