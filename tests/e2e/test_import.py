"""Import a spreadsheet through the browser and watch a real worker fill the progress bar."""

import io

import pytest
import xlsxwriter

from contacts.models import Contact, ImportJob
from crm.tenancy.context import tenant_scope
from tests.conftest import make_workspace
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def workbook(rows: int) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Имя", "Фамилия", "Эл. почта", "Телефон", "Компания"])
    for i in range(1, rows + 1):
        email = "broken-email" if i % 50 == 0 else f"client{i}@mail.example"
        sheet.write_row(
            i, 0, [f"Client{i}", "Doe", email, f"+1 415 555 {i % 10000:04d}", f"Company {i % 40}"]
        )
    book.close()
    return out.getvalue()


def test_import_a_spreadsheet_and_watch_the_progress(
    page, celery_worker_real, screenshot_dir, tmp_path
):
    tenant, owner = make_workspace("Importers")
    path = tmp_path / "clients.xlsx"
    path.write_bytes(workbook(3000))
    log_in(page, owner.user.email)
    page.goto("/contacts/")
    page.get_by_role("link", name="Import").click()
    page.locator("#import-file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_test_id("import-preview").wait_for()
    # Russian headers were recognised: the email column maps to Email.
    assert page.locator("select[name=col-2]").input_value() == "emails"
    page.screenshot(path=screenshot_dir / "import-mapping.png", full_page=True)
    page.get_by_test_id("import-start").click()
    progress = page.get_by_test_id("import-progress")
    progress.wait_for()
    page.locator("[data-testid=import-progress][data-status=done]").wait_for(timeout=60_000)
    assert page.locator("progress").get_attribute("value") == "100"
    page.screenshot(path=screenshot_dir / "import-done.png", full_page=True)
    with tenant_scope(tenant):
        job = ImportJob.objects.get()
        assert (job.created, job.failed) == (2940, 60)
        assert Contact.objects.count() == 2940
    assert page.get_by_test_id("import-errors").is_visible()


def test_an_import_stopped_by_a_dead_worker_is_tried_again_with_one_click(
    page, celery_worker_real, screenshot_dir, tmp_path
):
    """The recovery sweep failed the job (its worker died): the page says nothing was saved
    and offers to try again; one click runs it to the end with the same mapping."""
    tenant, owner = make_workspace("Retriers")
    path = tmp_path / "clients.xlsx"
    path.write_bytes(workbook(120))
    log_in(page, owner.user.email)
    page.goto("/contacts/import/")
    page.locator("#import-file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_test_id("import-preview").wait_for()
    with tenant_scope(tenant):
        job = ImportJob.objects.get()
        # What recover_imports leaves after a worker died midway.
        ImportJob.objects.filter(pk=job.pk).update(
            status="failed", mapping=job.mapping, duplicate_policy="skip",
            error="The import stopped before it finished.",
        )  # fmt: skip
    page.reload()
    page.get_by_text("Nothing from this file was saved").wait_for()
    page.screenshot(path=screenshot_dir / "import-failed.png", full_page=True)
    page.get_by_test_id("import-retry").click()
    page.locator("[data-testid=import-progress][data-status=done]").wait_for(timeout=60_000)
    assert page.get_by_text("The import has started again.").is_visible()
    with tenant_scope(tenant):
        assert Contact.objects.count() == 118  # rows 50 and 100 have a broken email
