"""/api/v1/: every viewset is registered here, so the isolation walk finds it."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from automation import api as automation_api
from automation.webhooks import api as webhooks_api
from contacts import api as contacts_api
from contacts.importer import api as importer_api
from crm.accounts import api as accounts_api
from crm.activity import api as activity_api
from deals import api as deals_api
from integrations import api as integrations_api
from integrations import api_canned as canned_api
from invoices import api as invoices_api
from pipelines import api as pipelines_api
from reports import api as reports_api
from reports import board_api, dashboard_api
from reports import subscription_api as report_subscriptions_api

router = DefaultRouter(trailing_slash=True)
router.register("roles", accounts_api.RoleViewSet, basename="role")
router.register("departments", accounts_api.DepartmentViewSet, basename="department")
router.register("members", accounts_api.MemberViewSet, basename="member")
router.register("invitations", accounts_api.InvitationViewSet, basename="invitation")
router.register("api-keys", accounts_api.ApiKeyViewSet, basename="api-key")
router.register("audit-trail", activity_api.AuditEntryViewSet, basename="audit-entry")
router.register("tasks", activity_api.TaskViewSet, basename="task")
router.register("comments", activity_api.CommentViewSet, basename="comment")
router.register("notifications", activity_api.NotificationViewSet, basename="notification")
router.register("calendar-feeds", activity_api.CalendarFeedViewSet, basename="calendar-feed")
router.register("companies", contacts_api.CompanyViewSet, basename="company")
router.register("contacts", contacts_api.ContactViewSet, basename="contact")
router.register("imports", importer_api.ImportJobViewSet, basename="import")
router.register("custom-fields", contacts_api.CustomFieldViewSet, basename="custom-field")
router.register("pipelines", pipelines_api.PipelineViewSet, basename="pipeline")
router.register("stages", pipelines_api.StageViewSet, basename="stage")
router.register("lost-reasons", pipelines_api.LostReasonViewSet, basename="lost-reason")
router.register("products", deals_api.ProductViewSet, basename="product")
router.register("deals", deals_api.DealViewSet, basename="deal")
router.register("line-items", deals_api.LineItemViewSet, basename="line-item")
router.register("deal-contacts", deals_api.DealContactViewSet, basename="deal-contact")
router.register("channels", integrations_api.ChannelViewSet, basename="channel")
router.register("conversations", integrations_api.ConversationViewSet, basename="conversation")
router.register("canned-responses", canned_api.CannedResponseViewSet, basename="canned-response")
router.register("forms", integrations_api.WebFormViewSet, basename="web-form")
router.register("invoices", invoices_api.InvoiceViewSet, basename="invoice")
router.register("payments", invoices_api.PaymentViewSet, basename="payment")
router.register("statements", invoices_api.StatementViewSet, basename="statement")
router.register("invoice-requests", invoices_api.InvoiceRequestViewSet, basename="invoice-request")
router.register("automation/rules", automation_api.RuleViewSet, basename="automation-rule")
router.register("automation/runs", automation_api.RunViewSet, basename="automation-run")
router.register("webhooks", webhooks_api.WebhookViewSet, basename="webhook")
router.register("reports", reports_api.ReportViewSet, basename="report")
router.register("report-folders", reports_api.ReportFolderViewSet, basename="report-folder")
router.register("report-exports", reports_api.ReportExportViewSet, basename="report-export")
router.register(
    "custom-report-types", reports_api.CustomReportTypeViewSet, basename="custom-report-type"
)
router.register(
    "report-subscriptions", report_subscriptions_api.ReportSubscriptionViewSet,
    basename="report-subscription",
)  # fmt: skip
router.register("sales-plans", dashboard_api.SalesPlanViewSet, basename="sales-plan")
# After "dashboards/sales/" below (urlpatterns come first) and numeric ids only: no shadowing.
router.register("dashboards", board_api.DashboardViewSet, basename="dashboard")

urlpatterns = [
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path(
        "automation/catalogue/",
        automation_api.CatalogueView.as_view(),
        name="api-automation-catalogue",
    ),
    path("report-types/", reports_api.ReportTypesView.as_view(), name="api-report-types"),
    path(
        "dashboards/sales/",
        dashboard_api.SalesDashboardView.as_view(),
        name="api-dashboard-sales",
    ),
    *router.urls,
]
