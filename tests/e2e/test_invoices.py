"""Invoices in Chromium: a manager creates an invoice from a deal card, issues it, downloads
the PDF, records a partial and then a full payment, and the deal card shows it paid; no
console errors (the CSP allows no inline script or style)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.conftest import add_member, make_user, make_workspace
from tests.e2e.conftest import log_in
from tests.invoices.conftest import deal_with_lines

pytestmark = pytest.mark.e2e


def test_a_manager_invoices_a_deal_and_records_its_payments(transactional_db, page, screenshot_dir):
    tenant, _admin = make_workspace("Northwind Trading")
    manager = add_member(tenant, "manager", user=make_user(email="ivan@northwind.example"))
    deal = deal_with_lines(
        manager,
        title="Dock levellers",
        lines=[("Dock leveller", Decimal(2), Decimal("1500.00"), Decimal(0), Decimal(20))],
    )
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, "ivan@northwind.example")

    page.goto(f"/deals/{deal.pk}/")
    page.get_by_test_id("create-invoice").click()
    expect(page.get_by_test_id("invoice-line")).to_have_count(1)
    expect(page.get_by_test_id("invoice-total")).to_contain_text("3,600.00")
    page.get_by_test_id("invoice-issue").click()
    expect(page.get_by_test_id("invoice-number")).to_contain_text("INV-")
    number = page.get_by_test_id("invoice-number").inner_text().split()[-1]

    with page.expect_download() as download:
        page.get_by_test_id("invoice-pdf").click()
    assert download.value.path().read_bytes().startswith(b"%PDF")

    form = page.get_by_test_id("payment-form")
    form.get_by_label("Amount").fill("1000")
    form.get_by_role("button", name="Record payment").click()
    expect(page.get_by_test_id("invoice-payment-status")).to_have_text("Partly paid")
    form = page.get_by_test_id("payment-form")
    form.get_by_label("Amount").fill("2600")
    form.get_by_role("button", name="Record payment").click()
    expect(page.get_by_test_id("invoice-payment-status")).to_have_text("Paid")
    page.screenshot(path=screenshot_dir / "invoice-paid.png", full_page=True)

    page.goto(f"/deals/{deal.pk}/")
    row = page.get_by_test_id("deal-invoice")
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("Paid")
    page.screenshot(path=screenshot_dir / "deal-card-invoices.png", full_page=True)

    page.goto("/invoices/?payment_status=paid")
    expect(page.get_by_test_id("invoice-row")).to_have_count(1)
    expect(page.get_by_test_id("invoice-totals")).to_contain_text("USD")
    page.screenshot(path=screenshot_dir / "invoice-list.png", full_page=True)
    assert errors == []
