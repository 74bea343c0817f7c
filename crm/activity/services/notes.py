from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..events import emit
from ..models import Note


@transaction.atomic
def note_add(*, actor, subject, body: str) -> Note:
    """A note on `subject`'s card; it reaches the timeline through the event spine."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    note = Note.objects.create(
        object_type=getattr(subject, "event_subject_type", subject._meta.model_name),
        object_id=subject.pk,
        author=actor.user,
        body=body[:10000],
    )
    emit("note.added", actor=actor.user, subject=note, data={"body": note.body}, related=[subject])
    return note
