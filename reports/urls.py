from django.urls import path

from . import custom_type_views, export_views, subscription_views, views

urlpatterns = [
    path("reports/", views.report_list, name="reports"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/preview/", views.report_preview, name="report_preview"),
    path("reports/folders/", views.report_folder_new, name="report_folder_new"),
    path("reports/<int:pk>/", views.report_run, name="report_run"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/export/", views.report_export, name="report_export"),
    path("reports/<int:pk>/delete/", views.report_delete, name="report_delete"),
    path("reports/exports/<int:pk>/", export_views.export_status, name="report_export_status"),
    path(
        "reports/exports/<int:pk>/download/",
        export_views.export_download,
        name="report_export_download",
    ),
    path("reports/types/", custom_type_views.custom_type_list, name="report_types"),
    path("reports/types/<int:pk>/", custom_type_views.custom_type_list, name="report_type_edit"),
    path(
        "reports/types/<int:pk>/delete/",
        custom_type_views.custom_type_delete,
        name="report_type_delete",
    ),
    path(
        "reports/<int:pk>/subscribe/", subscription_views.report_subscribe, name="report_subscribe"
    ),
    path(
        "reports/subscriptions/", subscription_views.subscription_list, name="report_subscriptions"
    ),
    path(
        "reports/subscriptions/<int:pk>/edit/",
        subscription_views.subscription_edit,
        name="report_subscription_edit",
    ),
    path(
        "reports/subscriptions/<int:pk>/delete/",
        subscription_views.subscription_delete,
        name="report_subscription_delete",
    ),
]
