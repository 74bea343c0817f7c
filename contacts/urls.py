from django.urls import path

from . import views
from .importer import views as import_views


def routes(kind: str, prefix: str):
    k = {"kind": kind}
    return [
        path(f"{prefix}/", views.record_list, k, name=prefix),
        path(f"{prefix}/new/", views.record_new, k, name=f"{kind}_new"),
        path(f"{prefix}/export/", views.record_export, k, name=f"{kind}_export"),
        path(f"{prefix}/bulk/", views.record_bulk, k, name=f"{kind}_bulk"),
        path(f"{prefix}/duplicates/", views.duplicate_groups, k, name=f"{kind}_duplicates"),
        path(f"{prefix}/merge/", views.merge, k, name=f"{kind}_merge"),
        path(f"{prefix}/segments/", views.segment_save, k, name=f"{kind}_segment_save"),
        path(
            f"{prefix}/segments/<int:pk>/delete/",
            views.segment_delete,
            k,
            name=f"{kind}_segment_delete",
        ),
        path(f"{prefix}/<int:pk>/", views.record_card, k, name=f"{kind}_card"),
        path(f"{prefix}/<int:pk>/title/", views.record_name, k, name=f"{kind}_title"),
        path(f"{prefix}/<int:pk>/fields/<str:name>/", views.record_field, k, name=f"{kind}_field"),
        path(f"{prefix}/<int:pk>/notes/", views.record_note, k, name=f"{kind}_note"),
        path(f"{prefix}/<int:pk>/delete/", views.record_delete, k, name=f"{kind}_delete"),
    ]


urlpatterns = [
    path("contacts/import/", import_views.import_new, name="import_new"),
    path("contacts/import/<int:pk>/", import_views.import_detail, name="contact_import"),
    path(
        "contacts/import/<int:pk>/progress/",
        import_views.import_progress,
        name="contact_import_progress",
    ),
    path(
        "contacts/import/<int:pk>/errors/", import_views.import_errors, name="contact_import_errors"
    ),
    *routes("contact", "contacts"),
    *routes("company", "companies"),
    path("search/", views.global_search, name="global_search"),
    path("settings/custom-fields/", views.custom_fields, name="custom_fields"),
]
