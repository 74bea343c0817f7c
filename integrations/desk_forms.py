"""Forms of the inbox's desk: the client panel's deal and task, accepting a request."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.activity.models import Task

TASK_KINDS = Task.KINDS


def first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else errors[0]
    return ""


class DealForm(forms.Form):
    title = forms.CharField(label=_("Deal title"), max_length=200, required=False)
    stage = forms.CharField(label=_("Stage"), max_length=20)
    amount = forms.CharField(label=_("Amount"), max_length=30, required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=TASK_KINDS, initial=Task.CALL)
    day = forms.DateField(label=_("Day"))
    time = forms.TimeField(label=_("Time"), required=False)


class AcceptForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    # Empty: no deal; else an open stage's id (the deal goes there).
    stage = forms.CharField(label=_("Deal"), max_length=20, required=False)
    deal_title = forms.CharField(label=_("Deal title"), max_length=200, required=False)
    amount = forms.CharField(label=_("Amount"), max_length=30, required=False)
