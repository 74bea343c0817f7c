"""A full disk while a file is written (ENOSPC midway, after part of it is on disk): a deal's
file and an import's upload fail with a message that says so (507), and leave neither a
half-written file nor a row pointing at one."""

from __future__ import annotations

import errno
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.test import Client

from contacts.importer.services import import_create
from contacts.models import ImportJob
from crm.tenancy.context import tenant_scope
from deals.models import Attachment
from tests.conftest import login, make_workspace
from tests.contacts.import_files import csv_bytes, upload
from tests.pipelines.helpers import new_deal

pytestmark = pytest.mark.django_db


def full_disk(self, chunk_size=None):
    yield self.read(16)  # part of it reaches the disk, then there is no more room
    raise OSError(errno.ENOSPC, "No space left on device")


def files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_deals_file_on_a_full_disk_is_refused_clearly_and_nothing_is_left(media):
    tenant, owner = make_workspace("Full")
    deal = new_deal(owner)
    client = login(Client(raise_request_exception=False), owner)
    offer = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 " * 100)
    with mock.patch.object(InMemoryUploadedFile, "chunks", full_disk):
        answer = client.post(f"/deals/{deal.pk}/files/", {"file": offer})
    assert answer.status_code == 507
    assert b"no room left for files" in answer.content
    assert files(media) == []
    with tenant_scope(tenant):
        assert not Attachment.objects.exists()


def test_an_import_upload_on_a_full_disk_leaves_nothing(media):
    tenant, owner = make_workspace("Full import")
    rows = [["Name", "Email"], *[[f"C {i}", f"c{i}@x.example"] for i in range(50)]]
    with (
        mock.patch("django.core.files.base.File.chunks", full_disk),
        tenant_scope(tenant, owner.user),
        pytest.raises(OSError) as raised,
    ):
        import_create(actor=owner, upload=upload(csv_bytes(rows), "clients.csv"))
    assert raised.value.errno == errno.ENOSPC
    assert files(media) == []
    with tenant_scope(tenant):
        assert not ImportJob.objects.exists()
