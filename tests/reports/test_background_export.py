"""Big exports in the background: past REPORT_EXPORT_SYNC_MAX_ROWS the page and the API hand
the export to a worker (eager here, a real one on the test Redis below), follow its
progress and give the file; only the member who asked sees it; memory stays flat."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from deals.models import Deal
from pipelines.models import Stage
from reports import background, export, services, spec, types
from reports.compiler import Compiler
from reports.models import ReportExport
from tests.conftest import add_member, api_client, login, make_user, wait_for

from .helpers import at, make_deals

DEFINITION = {"columns": ["title", "amount", "owner"]}


@pytest.fixture
def team(workspace, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_EXPORT_SYNC_MAX_ROWS = 2
    tenant, admin = workspace
    ann = add_member(tenant, "manager", user=make_user(first_name="Ann", last_name="Lee"))
    bob = add_member(tenant, "manager", user=make_user(first_name="Bob", last_name="Ray"))
    make_deals(tenant, [
        (ann.user, "100.00", "won", at(2026, 1), "A1"),
        (ann.user, "250.50", "won", at(2026, 2), "A2"),
        (ann.user, "10.00", "open", None, "A3"),
        (bob.user, "400.00", "won", at(2026, 2), "B1"),
    ])  # fmt: skip
    with tenant_scope(tenant, admin.user):
        report = services.report_create(actor=admin, name="All deals", report_type="deals",
                                         definition=DEFINITION, is_shared=True)  # fmt: skip
    return tenant, admin, ann, bob, report


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_big_export_runs_in_the_background_with_progress_and_a_download(
    team, client, django_capture_on_commit_callbacks
):
    tenant, admin, *_rest, report = team
    login(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("report_export", args=[report.pk]), {"file_format": "csv"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="export-download"' in page and "4 rows are exported" in page
    with tenant_scope(tenant):
        job = ReportExport.objects.get(report_id=report.pk)
    assert job.status == "done" and job.processed == 4 and job.progress == 100
    download = client.get(reverse("report_export_download", args=[job.pk]))
    rows = _csv_rows(b"".join(download.streaming_content))
    assert rows[0] == ["Title", "Amount", "Owner"] and len(rows) == 5
    assert sorted(r[0] for r in rows[1:]) == ["A1", "A2", "A3", "B1"]


def test_the_progress_fragment_polls_until_done(team, client):
    tenant, admin, *_rest, report = team
    with tenant_scope(tenant):
        job = ReportExport.objects.create(
            report=report,
            requested_by=admin.user,
            total=200,
            processed=50,
            status="running",
            file_name="x.csv",
        )
    login(client, admin)
    fragment = client.get(reverse("report_export_status", args=[job.pk]),
                          headers={"HX-Request": "true"}).content.decode()  # fmt: skip
    assert 'hx-trigger="every 1s"' in fragment and 'value="25"' in fragment
    assert "50 of 200 rows" in fragment and "<html" not in fragment
    assert client.get(reverse("report_export_download", args=[job.pk])).status_code == 404


def test_a_small_export_is_answered_at_once(team, client, settings):
    settings.REPORT_EXPORT_SYNC_MAX_ROWS = 100
    tenant, admin, *_rest, report = team
    response = login(client, admin).get(reverse("report_export", args=[report.pk]))
    assert response.status_code == 200 and len(_csv_rows(b"".join(response.streaming_content))) == 5
    with tenant_scope(tenant):
        assert not ReportExport.objects.filter(report_id=report.pk).exists()


def test_the_api_answers_202_and_a_status_then_the_xlsx(team, django_capture_on_commit_callbacks):
    from python_calamine import CalamineWorkbook

    _tenant, admin, *_rest, report = team
    client = api_client(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/api/v1/reports/{report.pk}/export/", {"file_format": "xlsx"})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["total"] == 4
    status = client.get(body["status_url"]).json()
    assert status["status"] == "done" and status["progress"] == 100
    assert status["file_name"].endswith(".xlsx")
    data = b"".join(client.get(status["download_url"]).streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert sheet[0] == ["Title", "Amount", "Owner"] and len(sheet) == 5


def test_the_export_runs_as_the_member_who_asked_and_is_theirs_alone(
    team, client, other_workspace, django_capture_on_commit_callbacks
):
    """Ann (own visibility) exports the shared report: her three deals only. Bob, an admin
    of another workspace and their API keys reach neither her export's status nor its file."""
    _tenant, _admin, ann, bob, report = team
    with django_capture_on_commit_callbacks(execute=True):
        body = api_client(ann).get(f"/api/v1/reports/{report.pk}/export/").json()
    data = b"".join(api_client(ann).get(body["download_url"] or body["status_url"] + "download/")
                    .streaming_content)  # fmt: skip
    assert sorted(r[0] for r in _csv_rows(data)[1:]) == ["A1", "A2", "A3"]
    for outsider in (bob, other_workspace[1]):
        api = api_client(outsider)
        assert api.get(body["status_url"]).status_code == 404
        assert api.get(body["status_url"] + "download/").status_code == 404
        assert body["id"] not in [j["id"] for j in api.get("/api/v1/report-exports/").json()[
            "results"]]  # fmt: skip
        login(client, outsider)
        assert client.get(reverse("report_export_status", args=[body["id"]])).status_code == 404
        assert client.get(reverse("report_export_download", args=[body["id"]])).status_code == 404


