from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crm.accounts import views as accounts
from crm.web import views as web

auth = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", accounts.signup, name="signup"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]

settings_pages = [
    path("", accounts.profile, name="profile"),
    path("workspace/", accounts.workspace, name="workspace"),
    path("members/", accounts.members, name="members"),
    path("members/<int:pk>/", accounts.member_edit, name="member_edit"),
    path("invitations/<int:pk>/revoke/", accounts.invitation_revoke, name="invitation_revoke"),
    path("roles/", accounts.roles, name="roles"),
    path("roles/new/", accounts.role_edit, name="role_new"),
    path("roles/<int:pk>/", accounts.role_edit, name="role_edit"),
    path("departments/", accounts.departments, name="departments"),
    path("departments/<int:pk>/", accounts.department_edit, name="department_edit"),
    path("api-keys/", accounts.api_keys, name="api_keys"),
    path("api-keys/<int:pk>/revoke/", accounts.api_key_revoke, name="api_key_revoke"),
    path("audit/", accounts.audit, name="audit"),
]

urlpatterns = [
    path("", web.home, name="home"),
    path("healthz", web.healthz, name="healthz"),
    path("livez", web.livez, name="livez"),
    path("accounts/", include(auth)),
    path("invite/<str:token>/", accounts.invitation_accept, name="invitation_accept"),
    path("workspaces/switch/", accounts.workspace_switch, name="workspace_switch"),
    path("workspaces/new/", accounts.workspace_new, name="workspace_new"),
    path("settings/", include(settings_pages)),
    path("", include("contacts.urls")),
    path("", include("pipelines.urls")),
    path("", include("deals.urls")),
    path("", include("invoices.urls")),
    path("", include("crm.activity.urls")),
    path("", include("integrations.urls")),
    path("", include("automation.urls")),
    path("", include("reports.urls")),
    path("", include("reports.dashboard_urls")),
    path("api/v1/", include("crm.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "crm.web.views.error_400"
handler403 = "crm.web.views.error_403"
handler404 = "crm.web.views.error_404"
handler500 = "crm.web.views.error_500"
