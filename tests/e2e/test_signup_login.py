"""Sign-up makes a workspace and logs the person in; logging out and in again works."""

import pytest
from playwright.sync_api import expect

from crm.accounts.models import Membership, Role, User
from crm.tenancy.context import tenant_scope
from crm.tenancy.models import Tenant
from tests.e2e.conftest import PASSWORD


@pytest.mark.e2e
def test_sign_up_then_log_out_and_log_in_again(page):
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill("Olga")
    page.get_by_label("Last name").fill("Petrova")
    page.get_by_label("Work email").fill("Olga@Northwind.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Company name").fill("Northwind Traders")
    page.get_by_role("button", name="Create workspace").click()

    # In the app: the new workspace's members page, the owner in it, a welcome message.
    expect(page).to_have_url("/settings/members/")
    expect(page.locator(".messages")).to_contain_text("Your workspace Northwind Traders is ready")
    expect(page.locator("nav.sidebar .brand")).to_have_text("Northwind Traders")
    expect(page.get_by_test_id("member-row")).to_have_count(1)
    expect(page.get_by_test_id("member-row")).to_contain_text("Olga Petrova")

    tenant = Tenant.objects.get(name="Northwind Traders")
    user = User.objects.get(email="olga@northwind.example")  # stored in lower case
    assert tenant.slug == "northwind-traders"
    with tenant_scope(tenant):
        assert Role.objects.filter(key__in=["admin", "head", "manager", "accountant"]).count() == 4
        membership = Membership.objects.select_related("role").get(user=user)
    assert membership.role.key == "admin" and membership.is_active

    # Log out through the user menu: back on the login page, the app is closed.
    page.get_by_test_id("user-menu").locator("summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url("/accounts/login/")
    page.goto("/settings/members/")
    expect(page).to_have_url("/accounts/login/?next=/settings/members/")

    # A wrong password is refused with a clear message.
    page.get_by_label("Email").fill("olga@northwind.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-errors")).to_contain_text("Email or password is not right")

    # The right one lets her in, and `next` brings her back where she wanted to go.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url("/settings/members/")
    expect(page.locator("nav.sidebar .brand")).to_have_text("Northwind Traders")
    expect(page.get_by_test_id("user-menu").locator("summary")).to_contain_text("Olga Petrova")


@pytest.mark.e2e
def test_sign_up_with_a_taken_email_is_refused(page):
    User.objects.create_user(email="taken@example.com", password=PASSWORD)
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill("Ivan")
    page.get_by_label("Work email").fill("taken@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Company name").fill("Second Company")
    page.get_by_role("button", name="Create workspace").click()

    expect(page).to_have_url("/accounts/signup/")
    expect(page.locator(".field.has-error")).to_contain_text("An account with this email exists")
    assert not Tenant.objects.filter(name="Second Company").exists()
