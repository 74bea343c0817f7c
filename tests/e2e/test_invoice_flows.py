"""The flows around the money in Chromium: an accountant uploads a bank statement (the 1C
exchange file), reviews the matches, picks the unmatched payment's invoice by hand and
confirms; the client opens their page by its token (no login) and sees what is paid and
what is due. No console errors (the CSP allows no inline script or style)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm.tenancy.context import tenant_scope
from invoices import flows
from tests.conftest import add_member, make_user, make_workspace
from tests.e2e.conftest import log_in
from tests.invoices.flows_helpers import company, issued
from tests.invoices.test_statements import onec

pytestmark = pytest.mark.e2e


def test_an_accountant_imports_a_statement_and_the_client_sees_it_paid(
    transactional_db, page, new_page, screenshot_dir, tmp_path
):
    tenant, admin = make_workspace("Northwind Trading")
    accountant = add_member(tenant, "accountant", user=make_user(email="olga@northwind.example"))
    client = company(admin, "ООО Клиент", tax_number="7707083893")
    matched = issued(admin, client, "1500.00", currency="RUB")
    by_hand = issued(admin, company(admin, "Другой"), "300.00", currency="RUB")
    statement = tmp_path / "kl_to_1c.txt"
    statement.write_bytes(onec(
        ("11", "03.03.2026", "1000.00", "7707083893", f"Оплата по счёту № {matched.number}"),
        ("12", "04.03.2026", "300.00", "5001000000", "Оплата без номера"),
    ))  # fmt: skip
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, "olga@northwind.example")

    page.goto("/invoices/")
    page.get_by_test_id("statements-link").click()
    page.get_by_label("Statement file").set_input_files(str(statement))
    page.get_by_role("button", name="Upload").click()
    lines = page.get_by_test_id("statement-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_have_attribute("data-state", "matched")
    expect(lines.nth(0).get_by_test_id("statement-invoice")).to_have_value(matched.number)
    expect(lines.nth(1)).to_have_attribute("data-state", "unmatched")
    lines.nth(1).get_by_test_id("statement-invoice").fill(by_hand.number)
    page.screenshot(path=screenshot_dir / "statement-review.png", full_page=True)
    page.get_by_test_id("statement-confirm").click()
    expect(page.get_by_text("2 payments recorded.")).to_be_visible()
    expect(lines.nth(0)).to_have_attribute("data-state", "recorded")

    with tenant_scope(tenant, accountant.user):
        link = flows.client_link_create(actor=accountant, invoice=matched)
    visitor = new_page()  # no login, its own cookies
    visitor.goto(f"/i/{link.token}/")
    expect(visitor.get_by_test_id("client-paid")).to_contain_text(re.compile(r"1\D?000[.,]00"))
    expect(visitor.get_by_test_id("client-due")).to_contain_text(re.compile(r"\b500[.,]00"))
    expect(visitor.get_by_test_id("client-others")).to_have_count(0)  # one invoice of theirs
    with visitor.expect_download() as download:
        visitor.get_by_test_id("client-pdf").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")
    visitor.screenshot(path=screenshot_dir / "client-page.png", full_page=True)
    assert errors == []
