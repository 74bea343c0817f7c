"""Writes of reports and folders. A definition is cleaned against its report type before it
is stored (spec.clean), and stored in its cleaned form: keys only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.accounts.models import Membership

from . import selectors, spec, types
from .models import Report, ReportFolder

SPEC_PARTS = ("columns", "filters", "filter_logic", "group_by", "column_group", "summaries",
              "formulas", "sort", "chart", "buckets")  # fmt: skip


def report_type_or_error(key: str) -> types.ReportType:
    report_type = types.get(key)
    if report_type is None:
        raise ValidationError({"report_type": _('Unknown report type "%(key)s".') % {"key": key}})
    return report_type


def clean_spec(report_type_key: str, raw: dict) -> dict:
    """The stored form of `raw`, or ValidationError by part, each message naming the field."""
    report_type = report_type_or_error(report_type_key)
    try:
        cleaned = spec.clean(raw, report_type.fields(), report_type.relations())
    except spec.SpecError as exc:
        raise ValidationError(exc.errors) from exc
    return cleaned.as_json()


def _folder(actor: Membership, folder):
    if folder is None:
        return None
    if not selectors.folders_for(actor).filter(pk=folder.pk).exists():
        raise ValidationError({"folder": _("No such folder.")})
    return folder


def _require(actor: Membership, action: str) -> None:
    if not actor.can("report", action):
        raise PermissionDenied


@transaction.atomic
def report_create(
    *, actor: Membership, name: str, report_type: str, definition: dict, description: str = "",
    is_shared: bool = False, folder=None,
) -> Report:  # fmt: skip
    _require(actor, "create")
    if not (name or "").strip():
        raise ValidationError({"name": _("A report needs a name.")})
    return Report.objects.create(
        name=name.strip()[:200], description=(description or "")[:500], report_type=report_type,
        spec=clean_spec(report_type, definition), owner=actor.user, is_shared=bool(is_shared),
        folder=_folder(actor, folder),
    )  # fmt: skip


@transaction.atomic
def report_update(*, actor: Membership, report: Report, data: dict) -> Report:
    """Changes `data`'s keys: name, description, is_shared, folder, report_type, and the
    definition's parts (what is not given is kept)."""
    _require(actor, "edit")
    if not selectors.editable_reports(actor).filter(pk=report.pk).exists():
        raise PermissionDenied
    if "name" in data:
        if not (data["name"] or "").strip():
            raise ValidationError({"name": _("A report needs a name.")})
        report.name = data["name"].strip()[:200]
    if "description" in data:
        report.description = (data["description"] or "")[:500]
    if "is_shared" in data:
        report.is_shared = bool(data["is_shared"])
    if "folder" in data:
        report.folder = _folder(actor, data["folder"])
    parts = {k: data[k] for k in SPEC_PARTS if k in data}
    if parts or "report_type" in data:
        report_type = data.get("report_type", report.report_type)
        base = {} if report_type != report.report_type else report.spec
        report.spec = clean_spec(report_type, {**base, **parts})
        report.report_type = report_type
    report.save()
    return report


def report_delete(*, actor: Membership, report: Report) -> None:
    _require(actor, "delete")
    if not selectors.editable_reports(actor).filter(pk=report.pk).exists():
        raise PermissionDenied
    report.delete()


def folder_save(*, actor: Membership, name: str, is_shared: bool = False,
                folder: ReportFolder | None = None) -> ReportFolder:  # fmt: skip
    _require(actor, "create" if folder is None else "edit")
    if not (name or "").strip():
        raise ValidationError({"name": _("A folder needs a name.")})
    if folder is None:
        folder = ReportFolder(owner=actor.user)
    elif not selectors.editable_folders(actor).filter(pk=folder.pk).exists():
        raise PermissionDenied
    folder.name, folder.is_shared = name.strip()[:120], bool(is_shared)
    folder.save()
    return folder


def folder_delete(*, actor: Membership, folder: ReportFolder) -> None:
    """The folder goes; its reports stay, outside any folder."""
    _require(actor, "delete")
    if not selectors.editable_folders(actor).filter(pk=folder.pk).exists():
        raise PermissionDenied
    folder.delete()
