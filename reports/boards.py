"""Custom dashboards: who sees and changes them, and their writes.

A member sees their own dashboards and the shared ones (like reports: the role's visibility
does not widen this). A widget may only show a report the member sees; the report then runs
as whoever opens the dashboard, so sharing a dashboard shares questions, not answers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from crm.accounts.models import Membership

from . import selectors
from .board_models import Dashboard, DashboardWidget

KINDS = {k for k, _l in DashboardWidget.KINDS}
WIDTHS = {w for w, _l in DashboardWidget.WIDTHS}


def boards_for(membership: Membership) -> QuerySet[Dashboard]:
    if not membership.can("report", "view"):
        return Dashboard.objects.none()
    return Dashboard.objects.select_related("owner").filter(
        Q(owner_id=membership.user_id) | Q(is_shared=True)
    )


def editable_boards(membership: Membership) -> QuerySet[Dashboard]:
    """Their own; a workspace's admins change shared ones too."""
    qs = boards_for(membership)
    if membership.role.can_manage_workspace:
        return qs
    return qs.filter(owner_id=membership.user_id)


def _editable(actor: Membership, board: Dashboard) -> None:
    if not actor.can("report", "edit") or not editable_boards(actor).filter(pk=board.pk).exists():
        raise PermissionDenied


def _name(name: str) -> str:
    if not (name or "").strip():
        raise ValidationError({"name": _("A dashboard needs a name.")})
    return name.strip()[:120]


def board_save(*, actor: Membership, name: str, is_shared: bool = False,
               board: Dashboard | None = None) -> Dashboard:  # fmt: skip
    if board is None:
        if not actor.can("report", "create"):
            raise PermissionDenied
        board = Dashboard(owner=actor.user)
    else:
        _editable(actor, board)
    board.name, board.is_shared = _name(name), bool(is_shared)
    board.save()
    return board


def board_delete(*, actor: Membership, board: Dashboard) -> None:
    _editable(actor, board)
    board.delete()


def _report(actor: Membership, report_id):
    """A report the actor sees; another's private one, or another workspace's, is refused."""
    report = selectors.reports_for(actor).filter(pk=report_id).first() if report_id else None
    if report is None:
        raise ValidationError({"report": _("No such report.")})
    return report


def value_keys(report) -> list[str]:
    """What a KPI widget may show of a report: "count", then its summaries' and formulas'
    keys, read from the saved definition (the run checks the fields themselves)."""
    definition = report.spec or {}
    keys = ["count"]
    for raw in definition.get("summaries") or []:
        if isinstance(raw, dict):
            field, agg = raw.get("field") or "", raw.get("agg") or ""
            keys.append(f"{field}__{agg}" if field else agg)
    for raw in definition.get("formulas") or []:
        if isinstance(raw, dict) and raw.get("key"):
            keys.append(str(raw["key"]))
    return list(dict.fromkeys(k for k in keys if k))


def _value(report, value) -> str:
    """The KPI's value: empty (the report's first summary) or one of `value_keys`."""
    value = (value or "").strip()
    if value and value not in value_keys(report):
        raise ValidationError(
            {
                "value": _(
                    'The report "%(report)s" has no summary "%(value)s": choose one of %(keys)s.'
                )
                % {
                    "report": report.name,
                    "value": value[:80],
                    "keys": ", ".join(value_keys(report)),
                }
            }
        )
    return value


@transaction.atomic
def widget_add(*, actor: Membership, board: Dashboard, report_id, kind: str = "chart",
               width=2, value: str = "", title: str = "") -> DashboardWidget:  # fmt: skip
    _editable(actor, board)
    report = _report(actor, report_id)
    if kind not in KINDS:
        raise ValidationError({"kind": _("Choose a chart, a KPI number or a table.")})
    width = int(width) if str(width).isdigit() and int(width) in WIDTHS else 2
    last = board.widgets.aggregate(m=Max("position"))["m"]
    return DashboardWidget.objects.create(
        dashboard=board, report=report, kind=kind, width=width,
        value=_value(report, value), title=(title or "")[:120],
        position=0 if last is None else last + 1,
    )  # fmt: skip


@transaction.atomic
def widget_update(*, actor: Membership, widget: DashboardWidget, data: dict) -> DashboardWidget:
    """Changes `data`'s keys: report, kind, width, value, title."""
    _editable(actor, widget.dashboard)
    if "report" in data:
        widget.report = _report(actor, data["report"])
    if "kind" in data:
        if data["kind"] not in KINDS:
            raise ValidationError({"kind": _("Choose a chart, a KPI number or a table.")})
        widget.kind = data["kind"]
    if "width" in data:
        if data["width"] not in WIDTHS:
            raise ValidationError({"width": _("Choose a width from 1 to 4.")})
        widget.width = data["width"]
    if "value" in data or "report" in data:
        widget.value = _value(widget.report, data.get("value", widget.value))
    if "title" in data:
        widget.title = (data["title"] or "")[:120]
    widget.save()
    return widget


def widget_remove(*, actor: Membership, widget: DashboardWidget) -> None:
    _editable(actor, widget.dashboard)
    widget.delete()


@transaction.atomic
def widgets_reorder(*, actor: Membership, board: Dashboard, order: list) -> None:
    """Positions from the order the widgets stand in after a drag; ids not on this board are
    ignored, those left out keep their place after the named ones."""
    _editable(actor, board)
    widgets = {w.pk: w for w in board.widgets.all()}
    named = [widgets[i] for i in dict.fromkeys(int(x) for x in order if str(x).isdigit())
             if i in widgets]  # fmt: skip
    rest = [w for w in widgets.values() if w not in named]
    for position, widget in enumerate([*named, *sorted(rest, key=lambda w: w.position)]):
        widget.position = position
    DashboardWidget.objects.bulk_update(widgets.values(), ["position"])
