import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import Contact, ImportJob
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, login

pytestmark = pytest.mark.django_db


def csv_file(rows, name="people.csv"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


ROWS = [["First name", "Last name", "Email", "Phone"],
        ["Ann", "Lee", "ann@x.example", "+1 415 555 0100"],
        ["Bob", "Ray", "not-an-email", "+1 415 555 0101"],
        ["Cid", "Moe", "cid@x.example", ""]]  # fmt: skip


def test_upload_map_start_and_see_the_result(client, workspace, django_capture_on_commit_callbacks):
    tenant, owner = workspace
    login(client, owner)
    response = client.post(reverse("import_new"), {"file": csv_file(ROWS)})
    assert response.status_code == 302
    job_url = response["Location"]
    page = client.get(job_url).content.decode()
    assert "Ann" in page and 'value="emails" selected' in page and "not-an-email" in page
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            job_url,
            {
                "col-0": "first_name",
                "col-1": "last_name",
                "col-2": "emails",
                "col-3": "phones",
                "duplicate_policy": "skip",
                "action": "start",
            },
        )
    assert started.status_code == 302
    done = client.get(job_url).content.decode()
    assert 'data-status="done"' in done
    with tenant_scope(tenant):
        job = ImportJob.objects.get()
        assert (job.created, job.failed) == (2, 1)
        assert sorted(Contact.objects.values_list("first_name", flat=True)) == ["Ann", "Cid"]
    errors = client.get(reverse("contact_import_errors", args=[job.pk]))
    body = b"".join(errors.streaming_content).decode("utf-8-sig")
    assert "not-an-email" in body and "Bob" in body


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"First name,Email\r\n", "no rows"),
        (b"PK\x03\x04garbage", ""),
        (",".join(f"c{i}" for i in range(100_000)).encode() + b"\r\nx\r\n", "100,000 columns"),
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_saved(client, workspace, content, message):
    tenant, owner = workspace
    login(client, owner)
    name = "broken.xlsx" if content.startswith(b"PK") else "bad.csv"
    response = client.post(
        reverse("import_new"), {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-error"' in html
    assert message in html.lower()
    with tenant_scope(tenant):
        assert not ImportJob.objects.exists()


def test_no_file_is_a_clear_error(client, workspace):
    response = login(client, workspace[1]).post(reverse("import_new"), {})
    assert b"Choose a CSV or Excel file first" in response.content


def test_other_workspaces_imports_are_not_found(client, workspace, other_workspace):
    from contacts.importer.services import import_create

    _, owner_b = other_workspace
    with tenant_scope(other_workspace[0]):
        job = import_create(actor=owner_b, upload=csv_file(ROWS))
    login(client, workspace[1])
    for name in ("contact_import", "contact_import_progress", "contact_import_errors"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert (
        client.post(
            reverse("contact_import", args=[job.pk]),
            {"action": "start", "duplicate_policy": "skip"},
        ).status_code
        == 404
    )


def test_a_role_that_cannot_create_contacts_cannot_import(client, workspace):
    accountant = add_member(workspace[0], "accountant")
    assert login(client, accountant).get(reverse("import_new")).status_code == 403


def test_a_forged_mapping_is_refused_with_a_message(client, workspace):
    login(client, workspace[1])
    job_url = client.post(reverse("import_new"), {"file": csv_file(ROWS)})["Location"]
    response = client.post(
        job_url, {"col-0": "password", "action": "start", "duplicate_policy": "skip"}
    )
    assert response.status_code == 200
    assert "is not a field you can import into" in response.content.decode()


def test_stalled_imports_are_failed_or_queued_again(workspace, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from contacts.importer.services import import_create
    from contacts.tasks import recover_imports

    tenant, owner = workspace
    with tenant_scope(tenant):
        dead = import_create(actor=owner, upload=csv_file(ROWS))
        lost = import_create(actor=owner, upload=csv_file(ROWS))
        fresh = import_create(actor=owner, upload=csv_file(ROWS))
        long_ago = timezone.now() - timedelta(hours=2)
        ImportJob.objects.filter(pk=dead.pk).update(status="running", started_at=long_ago)
        ImportJob.objects.filter(pk=lost.pk).update(
            status="queued", created_at=long_ago, mapping={"0": "first_name", "2": "emails"}
        )
        ImportJob.objects.filter(pk=fresh.pk).update(status="running", started_at=timezone.now())
    assert recover_imports() == {"failed": 1, "requeued": 1}  # eager: the lost one ran now
    with tenant_scope(tenant):
        statuses = dict(ImportJob.objects.values_list("pk", "status"))
        assert statuses == {dead.pk: "failed", lost.pk: "done", fresh.pk: "running"}
        assert ImportJob.objects.get(pk=dead.pk).error == "The import stopped before it finished."
        assert Contact.objects.count() == 2


def test_a_failed_import_is_tried_again_from_its_page(
    client, workspace, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    login(client, owner)
    client.post(reverse("import_new"), {"file": csv_file(ROWS)})
    with tenant_scope(tenant):
        job = ImportJob.objects.get()
        ImportJob.objects.filter(pk=job.pk).update(
            status="failed", mapping={"0": "first_name", "2": "emails"}, error="stopped"
        )
    page = client.get(reverse("contact_import", args=[job.pk])).content.decode()
    assert 'data-testid="import-retry"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("contact_import", args=[job.pk]), {"action": "retry"})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "The import has started again." in page and 'data-status="done"' in page
    with tenant_scope(tenant):
        assert Contact.objects.count() == 2  # Bob's email is not one: his row failed
    response = client.post(reverse("contact_import", args=[job.pk]), {"action": "retry"})
    assert "Only a failed import can be tried again." in client.get(response.url).content.decode()

    colleague = add_member(tenant, "manager")
    login(client, colleague)
    response = client.post(reverse("contact_import", args=[job.pk]), {"action": "retry"})
    assert response.status_code == 404


def test_the_mapping_page_reads_a_csv_again_in_another_encoding(client, workspace):
    tenant, owner = workspace
    login(client, owner)
    data = "Имя,Email\r\nОльга,o@x.ru\r\n".encode("cp1251")
    job_url = client.post(
        reverse("import_new"), {"file": SimpleUploadedFile("r.csv", data, "text/csv")}
    )["Location"]
    page = client.get(job_url).content.decode()
    assert 'data-testid="import-encoding"' in page and '<option value="cp1251" selected' in page
    assert "Ольга" in page

    page = client.post(job_url, {"action": "encoding", "encoding": "koi8_r"}, follow=True)
    assert "Ольга" not in page.content.decode()
    assert '<option value="koi8_r" selected' in page.content.decode()
    page = client.post(job_url, {"action": "encoding", "encoding": "utf-8"}).content.decode()
    assert "cannot be read as UTF-8" in page
    page = client.post(job_url, {"action": "encoding", "encoding": "cp1251"}, follow=True)
    assert "Ольга" in page.content.decode()
    with tenant_scope(tenant):
        job = ImportJob.objects.get()
        assert (job.encoding, job.headers) == ("cp1251", ["Имя", "Email"])


def test_a_workbook_has_no_encoding_select(client, workspace):
    from tests.contacts.import_files import xlsx_bytes

    login(client, workspace[1])
    file = SimpleUploadedFile("w.xlsx", xlsx_bytes(ROWS), "application/octet-stream")
    job_url = client.post(reverse("import_new"), {"file": file})["Location"]
    assert 'data-testid="import-encoding"' not in client.get(job_url).content.decode()
