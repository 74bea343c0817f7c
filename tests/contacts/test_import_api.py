"""/api/v1/imports/: upload, preview, start, poll, errors; and the tenant wall."""

import pytest

from contacts.models import Contact, ImportJob
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, api_client
from tests.contacts.import_files import csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

ROWS = [["Имя", "Эл. почта", "Телефон"], ["Иван", "ivan@x.ru", "+7 916 123 45 67"],
        ["Bad", "not-an-email", ""]]  # fmt: skip


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_upload_preview_start_poll_and_errors(workspace, django_capture_on_commit_callbacks):
    _, owner = workspace
    client = api_client(owner)

    created = client.post("/api/v1/imports/", {"file": upload(xlsx_bytes(ROWS))})
    assert created.status_code == 201, created.json()
    job = created.json()
    assert job["status"] == "uploaded" and job["headers"] == ROWS[0]
    assert job["mapping"] == {"0": "first_name", "1": "emails", "2": "phones"}

    preview = client.get(f"/api/v1/imports/{job['id']}/preview/", {"limit": 5}).json()
    assert [r["errors"] for r in preview["rows"]] == [
        [],
        ["Эл. почта: “not-an-email” is not an email address."],
    ]
    assert {"name": "emails", "label": "Email"} in preview["fields"]

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            f"/api/v1/imports/{job['id']}/start/",
            {"mapping": job["mapping"], "duplicate_policy": "skip"},
            format="json",
        )
    assert started.status_code == 202, started.json()
    done = client.get(f"/api/v1/imports/{job['id']}/").json()
    assert (done["status"], done["created"], done["failed"], done["progress"]) == (
        "done", 1, 1, 100,
    )  # fmt: skip
    errors = client.get(f"/api/v1/imports/{job['id']}/errors/")
    assert errors.status_code == 200
    assert "attachment" in errors["Content-Disposition"]
    body = b"".join(errors.streaming_content).decode("utf-8-sig")
    assert "not-an-email" in body and "reason" in body.splitlines()[0]
    again = client.post(
        f"/api/v1/imports/{job['id']}/start/",
        {"mapping": job["mapping"], "duplicate_policy": "skip"},
        format="json",
    )
    assert again.status_code == 400


def test_a_bad_file_is_refused_with_its_reason(workspace):
    _, owner = workspace
    response = api_client(owner).post("/api/v1/imports/", {"file": upload(b"", "e.csv")})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["The file is empty."]}
    with tenant_scope(owner.tenant_id):
        assert not ImportJob.objects.exists()


def test_another_workspace_gets_404_everywhere(workspace, other_workspace):
    _, owner = workspace
    _, stranger = other_workspace
    job = api_client(owner).post("/api/v1/imports/", {"file": upload(xlsx_bytes(ROWS))}).json()
    client = api_client(stranger)
    for url in ["", "preview/", "errors/"]:
        assert client.get(f"/api/v1/imports/{job['id']}/{url}").status_code == 404
    start = client.post(
        f"/api/v1/imports/{job['id']}/start/",
        {"mapping": {"1": "emails"}, "duplicate_policy": "skip"},
        format="json",
    )
    assert start.status_code == 404
    assert client.get("/api/v1/imports/").json()["results"] == []
    with tenant_scope(owner.tenant_id):
        assert ImportJob.objects.get(pk=job["id"]).status == "uploaded"
        assert not Contact.objects.exists()


def test_a_file_of_too_many_columns_is_refused_before_a_job_exists(workspace):
    _, owner = workspace
    wide = ",".join(f"c{i}" for i in range(501)).encode() + b"\r\n" + b"x" * 3 + b"\r\n"
    response = api_client(owner).post("/api/v1/imports/", {"file": upload(wide, "w.csv")})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "file": [
            "The file has 501 columns; the limit is 500. "
            "Remove the columns you do not need to import."
        ]
    }
    with tenant_scope(owner.tenant_id):
        assert not ImportJob.objects.exists()


def test_the_list_leaves_the_headers_to_the_detail(workspace, django_assert_max_num_queries):
    _, owner = workspace
    client = api_client(owner)
    wide = [[f"Column {i}" for i in range(300)], ["x"] * 300]
    for _n in range(3):
        client.post("/api/v1/imports/", {"file": upload(xlsx_bytes(wide))})
    with django_assert_max_num_queries(12):
        listed = client.get("/api/v1/imports/").json()["results"]
    assert len(listed) == 3 and all("headers" not in job for job in listed)
    assert listed[0]["mapping"] == {} and listed[0]["original_name"] == "clients.xlsx"
    detail = client.get(f"/api/v1/imports/{listed[0]['id']}/").json()
    assert detail["headers"] == wide[0]


CP1251 = csv_bytes([["Имя", "Эл. почта"], ["Ольга", "olga@x.ru"]], "cp1251")


