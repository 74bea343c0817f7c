"""Reads of reports and folders: a member sees their own and the shared ones.

The role's visibility does not widen this: a private report is its owner's alone, whoever
heads their department (it is a question asked of the data, not a client's record)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from crm.accounts.models import Membership

from .models import Report, ReportFolder


def reports_for(membership: Membership) -> QuerySet[Report]:
    if not membership.can("report", "view"):
        return Report.objects.none()
    return Report.objects.select_related("owner", "folder").filter(
        Q(owner_id=membership.user_id) | Q(is_shared=True)
    )


def editable_reports(membership: Membership) -> QuerySet[Report]:
    """Those the member may change: their own; a workspace's admins change shared ones too."""
    qs = reports_for(membership)
    if membership.role.can_manage_workspace:
        return qs
    return qs.filter(owner_id=membership.user_id)


def folders_for(membership: Membership) -> QuerySet[ReportFolder]:
    if not membership.can("report", "view"):
        return ReportFolder.objects.none()
    return ReportFolder.objects.select_related("owner").filter(
        Q(owner_id=membership.user_id) | Q(is_shared=True)
    )


def editable_folders(membership: Membership) -> QuerySet[ReportFolder]:
    qs = folders_for(membership)
    if membership.role.can_manage_workspace:
        return qs
    return qs.filter(owner_id=membership.user_id)
