from django.urls import path

from . import products, views

urlpatterns = [
    path("deals/", views.board_view, name="deals"),
    path("deals/list/", views.deal_list, name="deal_list"),
    path("deals/bulk/", views.deal_bulk, name="deal_bulk"),
    path("deals/new/", views.deal_new, name="deal_new"),
    path("deals/quick/", views.deal_quick, name="deal_quick"),
    path("deals/columns/<int:stage_id>/", views.board_column, name="deal_column"),
    path("deals/<int:pk>/", views.deal_card, name="deal_card"),
    path("deals/<int:pk>/title/", views.deal_title, name="deal_title"),
    path("deals/<int:pk>/fields/<str:name>/", views.deal_field, name="deal_field"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:pk>/won/", views.deal_won, name="deal_won"),
    path("deals/<int:pk>/lost/", views.deal_lost, name="deal_lost"),
    path("deals/<int:pk>/reopen/", views.deal_reopen, name="deal_reopen"),
    path("deals/<int:pk>/delete/", views.deal_delete, name="deal_delete"),
    path("deals/<int:pk>/notes/", views.deal_note, name="deal_note"),
    path("deals/<int:pk>/items/", views.item_add, name="deal_item_add"),
    path("deals/<int:pk>/items/<int:item_id>/", views.item_edit, name="deal_item_edit"),
    path("deals/<int:pk>/items/<int:item_id>/remove/", views.item_remove, name="deal_item_remove"),
    path("deals/<int:pk>/contacts/", views.contact_add, name="deal_contact_add"),
    path(
        "deals/<int:pk>/contacts/<int:contact_id>/remove/",
        views.contact_remove,
        name="deal_contact_remove",
    ),
    path("deals/<int:pk>/files/", views.file_add, name="deal_file_add"),
    path("deals/<int:pk>/files/<int:file_id>/", views.file_download, name="deal_file"),
    path("deals/<int:pk>/files/<int:file_id>/delete/", views.file_delete, name="deal_file_delete"),
    path("settings/products/", products.products, name="products"),
    path("settings/products/<int:pk>/", products.product_edit, name="product_edit"),
]
