from django.urls import path

from . import dashboard_views

urlpatterns = [
    path("dashboards/", dashboard_views.sales, name="dashboards"),
    path("dashboards/plans/", dashboard_views.plan_list, name="sales_plans"),
]
