"""The comments panel of a record's card: read and add, with @mentions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from crm.web.decorators import member_required

from .. import records, services


@member_required
def subject_comments(request, object_type, object_id):
    """GET: the panel; POST: add a comment, then the panel again (or back to the card)."""
    subject = records.find_or_404(request.membership, object_type, object_id)
    context = {"subject_type": object_type, "subject": subject}
    if request.method == "POST":
        try:
            services.comment_add(
                actor=request.membership, subject=subject, body=request.POST.get("body", "")
            )
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
            context["body"] = request.POST.get("body", "")
        else:
            if not request.htmx:
                url = records.card_url(object_type, subject.pk)
                return redirect(f"{url}#comments" if url else "tasks")
    return render(request, "activity/_comments_panel.html", context)
