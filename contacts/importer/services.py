"""The import's writes and reads, for pages and the API: upload, preview, start.

    job = import_create(actor=membership, upload=request.FILES["file"])   # refuses bad files
    import_reread(actor=membership, job=job, encoding="cp1251")            # a CSV, read again
    import_preview(job)                                                    # first rows, errors
    import_start(actor=membership, job=job, mapping={"0": "first_name", ...},
                 duplicate_policy=ImportJob.SKIP, save_template_as="Exhibition leads")

Records are looked up through `import_jobs_for(membership)` (a member sees the imports
they started; a workspace manager sees all), so another workspace's job and a missing one
look the same.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm import after_commit
from crm.accounts.models import Membership

from ..models import ImportJob
from ..services import require
from ..tasks import import_contacts
from . import mapping as mappings
from . import reader
from .validate import Context, preview

OBJECT_TYPES = ("contact",)


def import_jobs_for(membership: Membership) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("created_by")
    if membership.role.can_manage_workspace:
        return qs
    return qs.filter(created_by_id=membership.user_id)


def _require_job(actor: Membership, job: ImportJob) -> None:
    if not import_jobs_for(actor).filter(pk=job.pk).exists():
        raise PermissionDenied(_("This import belongs to another member."))


def import_create(*, actor: Membership, upload, object_type: str = "contact") -> ImportJob:
    """Check the uploaded file (format, size, compression bomb, header and rows), guess the
    mapping (a saved template first, then header names), and keep it as an UPLOADED job."""
    if object_type not in OBJECT_TYPES:
        raise ValidationError(_("Only contacts can be imported for now."))
    require(actor, object_type, "create")
    name = PurePath(getattr(upload, "name", "") or "import").name
    table = reader.open_table(upload, name, size=getattr(upload, "size", None))
    job = ImportJob(object_type=object_type, created_by=actor.user, original_name=name[:255])
    _keep(job, table)
    if table.kind == "csv":
        job.source.save(f"{uuid.uuid4().hex}.csv", upload, save=False)
    job.save()
    return job


def _keep(job: ImportJob, table: reader.Table) -> None:
    """Take the header, a guessed mapping and a working copy of `table` into `job`."""
    custom = mappings.custom_fields(job.object_type)
    template = mappings.best_template(table.headers, job.object_type)
    guessed = mappings.auto_map(table.headers, custom, template.mapping if template else None)
    job.headers = table.headers
    job.mapping = mappings.stored(guessed)
    job.encoding = table.encoding if table.kind == "csv" else ""
    with tempfile.TemporaryFile() as copy:
        job.total = reader.write_copy(table, copy)
        copy.seek(0)
        job.file.save(f"{uuid.uuid4().hex}{reader.COPY_SUFFIX}", File(copy), save=False)


def _locked_uploaded(job: ImportJob) -> ImportJob:
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != ImportJob.UPLOADED:
        raise ValidationError(_("This import has already been started."))
    return locked


def _delete_on_commit(storage, name: str) -> None:
    """Remove a stored file once the transaction that stops pointing at it commits."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def import_reread(*, actor: Membership, job: ImportJob, encoding: str) -> ImportJob:
    """Read an uploaded CSV again in `encoding` (one of `encoding_choices`), for when the
    detected one was wrong: a new header, guessed mapping and working copy. A file that
    does not read in it raises ImportFileError and leaves the job as it was."""
    require(actor, job.object_type, "create")
    _require_job(actor, job)
    locked = _locked_uploaded(job)
    if not locked.source:
        raise ValidationError({"encoding": _("Only a CSV file can be read in another encoding.")})
    if encoding not in dict(encoding_choices(locked)):
        raise ValidationError({"encoding": _("Choose an encoding from the list.")})
    old_copy = locked.file.name
    with locked.source.open("rb") as original:
        table = reader.open_table(original, locked.original_name, encoding=encoding)
        _keep(locked, table)
    locked.save(update_fields=["headers", "mapping", "encoding", "total", "file"])
    _delete_on_commit(locked.file.storage, old_copy)
    job.refresh_from_db()
    return job


