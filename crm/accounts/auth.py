"""Login helpers that read an email the way accounts are stored: in lower case."""

from __future__ import annotations

from django.conf import settings

from .models import normalize_login


def axes_username(request, credentials=None) -> str:
    """The username django-axes counts failed logins under: "Ann@x.io" and "ann@x.io" are
    one person, so changing the case does not buy a new round of guesses."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "data", request.POST).get(field)
    return normalize_login(raw)