def test_a_csv_is_read_again_in_the_encoding_chosen(
    workspace, other_workspace, django_capture_on_commit_callbacks
):
    _, owner = workspace
    client = api_client(owner)
    job = client.post("/api/v1/imports/", {"file": upload(CP1251, "c.csv")}).json()
    assert job["encoding"] == "cp1251" and job["headers"] == ["Имя", "Эл. почта"]
    url = f"/api/v1/imports/{job['id']}/encoding/"

    wrong = client.post(url, {"encoding": "koi8_r"}, format="json")
    assert wrong.status_code == 200, wrong.json()
    assert wrong.json()["encoding"] == "koi8_r" and wrong.json()["headers"][0] != "Имя"
    assert wrong.json()["mapping"] == {}  # the names no longer say anything
    preview = client.get(f"/api/v1/imports/{job['id']}/preview/").json()
    assert preview["encoding"] == "koi8_r"
    assert {"name": "cp1251", "label": "Windows-1251 (Cyrillic)"} in preview["encodings"]

    refused = client.post(url, {"encoding": "utf-8"}, format="json")
    assert refused.status_code == 400
    assert "cannot be read as UTF-8" in str(refused.json())
    assert client.post(url, {"encoding": "rot13"}, format="json").status_code == 400
    assert api_client(other_workspace[1]).post(url, {"encoding": "cp1251"}).status_code == 404

    right = client.post(url, {"encoding": "cp1251"}, format="json").json()
    assert right["headers"] == ["Имя", "Эл. почта"]
    assert right["mapping"] == {"0": "first_name", "1": "emails"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/api/v1/imports/{job['id']}/start/",
            {"mapping": right["mapping"], "duplicate_policy": "skip"},
            format="json",
        )
    with tenant_scope(owner.tenant_id):
        assert Contact.objects.get().first_name == "Ольга"
        assert not ImportJob.objects.get().source  # the original is not kept once started
    assert client.post(url, {"encoding": "cp1251"}, format="json").status_code == 400


def test_a_workbook_has_no_encoding_to_choose(workspace):
    _, owner = workspace
    client = api_client(owner)
    job = client.post("/api/v1/imports/", {"file": upload(xlsx_bytes(ROWS))}).json()
    assert job["encoding"] == ""
    response = client.post(
        f"/api/v1/imports/{job['id']}/encoding/", {"encoding": "cp1251"}, format="json"
    )
    assert response.status_code == 400


def _failed_job(member, client):
    """An import whose worker died midway: started, then failed by the recovery sweep."""
    job = client.post("/api/v1/imports/", {"file": upload(xlsx_bytes(ROWS))}).json()
    with tenant_scope(member.tenant_id):
        ImportJob.objects.filter(pk=job["id"]).update(
            status="failed", mapping=job["mapping"], duplicate_policy="skip", error="stopped"
        )
    return job


def test_a_failed_import_is_tried_again_to_completion(
    workspace, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    _, owner = workspace
    client = api_client(owner)
    job = _failed_job(owner, client)
    # The bound closes first, then the captured import runs: only the request is counted.
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(12):
        retried = client.post(f"/api/v1/imports/{job['id']}/retry/")
    assert retried.status_code == 202, retried.json()
    assert (retried.json()["status"], retried.json()["error"]) == ("queued", "")
    done = client.get(f"/api/v1/imports/{job['id']}/").json()
    assert (done["status"], done["created"], done["failed"]) == ("done", 1, 1)
    again = client.post(f"/api/v1/imports/{job['id']}/retry/")
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {
        "non_field_errors": ["Only a failed import can be tried again."]
    }
    with tenant_scope(owner.tenant_id):
        assert Contact.objects.count() == 1


def test_no_one_else_retries_an_import(workspace, other_workspace):
    tenant, owner = workspace
    _, stranger = other_workspace
    colleague = add_member(tenant, "manager")
    job = _failed_job(owner, api_client(owner))
    for member in (stranger, colleague):
        assert api_client(member).post(f"/api/v1/imports/{job['id']}/retry/").status_code == 404
    with tenant_scope(tenant):
        assert ImportJob.objects.get(pk=job["id"]).status == "failed"


def test_an_import_whose_file_is_gone_is_not_retried(workspace):
    _, owner = workspace
    client = api_client(owner)
    job = _failed_job(owner, client)
    with tenant_scope(owner.tenant_id):
        stored = ImportJob.objects.get(pk=job["id"]).file
        stored.storage.delete(stored.name)
    answer = client.post(f"/api/v1/imports/{job['id']}/retry/")
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"] == {
        "non_field_errors": ["The file of this import is gone; upload it again."]
    }
    with tenant_scope(owner.tenant_id):
        assert ImportJob.objects.get(pk=job["id"]).status == "failed"
