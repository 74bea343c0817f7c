"""Automation's pages: the board's automation view of a funnel and what it edits, and
Settings > Webhooks."""

from django.urls import path, register_converter

from . import views
from .webhooks import views as webhook_views


class ScopeConverter:
    """A funnel's id, or "workspace" for the rules outside funnels (None in the views): the
    funnel's view and the workspace rules page share the editor and its addresses."""

    regex = r"[0-9]+|workspace"

    def to_python(self, value: str) -> int | None:
        return None if value == "workspace" else int(value)

    def to_url(self, value) -> str:
        return "workspace" if value is None else str(int(value))


register_converter(ScopeConverter, "scope")

urlpatterns = [
    path("deals/automation/", views.automation_home, name="automation"),
    # The rules outside funnels (the same views as a funnel's, with "workspace" for it).
    path(
        "deals/automation/workspace/",
        views.automation_board,
        {"pipeline_id": None},
        name="automation_workspace",
    ),
    path("deals/automation/<scope:pipeline_id>/", views.automation_board, name="automation_board"),
    path(
        "deals/automation/<scope:pipeline_id>/rules/new/",
        views.rule_new,
        name="automation_rule_new",
    ),
    path(
        "deals/automation/<scope:pipeline_id>/rules/form/",
        views.rule_form,
        name="automation_rule_form",
    ),
    path(
        "deals/automation/<scope:pipeline_id>/rules/save/",
        views.rule_save,
        name="automation_rule_save",
    ),
    path(
        "deals/automation/<scope:pipeline_id>/rules/<int:rule_id>/",
        views.rule_edit,
        name="automation_rule_edit",
    ),
    path(
        "deals/automation/<scope:pipeline_id>/rules/<int:rule_id>/toggle/",
        views.rule_toggle,
        name="automation_rule_toggle",
    ),
    path(
        "deals/automation/<scope:pipeline_id>/rules/<int:rule_id>/move/",
        views.rule_move,
        name="automation_rule_move",
    ),
    path(
        "deals/automation/<scope:pipeline_id>/rules/<int:rule_id>/delete/",
        views.rule_delete,
        name="automation_rule_delete",
    ),
    path(
        "deals/automation/<scope:pipeline_id>/rules/<int:rule_id>/runs/",
        views.rule_runs,
        name="automation_rule_runs",
    ),
    path(
        "deals/automation/<scope:pipeline_id>/runs/<int:run_id>/retry/",
        views.run_retry,
        name="automation_run_retry",
    ),
    path("deals/automation/<scope:pipeline_id>/test/", views.dry_run, name="automation_dry_run"),
    path("settings/webhooks/", webhook_views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/toggle/", webhook_views.webhook_toggle, name="webhook_toggle"),
    path("settings/webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path(
        "settings/webhooks/<int:pk>/rotate-secret/",
        webhook_views.webhook_rotate_secret,
        name="webhook_rotate_secret",
    ),
    path(
        "settings/webhooks/deliveries/<int:pk>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
