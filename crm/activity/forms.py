"""Forms of the task, comment and notification pages. They turn input into plain values
for the services, which do the checking that the page and the API share."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.api.filters import members_of_workspace

from .models import Notification, Task

REMINDERS = [
    ("", _("No reminder")),
    (0, _("At the time")),
    (5, _("5 minutes before")),
    (15, _("15 minutes before")),
    (30, _("30 minutes before")),
    (60, _("1 hour before")),
    (120, _("2 hours before")),
    (1440, _("1 day before")),
]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.display_name


class TaskForm(forms.Form):
    title = forms.CharField(label=_("What"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Task.KINDS, initial=Task.TASK)
    due_date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Empty: all day."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration, minutes"), min_value=5, max_value=24 * 60, initial=30, required=False
    )
    assignee = MemberChoiceField(label=_("Assignee"), queryset=None, required=False)
    reminder_minutes_before = forms.TypedChoiceField(
        label=_("Reminder"), choices=REMINDERS, coerce=int, empty_value=None, required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, task: Task | None = None, tz=None, **kwargs):
        self.tz = tz
        if task is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(task, tz)
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members_of_workspace().order_by("first_name", "email")
        if task is None:
            self.fields["assignee"].empty_label = _("Me")
        else:
            self.fields["assignee"].empty_label = None
            self.fields["assignee"].required = True
        current = (task.reminder_minutes_before if task else None) or None
        if current and current not in dict(REMINDERS):
            self.fields["reminder_minutes_before"].choices = [
                *REMINDERS,
                (current, _("%(n)s minutes before") % {"n": current}),
            ]

    def service_data(self) -> dict:
        """Cleaned values as the task services take them."""
        data = self.cleaned_data
        time = data.get("due_time")
        out = {
            "title": data["title"],
            "kind": data["kind"],
            "all_day": time is None,
            "due_date": data["due_date"] if time is None else None,
            "due_at": None
            if time is None
            else dt.datetime.combine(data["due_date"], time, tzinfo=self.tz),
            "duration_minutes": data.get("duration_minutes") or 30,
            "reminder_minutes_before": data.get("reminder_minutes_before"),
            "notes": data.get("notes", ""),
        }
        if data.get("assignee") is not None:
            out["assignee"] = data["assignee"]
        return out


def initial_for(task: Task, tz) -> dict:
    from django.utils import timezone

    if task.all_day:
        day, time = task.due_date, None
    else:
        local = timezone.localtime(task.due_at, tz)
        day, time = local.date(), local.time().replace(second=0, microsecond=0)
    return {
        "title": task.title,
        "kind": task.kind,
        "due_date": day,
        "due_time": time,
        "duration_minutes": task.duration_minutes,
        "assignee": task.assignee_id,
        "reminder_minutes_before": task.reminder_minutes_before,
        "notes": task.notes,
    }


class CompleteForm(forms.Form):
    note = forms.CharField(
        label=_("Result"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PreferencesForm(forms.Form):
    """One "email me" box per kind of notification."""

    def __init__(self, *args, current: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Notification.KINDS:
            self.fields[f"email_{kind}"] = forms.BooleanField(
                label=label, required=False, initial=current.get(kind, True)
            )

    def email_choices(self) -> dict[str, bool]:
        return {kind: self.cleaned_data[f"email_{kind}"] for kind, _label in Notification.KINDS}

    def rows(self):
        return [(label, self[f"email_{kind}"]) for kind, label in Notification.KINDS]
