from django.urls import path

from . import views

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/export/", views.invoice_export, name="invoice_export"),
    path("deals/<int:pk>/invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views.invoice_card, name="invoice_card"),
    path("invoices/<int:pk>/edit/", views.invoice_edit, name="invoice_edit"),
    path("invoices/<int:pk>/lines/", views.line_add, name="invoice_line_add"),
    path(
        "invoices/<int:pk>/lines/<int:item_id>/remove/",
        views.line_remove,
        name="invoice_line_remove",
    ),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path("invoices/<int:pk>/send/", views.invoice_send, name="invoice_send"),
    path("invoices/<int:pk>/credit-note/", views.credit_note, name="invoice_credit_note"),
    path("invoices/<int:pk>/payments/", views.payment_add, name="invoice_payment"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("settings/invoicing/", views.seller_settings, name="invoice_settings"),
]
