from django.urls import path

from . import flow_views, views

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
    # The flows around the money (flow_views.py).
    path("i/<str:token>/", flow_views.client_page, name="invoice_client_page"),
    path("i/<str:token>/pdf/", flow_views.client_pdf, name="invoice_client_pdf"),
    path("i/<str:token>/pdf/<int:pk>/", flow_views.client_pdf, name="invoice_client_other_pdf"),
    path("invoices/<int:pk>/link/", flow_views.link_create, name="invoice_link_create"),
    path("invoices/<int:pk>/link/revoke/", flow_views.link_revoke, name="invoice_link_revoke"),
    path("invoices/remind/", flow_views.reminders, name="invoice_reminders"),
    path("deals/<int:pk>/invoices/ask/", flow_views.request_create, name="invoice_request"),
    path(
        "invoices/requests/<int:pk>/create/",
        flow_views.request_fulfil,
        name="invoice_request_fulfil",
    ),
    path("invoices/statements/", flow_views.statements, name="invoice_statements"),
    path("invoices/statements/<int:pk>/", flow_views.statement_review, name="invoice_statement"),
    path(
        "settings/payment-providers/",
        flow_views.provider_settings,
        name="payment_provider_settings",
    ),
    path(
        "hooks/payments/<str:provider>/<str:token>/",
        flow_views.payment_webhook,
        name="payment_webhook",
    ),
]
