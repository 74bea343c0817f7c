"""A background export's page: its progress (htmx polls the fragment until it is done) and
the download. Only the member who asked sees either (background.exports_for)."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from crm.web.decorators import can_view

from .background import exports_for
from .models import ReportExport


@can_view("report")
def export_status(request, pk):
    job = get_object_or_404(exports_for(request.membership), pk=pk)
    template = "reports/_export_progress.html" if request.htmx else "reports/export.html"
    return render(request, template, {"job": job})


@can_view("report")
def export_download(request, pk):
    job = get_object_or_404(exports_for(request.membership), pk=pk)
    if job.status != ReportExport.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)
