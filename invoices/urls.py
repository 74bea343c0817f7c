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
    path("invoices/<int:pk>/receipt/", views.invoice_receipt, name="invoice_receipt"),
    path("settings/invoicing/", views.seller_settings, name="invoice_settings"),
    path("settings/invoicing/tax/", views.tax_settings, name="invoice_tax_settings"),
    path("settings/invoicing/series/new/", views.series_edit, name="invoice_series_new"),
    path("settings/invoicing/series/<int:pk>/", views.series_edit, name="invoice_series_edit"),
    path("settings/invoicing/rates/new/", views.tax_rate_edit, name="invoice_rate_new"),
    path("settings/invoicing/rates/<int:pk>/", views.tax_rate_edit, name="invoice_rate_edit"),
    path(
        "settings/invoicing/rates/<int:pk>/archive/",
        views.tax_rate_archive,
        name="invoice_rate_archive",
    ),
]
