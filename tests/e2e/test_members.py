"""Members: inviting a colleague by real email, and changing a member's role inline."""

import re

import pytest
from playwright.sync_api import expect

from crm.accounts.models import Invitation, Membership
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, make_workspace, wait_for
from tests.e2e.conftest import log_in

INVITE_LINK = re.compile(r"https?://\S+/invite/[^/\s]+/")


@pytest.mark.e2e
def test_admin_invites_a_colleague_who_joins_from_the_emailed_link(
    page, new_page, smtp, settings, live_server
):
    settings.SITE_URL = live_server.url  # the link in the email points at this server
    tenant, owner = make_workspace("Acme")
    log_in(page, owner.user.email)

    page.goto("/settings/members/")
    form = page.get_by_test_id("invite-form")
    form.get_by_label("Email").fill("Boris@Acme.example")
    form.get_by_label("Role").select_option(label="Sales manager")
    form.get_by_role("button", name="Send invitation").click()

    expect(page.locator(".messages")).to_contain_text(
        re.compile("Invitation sent to boris@acme.example", re.I)
    )
    pending = page.get_by_test_id("pending-invitations")
    expect(pending.get_by_role("row", name=re.compile("boris@acme.example"))).to_contain_text(
        "Sales manager"
    )

    # The email went through a real SMTP conversation on loopback.
    wait_for(lambda: smtp.messages)
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "boris@acme.example"
    assert message["Subject"] == "You are invited to Acme on the CRM"
    body = smtp.bodies()[0]
    assert "invited you to join Acme as Sales manager" in body
    link = INVITE_LINK.search(body).group(0)
    assert link.startswith(live_server.url)

    # The colleague opens the link in their own browser, with no account yet.
    guest = new_page()
    guest.goto(link)
    expect(guest.get_by_role("heading", name="Join Acme")).to_be_visible()
    expect(guest.get_by_label("Email")).to_have_value("boris@acme.example")
    expect(guest.get_by_label("Email")).to_be_disabled()
    guest.get_by_label("Your name").fill("Boris")
    guest.get_by_label("Last name").fill("Ivanov")
    guest.get_by_label("Choose a password").fill("Another-strong-pass-7")
    guest.get_by_role("button", name="Create account and join").click()

    expect(guest.locator(".messages")).to_contain_text("You joined Acme.")
    expect(guest.locator("nav.sidebar .brand")).to_have_text("Acme")
    with tenant_scope(tenant):
        joined = Membership.objects.select_related("user", "role").get(
            user__email="boris@acme.example"
        )
        invitation = Invitation.objects.get(email="boris@acme.example")
    assert joined.role.key == "manager" and joined.is_active
    assert joined.user.check_password("Another-strong-pass-7")
    assert invitation.status == "accepted"

    # The admin sees the new member, and the invitation is no longer pending.
    page.reload()
    row = page.locator("[data-testid=member-row][data-email='boris@acme.example']")
    expect(row).to_contain_text("Boris Ivanov")
    expect(row.get_by_label("Role")).to_have_value(str(joined.role_id))
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    expect(page.get_by_test_id("pending-invitations")).to_have_count(0)

    # The link works once.
    again = new_page()
    again.goto(link)
    expect(again.get_by_role("heading", name="This invitation is not valid")).to_be_visible()


@pytest.mark.e2e
def test_member_role_changes_inline_without_a_page_load(page):
    tenant, owner = make_workspace("Acme")
    member = add_member(tenant, "manager")
    log_in(page, owner.user.email)
    page.goto("/settings/members/")

    row = page.locator(f"[data-testid=member-row][data-email='{member.user.email}']")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloaded
    with page.expect_response(
        lambda r: r.url.endswith(f"/settings/members/{member.pk}/") and r.request.method == "POST"
    ) as posted:
        row.get_by_label("Role").select_option(label="Accountant")
    response = posted.value
    assert response.status == 200
    assert response.request.headers.get("hx-request") == "true"

    with tenant_scope(tenant):
        member.refresh_from_db()
        accountant = member.role
    assert accountant.key == "accountant"
    # The row was swapped in place with the saved state; the page itself did not reload.
    expect(row.get_by_label("Role")).to_have_value(str(accountant.pk))
    expect(page.locator(".messages")).to_have_text(f"Saved the access of {member.user}.")
    assert page.evaluate("window.__sameDocument") is True

    # After a full reload the page shows what is stored, and the message is not shown twice.
    page.reload()
    expect(row.get_by_label("Role").locator("option:checked")).to_have_text("Accountant")
    expect(page.locator(".messages")).to_have_count(0)


@pytest.mark.e2e
def test_last_admin_cannot_demote_themself_inline(page):
    tenant, owner = make_workspace("Acme")
    log_in(page, owner.user.email)
    page.goto("/settings/members/")

    row = page.locator(f"[data-testid=member-row][data-email='{owner.user.email}']")
    with page.expect_response(lambda r: r.request.method == "POST"):
        row.get_by_label("Role").select_option(label="Sales manager")

    expect(page.locator(".messages")).to_contain_text("The workspace needs at least one admin.")
    expect(row.get_by_label("Role").locator("option:checked")).to_have_text("Admin")
    with tenant_scope(tenant):
        owner.refresh_from_db()
        assert owner.role.key == "admin"
