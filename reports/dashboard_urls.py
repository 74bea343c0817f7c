from django.urls import path

from . import board_views, dashboard_views, subscription_views

urlpatterns = [
    path("dashboards/", dashboard_views.sales, name="dashboards"),
    path("dashboards/plans/", dashboard_views.plan_list, name="sales_plans"),
    path("dashboards/custom/", board_views.board_list, name="board_list"),
    path("dashboards/custom/add-report/", board_views.add_report, name="board_add_report"),
    path("dashboards/custom/<int:pk>/", board_views.board, name="board"),
    path("dashboards/custom/<int:pk>/edit/", board_views.board_edit, name="board_edit"),
    path(
        "dashboards/custom/<int:pk>/subscribe/",
        subscription_views.board_subscribe,
        name="board_subscribe",
    ),
    path("dashboards/custom/<int:pk>/widgets/", board_views.widget_add, name="board_widget_add"),
    path(
        "dashboards/custom/<int:pk>/widgets/<int:widget_pk>/edit/",
        board_views.widget_edit,
        name="board_widget_edit",
    ),
    path(
        "dashboards/custom/<int:pk>/widgets/<int:widget_pk>/remove/",
        board_views.widget_remove,
        name="board_widget_remove",
    ),
    path("dashboards/custom/<int:pk>/order/", board_views.widgets_order, name="board_order"),
]
