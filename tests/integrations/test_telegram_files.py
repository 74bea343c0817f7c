"""Telegram's files: photos, documents and voice notes in (getFile and the file's download
from the stand-in Bot API), and a reply's files out (sendPhoto, sendDocument)."""

import pytest
from django.urls import reverse

from crm.tenancy.context import tenant_scope
from integrations import services
from integrations.channels import File
from integrations.models import Attachment, Conversation, Message, RawDelivery
from tests.conftest import login

from .meta_stand_in import JPEG
from .stand_in import BOT_TOKEN, update
from .test_telegram import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def with_files(update_id, **parts):
    payload = update(update_id, text="")
    del payload["message"]["text"]
    payload["message"].update(parts)
    return payload


def test_incoming_files_are_fetched_with_getfile_and_kept(
    client, workspace, channel, telegram, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    telegram.files.update({"small": b"tiny", "large": JPEG, "doc1": b"%PDF-1.4",
                           "voice1": b"OggS voice"})  # fmt: skip
    photo = with_files(1, caption="The label", photo=[
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 960},
    ])  # fmt: skip
    document = with_files(2, document={"file_id": "doc1", "file_unique_id": "d",
                                       "file_name": "contract.pdf",
                                       "mime_type": "application/pdf"})  # fmt: skip
    voice = with_files(3, voice={"file_id": "voice1", "file_unique_id": "v", "duration": 3,
                                 "mime_type": "audio/ogg"})  # fmt: skip
    for payload in (photo, document, voice):
        deliver(client, channel, payload, capture=django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        assert set(RawDelivery.objects.values_list("status", flat=True)) == {"processed"}
        rows = {a.name: (a.content_type, a.size) for a in Attachment.objects.all()}
        assert rows == {"photo.jpg": ("image/jpeg", len(JPEG)),
                        "contract.pdf": ("application/pdf", 8),
                        "voice.ogg": ("audio/ogg", 10)}  # fmt: skip
        assert Message.objects.get(external_id="4242:1").text == "The label"
        photo_file = Attachment.objects.get(name="photo.jpg")
    assert [b["file_id"] for b in telegram.called("getFile")] == ["large", "doc1", "voice1"]
    login(client, owner)
    got = client.get(reverse("inbox_attachment", args=[photo_file.pk]))
    assert b"".join(got.streaming_content) == JPEG


def test_a_file_telegram_cannot_give_fails_the_delivery_and_no_message_stays(
    client, channel, django_capture_on_commit_callbacks
):
    payload = with_files(5, document={"file_id": "gone", "file_unique_id": "g"})
    assert deliver(client, channel, payload,
                   capture=django_capture_on_commit_callbacks).status_code == 200  # fmt: skip
    with tenant_scope(channel.tenant_id):
        delivery = RawDelivery.objects.get()
        assert delivery.status == "failed" and "invalid file_id" in delivery.error
        assert BOT_TOKEN not in delivery.error
        assert Message.objects.count() == 0 and Conversation.objects.count() == 0


def test_a_reply_with_files_goes_out_as_sendphoto_and_senddocument(
    client, workspace, channel, telegram, django_capture_on_commit_callbacks
):
    tenant, owner = workspace
    deliver(client, channel, update(1, chat_id=555), capture=django_capture_on_commit_callbacks)
    with tenant_scope(tenant, owner.user):
        conversation = Conversation.objects.get()
        message = services.reply_send(
            actor=owner, conversation=conversation, text="The photo and the contract",
            files=(File("part.jpg", "image/jpeg", JPEG),
                   File("contract.pdf", "application/pdf", b"%PDF-1.4")),
        )  # fmt: skip
        assert message.attachments.count() == 2
    [photo] = telegram.called("sendPhoto")
    [document] = telegram.called("sendDocument")
    assert (photo["chat_id"], photo["caption"]) == ("555", "The photo and the contract")
    assert photo["files"]["photo"] == ("part.jpg", "image/jpeg", JPEG)
    assert "caption" not in document
    assert document["files"]["document"] == ("contract.pdf", "application/pdf", b"%PDF-1.4")
    assert telegram.called("sendMessage") == []
    assert message.external_id == "555:1000"
