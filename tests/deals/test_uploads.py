"""The attachment limit holds while a file arrives: past it nothing more is received into a
file, the answer is a 413 (htmx) or the card with a message, and nothing is kept."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from deals.models import Attachment
from tests.conftest import login
from tests.deals.test_board import funnel, new_deal

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
KB = 1024
RECEIVED: list[int] = []


class CountingHandler(FileUploadHandler):
    """Stands in front of Django's own handlers and counts the bytes handed to them."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        RECEIVED.append(0)

    def receive_data_chunk(self, raw_data, start):
        RECEIVED[-1] += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture
def card(client, workspace, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DEAL_ATTACHMENT_MAX_SIZE = 100 * KB
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.deals.test_uploads.CountingHandler",
        *settings.FILE_UPLOAD_HANDLERS,
    ]
    RECEIVED.clear()
    tenant, owner = workspace
    deal = new_deal(owner, funnel(tenant)[1][0], "Forklifts")
    login(client, owner)
    return client, deal, tmp_path


def stored(deal, media):
    with tenant_scope(deal.tenant_id):
        rows = Attachment.objects.filter(deal=deal).count()
    return rows, [p for p in media.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_cut_off_while_it_arrives(card):
    client, deal, media = card
    big = SimpleUploadedFile("huge.bin", b"x" * (1024 * KB))
    response = client.post(reverse("deal_file_add", args=[deal.pk]), {"file": big}, **HTMX)
    assert response.status_code == 413
    page = response.content.decode()
    assert 'data-testid="file-errors"' in page and "100 MB" not in page
    assert "larger than 0.1 MB" in page
    # Django's handlers were handed at most the limit (one 64 KB chunk), not the megabyte.
    assert RECEIVED and max(RECEIVED) <= 100 * KB
    assert stored(deal, media) == (0, [])


def test_without_htmx_the_card_says_why(card):
    client, deal, media = card
    big = SimpleUploadedFile("huge.bin", b"x" * (300 * KB))
    response = client.post(reverse("deal_file_add", args=[deal.pk]), {"file": big}, follow=True)
    assert response.status_code == 200
    assert "the most that can be attached" in response.content.decode()
    assert stored(deal, media) == (0, [])


def test_a_file_under_the_limit_is_kept(card):
    client, deal, media = card
    small = SimpleUploadedFile("offer.pdf", b"%PDF-1.4 " + b"x" * (90 * KB))
    response = client.post(reverse("deal_file_add", args=[deal.pk]), {"file": small}, **HTMX)
    assert response.status_code == 200 and "offer.pdf" in response.content.decode()
    rows, files = stored(deal, media)
    assert rows == 1 and len(files) == 1 and files[0].stat().st_size == 90 * KB + 9