def test_an_export_whose_member_left_fails_and_writes_nothing(
    team, django_capture_on_commit_callbacks
):
    tenant, _admin, ann, _bob, report = team
    with tenant_scope(tenant, ann.user), django_capture_on_commit_callbacks() as callbacks:
        job = background.export_start(actor=ann, report=report, fmt="csv", total=3)
    ann.is_active = False
    with tenant_scope(tenant):
        ann.save(update_fields=["is_active"])
    for callback in callbacks:
        callback()
    with tenant_scope(tenant):
        job.refresh_from_db()
    assert job.status == "failed" and job.error and not job.file


def test_writing_a_big_file_keeps_memory_flat(workspace, tmp_path):
    """20,000 rows and 2,000 rows cost about the same memory: the rows are read in chunks
    and written as they come (bench/bench_reports.py measures 1,000,000)."""
    tenant, admin = workspace
    with tenant_scope(tenant):
        stage = Stage.objects.filter(pipeline__name="Sales").order_by("position").first()
        Deal.objects.bulk_create([
            Deal(title=f"Deal {n} " + "x" * 60, amount=n, owner=admin.user,
                 pipeline=stage.pipeline, stage=stage)
            for n in range(20_000)
        ], batch_size=5000)  # fmt: skip
        rt = types.get("deals")
        peaks = {}
        for fmt in ("csv", "xlsx"):
            for limit in (2_000, 20_000):
                cleaned = spec.clean(
                    {"columns": ["title", "amount", "owner"],
                     "filters": [{"field": "amount", "op": "lt", "value": limit}]},
                    rt.fields(),
                )  # fmt: skip
                compiler = Compiler(rt, cleaned, admin, "UTC")
                with open(tmp_path / f"out-{limit}.{fmt}", "wb") as fh:
                    tracemalloc.start()
                    rows = export.write_file(compiler, fh, fmt)
                    peaks[(fmt, limit)] = tracemalloc.get_traced_memory()[1]
                    tracemalloc.stop()
                assert rows == limit
        for fmt in ("csv", "xlsx"):
            # Ten times the rows, well under twice the memory (and a few MB at most).
            assert peaks[(fmt, 20_000)] < 2 * peaks[(fmt, 2_000)] + 1_000_000, peaks
            assert peaks[(fmt, 20_000)] < 30_000_000, peaks


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_the_heavy_queue_writes_the_export(celery_worker_real, settings, tmp_path):
    from tests.conftest import make_workspace

    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_EXPORT_SYNC_MAX_ROWS = 1
    tenant, admin = make_workspace("Worker Co")
    make_deals(tenant, [(admin.user, "5.00", "won", at(2026, 3), f"W{n}") for n in range(3)])
    with tenant_scope(tenant, admin.user):
        report = services.report_create(actor=admin, name="W", report_type="deals",
                                         definition={"columns": ["title"]})  # fmt: skip
    client = api_client(admin)
    body = client.get(f"/api/v1/reports/{report.pk}/export/").json()
    assert wait_for(lambda: client.get(body["status_url"]).json()["status"] == "done", 30)
    data = b"".join(client.get(body["status_url"] + "download/").streaming_content)
    assert sorted(r[0] for r in _csv_rows(data)[1:]) == ["W0", "W1", "W2"]


def test_a_sweep_fails_a_stalled_export_and_queues_a_lost_one_again(team):
    import datetime

    from django.utils import timezone

    from reports.tasks import recover_exports

    tenant, admin, *_rest, report = team
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    with tenant_scope(tenant):
        stalled = ReportExport.objects.create(
            report=report, requested_by=admin.user, status="running", started_at=long_ago
        )
        lost = ReportExport.objects.create(
            report=report, requested_by=admin.user, created_at=long_ago, file_name="lost.csv"
        )
        fresh = ReportExport.objects.create(report=report, requested_by=admin.user)
    assert recover_exports() == {"failed": 1, "requeued": 1}
    with tenant_scope(tenant):
        states = {j.pk: j.status for j in ReportExport.objects.all()}
    # The lost one ran (eagerly here) and is done; the fresh one waits for its own task.
    assert states == {stalled.pk: "failed", lost.pk: "done", fresh.pk: "queued"}
