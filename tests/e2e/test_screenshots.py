"""A tour of the main pages with real data, saved as full-page screenshots for review.

Besides the pictures, it checks what a reviewer would otherwise have to spot by eye: every
page answers with its status and heading, nothing breaks the Content Security Policy (no
console errors), and the members page fits a phone's width.
"""

import pytest
from playwright.sync_api import expect

from crm.accounts import services
from crm.accounts.models import Role
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, make_user, make_workspace
from tests.e2e.conftest import PHONE, log_in

# (file name, address, status, heading)
ANONYMOUS = [
    ("login", "/accounts/login/", 200, "Log in"),
    ("signup", "/accounts/signup/", 200, "Create your workspace"),
]
SIGNED_IN = [
    ("members", "/settings/members/", 200, "Members"),
    ("roles", "/settings/roles/", 200, "Roles"),
    ("role-edit", "role-edit", 200, "Role: Sales manager"),
    ("departments", "/settings/departments/", 200, "Departments"),
    ("api-keys", "/settings/api-keys/", 200, "API keys"),
    ("audit", "/settings/audit/", 200, "Audit trail"),
    ("webhooks", "/settings/webhooks/", 200, "Webhooks"),
    ("my-day", "/tasks/", 200, "My day"),
    ("not-found", "/no-such-page/", 404, "We could not find that page"),
]


def populate():
    """A small sales team, as a workspace looks after its first week."""
    owner = make_user(email="anna@acme.example", first_name="Anna", last_name="Smirnova")
    tenant, admin = make_workspace("Acme Trading", owner=owner)
    people = [
        ("Boris", "Ivanov", "head"),
        ("Chen", "Wei", "manager"),
        ("Dmitri", "Orlov", "manager"),
        ("Elena", "Kuznetsova", "accountant"),
        ("Farid", "Aliyev", "manager"),
    ]
    members = [
        add_member(
            tenant,
            key,
            user=make_user(email=f"{first.lower()}@acme.example", first_name=first, last_name=last),
        )
        for first, last, key in people
    ]
    with tenant_scope(tenant, owner):
        sales = services.department_save(actor=admin, name="Field sales", head=members[0].user)
        services.department_save(actor=admin, name="Online sales")
        for member in members[:3]:
            services.member_update(actor=admin, membership=member, department=sales)
        services.invitation_create(
            actor=admin, email="new.hire@acme.example", role=Role.objects.get(key="manager")
        )
        services.api_key_create(actor=admin, name="Website contact form")
        manager_role = Role.objects.get(key="manager")
    return tenant, admin, manager_role


def shoot(page, screenshot_dir, name, full_page=True):
    path = screenshot_dir / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def visit(page, url, status, heading):
    response = page.goto(url)
    assert response.status == status, url
    expect(page.locator("h1").first).to_have_text(heading)


@pytest.mark.e2e
def test_screenshots_of_the_main_pages(new_page, screenshot_dir, smtp):
    _tenant, admin, manager_role = populate()  # its invitation goes to the `smtp` inbox
    console_errors = []

    def watch(page):
        def on_console(msg):
            # A CSP violation or a script error shows here; the 404 page's own status does too.
            if msg.type == "error" and "status of 404" not in msg.text:
                console_errors.append(f"{page.url}: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: console_errors.append(f"{page.url}: {exc}"))
        return page

    anonymous = watch(new_page())
    for name, url, status, heading in ANONYMOUS:
        visit(anonymous, url, status, heading)
        shoot(anonymous, screenshot_dir, name)

    page = watch(new_page())
    log_in(page, admin.user.email)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()  # the sidebar is there
    for name, url, status, heading in SIGNED_IN:
        if url == "role-edit":
            url = f"/settings/roles/{manager_role.pk}/"
        visit(page, url, status, heading)
        shoot(page, screenshot_dir, name)

    # A sales manager on the road: the members page on a phone.
    phone = watch(new_page(viewport=PHONE, is_mobile=True, has_touch=True))
    log_in(phone, admin.user.email)
    visit(phone, "/settings/members/", 200, "Members")
    shoot(phone, screenshot_dir, "members-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (
        f"the members page is {width}px wide on a {PHONE['width']}px phone"
    )
    expect(phone.locator("nav.sidebar")).to_be_hidden()  # folded away behind the menu button
    phone.get_by_role("button", name="Menu").click()
    expect(phone.locator("nav.sidebar")).to_be_visible()
    shoot(phone, screenshot_dir, "menu-phone", full_page=False)
    # The open menu leaves the menu button in reach (a click that lands on it closes it).
    phone.get_by_role("button", name="Menu").click()
    expect(phone.locator("nav.sidebar")).to_be_hidden()

    assert console_errors == []
    expected = {n for n, *_ in ANONYMOUS + SIGNED_IN} | {"members-phone", "menu-phone"}
    assert expected <= {p.stem for p in screenshot_dir.glob("*.png")}
