"""Figures on the report pages, the dashboard widgets and the mail are written for the reader
(grouping and the workspace's currency, crm.web.l10n); the API and the exports keep raw values."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from crm.tenancy.context import tenant_scope
from reports import board_run, boards, present, run, services
from tests.conftest import add_member, login, make_user

from .helpers import at, make_deals

DEFINITION = {
    "columns": ["title", "amount"],
    "group_by": ["owner"],
    "summaries": [{"field": "amount", "agg": "sum"}, {"field": "amount", "agg": "avg"}],
    "formulas": [{"key": "per_deal", "label": "Per deal", "expr": "amount__sum / count"}],
}


@pytest.fixture
def sales(workspace):
    tenant, admin = workspace
    tenant.currency = "RUB"
    tenant.save(update_fields=["currency"])
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    make_deals(tenant, [
        (ann.user, "1234567.50", "won", at(2026, 1), "Big"),
        (ann.user, "2000.00", "won", at(2026, 2), "Small"),
    ])  # fmt: skip
    with tenant_scope(tenant, admin.user):
        report = services.report_create(actor=admin, name="Amounts", report_type="deals",
                                        definition=DEFINITION, is_shared=True)  # fmt: skip
    return tenant, admin, ann, report


def test_the_table_writes_money_and_numbers_in_the_readers_language(sales):
    tenant, admin, _ann, _report = sales
    with tenant_scope(tenant, admin.user):
        outcome = run.run("deals", DEFINITION, admin, tenant.time_zone)
    with translation.override("en"):
        table = present.table(outcome.spec, outcome.result, tenant.currency)
    assert table["groups"][0]["values"][:2] == ["₽1,236,567.50", "₽618,283.75"]
    assert table["groups"][0]["values"][2] == "618,283.75"  # a formula: a number
    assert table["totals"][0] == "₽1,236,567.50"
    cells = {tuple(r["cells"]) for r in table["rows"]}
    assert ("Big", "₽1,234,567.50") in cells  # the deal's own currency (RUB, the default)
    with translation.override("ru"):
        ru = present.table(outcome.spec, outcome.result, tenant.currency)
    assert ru["groups"][0]["values"][0] == "1\xa0236\xa0567,50\xa0₽"
    # The result itself stays raw.
    assert outcome.result.groups[0]["values"]["amount__sum"] == outcome.result.totals["amount__sum"]


def test_the_run_page_shows_formatted_figures_and_the_api_raw_strings(client, sales):
    _tenant, admin, _ann, report = sales
    login(client, admin)
    page = client.get(reverse("report_run", args=[report.pk])).content.decode()
    assert "₽1,236,567.50" in page and "₽1,234,567.50" in page
    api = client.get(f"/api/v1/reports/{report.pk}/run/").json()
    assert api["groups"][0]["values"]["amount__sum"] in ("1236567.50", "1236567.5")
    export = client.get(reverse("report_export", args=[report.pk]), {"file_format": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert any("1234567.50" in r for r in rows)  # the export keeps the raw number


def test_widgets_and_the_dashboard_mail_show_formatted_figures(client, sales):
    tenant, admin, _ann, report = sales
    with tenant_scope(tenant, admin.user):
        board = boards.board_save(actor=admin, name="Money", is_shared=True)
        boards.widget_add(actor=admin, board=board, report_id=report.pk, kind="kpi")
        boards.widget_add(actor=admin, board=board, report_id=report.pk, kind="table")
        shown = board_run.run_board(board, admin, tenant, board_run.BoardFilters())
    assert shown[0].value_text == "₽1,236,567.50"
    assert shown[1].table["groups"][0]["values"][0] == "₽1,236,567.50"
    page = login(client, admin).get(reverse("board", args=[board.pk])).content.decode()
    assert "₽1,236,567.50" in page
    from reports import emails

    class Sub:  # what send_dashboard reads of a subscription
        dashboard, recipient = board, admin.user

    Sub.tenant = tenant
    with translation.override("en"):
        emails.send_dashboard(Sub, shown)
    assert "₽1,236,567.50" in mail.outbox[-1].body
