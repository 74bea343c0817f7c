from django.urls import path

from .views import calendar, comments, notifications, tasks

urlpatterns = [
    path("tasks/", tasks.my_day, name="tasks"),
    path("tasks/new/", tasks.task_new, name="task_new"),
    path("tasks/calendar/", calendar.calendar, name="calendar"),
    path("tasks/<int:pk>/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/toggle/", tasks.task_toggle, name="task_toggle"),
    path("tasks/<int:pk>/move/", tasks.task_move, name="task_move"),
    path("tasks/<int:pk>/delete/", tasks.task_delete, name="task_delete"),
    path(
        "tasks/about/<slug:object_type>/<int:object_id>/",
        tasks.subject_tasks,
        name="subject_tasks",
    ),
    path(
        "comments/<slug:object_type>/<int:object_id>/",
        comments.subject_comments,
        name="subject_comments",
    ),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/bell/", notifications.bell, name="notifications_bell"),
    path("notifications/menu/", notifications.menu, name="notifications_menu"),
    path("notifications/read-all/", notifications.notifications_read_all,
         name="notifications_read_all"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", notifications.notification_read,
         name="notification_read"),
    path("settings/notifications/", notifications.notification_settings,
         name="notification_settings"),
    path("settings/notifications/calendar-feed/", notifications.calendar_feed_regenerate,
         name="calendar_feed_regenerate"),
    path("settings/notifications/calendar-feed/off/", notifications.calendar_feed_revoke,
         name="calendar_feed_revoke"),
]  # fmt: skip
