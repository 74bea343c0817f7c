"""Pages of the import: upload, map the columns over a preview, watch the progress."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from crm.web.decorators import member_required

from ..models import ImportJob
from . import services
from .reader import ImportFileError
from .run import errors_response


def _job(request, pk) -> ImportJob:
    return get_object_or_404(services.import_jobs_for(request.membership), pk=pk)


@member_required
def import_new(request):
    if not request.membership.can("contact", "create"):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV or Excel file first.")
        else:
            try:
                job = services.import_create(actor=request.membership, upload=upload)
            except ImportFileError as exc:
                error = exc.messages[0]
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                return redirect("contact_import", pk=job.pk)
    recent = services.import_jobs_for(request.membership)[:10]
    return render(request, "contacts/import_new.html", {"error": error, "recent": recent})


def _posted_mapping(request, headers) -> dict:
    return {
        str(i): request.POST.get(f"col-{i}", "")
        for i in range(len(headers))
        if request.POST.get(f"col-{i}")
    }


@member_required
def import_detail(request, pk):
    job = _job(request, pk)
    if job.status != ImportJob.UPLOADED:
        if request.method == "POST" and request.POST.get("action") == "retry":
            try:
                services.import_retry(actor=request.membership, job=job)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("The import has started again."))
            return redirect("contact_import", pk=job.pk)
        return render(request, "contacts/import_progress.html", {"job": job})
    mapping = None
    error = ""
    if request.method == "POST" and request.POST.get("action") == "encoding":
        try:
            services.import_reread(
                actor=request.membership, job=job, encoding=request.POST.get("encoding", "")
            )
        except ValidationError as exc:  # ImportFileError too: the file does not read so
            error = " ".join(exc.messages)
        else:
            # The columns may have changed: their names, so their matching, start over.
            return redirect("contact_import", pk=job.pk)
    elif request.method == "POST":
        mapping = _posted_mapping(request, job.headers)
        if request.POST.get("action") == "start":
            try:
                services.import_start(
                    actor=request.membership,
                    job=job,
                    mapping=mapping,
                    duplicate_policy=request.POST.get("duplicate_policy", ImportJob.SKIP),
                    save_template_as=request.POST.get("save_template_as", ""),
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("The import has started."))
                return redirect("contact_import", pk=job.pk)
    try:
        preview = services.import_preview(job, limit=15, mapping=mapping)
    except ValidationError as exc:  # a forged or stale column choice
        error = " ".join(exc.messages)
        preview = services.import_preview(job, limit=15)
    columns = [
        {"index": i, "header": header, "field": preview["mapping"].get(i, "")}
        for i, header in enumerate(job.headers)
    ]
    return render(
        request,
        "contacts/import_map.html",
        {
            "job": job,
            "columns": columns,
            "fields": preview["fields"],
            "rows": preview["rows"],
            "policies": ImportJob.POLICIES,
            "encoding": job.encoding,
            "encodings": preview["encodings"],
            "error": error,
            "policy": request.POST.get("duplicate_policy", job.duplicate_policy),
        },
    )


@member_required
def import_progress(request, pk):
    return render(request, "contacts/_import_progress.html", {"job": _job(request, pk)})


@member_required
def import_errors(request, pk):
    return errors_response(_job(request, pk))