def import_preview(job: ImportJob, limit: int = 20, mapping: dict | None = None) -> dict:
    """The first `limit` rows as they would be imported with `mapping` (the job's own by
    default), each with its errors; and what the mapping form needs.

    {"headers": [...], "mapping": {index: field}, "fields": [(name, label)],
     "rows": [{"line": 2, "cells": [...], "values": {field: text}, "errors": [...]}],
     "encoding": "cp1251", "encodings": [(name, label)]}
    """
    context = Context.load(job.object_type)
    if mapping is None:
        chosen = mappings.loaded(job.mapping)
    else:
        chosen = mappings.clean_mapping(mapping, job.headers, context.custom)
    chosen = {i: f for i, f in chosen.items() if mappings._is_field(f, context.custom)}
    table = reader.open_job_file(job)
    try:
        rows = preview(table, chosen, context, limit=limit)
    finally:
        job.file.close()
    return {
        "headers": job.headers,
        "mapping": chosen,
        "fields": mappings.field_choices(context.custom),
        "rows": rows,
        "encoding": job.encoding,
        "encodings": encoding_choices(job),
    }


def encoding_choices(job: ImportJob) -> list[tuple[str, str]]:
    """The encodings the job's file may be read in again: none for a workbook, or once the
    original is gone."""
    if not job.source:
        return []
    choices = list(reader.ENCODINGS.items())
    if job.encoding not in reader.ENCODINGS:  # detected, and not one of the usual ones
        choices.insert(0, (job.encoding, reader.encoding_label(job.encoding)))
    return choices


@transaction.atomic
def import_start(
    *,
    actor: Membership,
    job: ImportJob,
    mapping: dict,
    duplicate_policy: str,
    save_template_as: str = "",
) -> ImportJob:
    """Fix the mapping and the duplicate policy, optionally save the mapping as a template,
    and queue the job (the task is sent when the transaction commits)."""
    require(actor, job.object_type, "create")
    if duplicate_policy == ImportJob.UPDATE:
        require(actor, job.object_type, "edit")
    _require_job(actor, job)
    if duplicate_policy not in dict(ImportJob.POLICIES):
        raise ValidationError({"duplicate_policy": _("Choose what to do with duplicates.")})
    locked = _locked_uploaded(job)
    custom = mappings.custom_fields(job.object_type)
    clean = mappings.clean_mapping(mapping, locked.headers, custom)
    if save_template_as.strip():
        mappings.template_save(save_template_as, clean, locked.headers, job.object_type)
    locked.mapping = mappings.stored(clean)
    locked.duplicate_policy = duplicate_policy
    locked.status = ImportJob.QUEUED
    # The encoding cannot change any more: the original file is not needed.
    _delete_on_commit(locked.source.storage, locked.source.name)
    locked.source = ""
    locked.save(update_fields=["mapping", "duplicate_policy", "status", "source"])
    tenant_id, job_id = locked.tenant_id, locked.pk

    def enqueue():

        import_contacts.delay(tenant_id, job_id)

    after_commit.send(enqueue, "an import")
    job.refresh_from_db()
    return job


@transaction.atomic
def import_retry(*, actor: Membership, job: ImportJob) -> ImportJob:
    """Queue a failed job again with its mapping and policy (a worker that died midway, the
    recovery sweep failed it: nothing of it was saved). Its working copy is kept, so the
    file need not be uploaded again; the errors of the failed run are dropped."""
    require(actor, job.object_type, "create")
    if job.duplicate_policy == ImportJob.UPDATE:
        require(actor, job.object_type, "edit")
    _require_job(actor, job)
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != ImportJob.FAILED:
        raise ValidationError(_("Only a failed import can be tried again."))
    if not locked.file or not locked.file.storage.exists(locked.file.name):
        raise ValidationError(_("The file of this import is gone; upload it again."))
    _delete_on_commit(locked.errors_file.storage, locked.errors_file.name)
    locked.errors_file = ""
    locked.status = ImportJob.QUEUED
    locked.error = ""
    locked.processed = locked.created = locked.updated = locked.skipped = locked.failed = 0
    locked.started_at = locked.finished_at = None
    locked.save(
        update_fields=["errors_file", "status", "error", "processed", "created", "updated",
                       "skipped", "failed", "started_at", "finished_at"]
    )  # fmt: skip
    tenant_id, job_id = locked.tenant_id, locked.pk
    after_commit.send(lambda: import_contacts.delay(tenant_id, job_id), "an import")
    job.refresh_from_db()
    return job
