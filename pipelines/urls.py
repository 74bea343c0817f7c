"""Settings pages of the sales set-up (admins): funnels and stages, lost reasons."""

from django.urls import path

from . import views

urlpatterns = [
    path("settings/funnels/", views.funnels, name="funnels"),
    path("settings/funnels/<int:pk>/", views.funnel_edit, name="funnel_edit"),
    path("settings/funnels/<int:pk>/stages/", views.stage_add, name="funnel_stage_add"),
    path(
        "settings/funnels/<int:pk>/stages/order/",
        views.stages_reorder,
        name="funnel_stages_reorder",
    ),
    path("settings/stages/<int:pk>/", views.stage_edit, name="funnel_stage_edit"),
    path("settings/stages/<int:pk>/delete/", views.stage_delete, name="funnel_stage_delete"),
    path("settings/lost-reasons/", views.lost_reasons, name="lost_reasons"),
    path("settings/lost-reasons/<int:pk>/", views.lost_reason_edit, name="lost_reason_edit"),
]
