"""The form builder's page forms: the form itself, and one row per field (a formset)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import Membership
from pipelines.models import Stage

from .models import WebForm


class WebFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    thank_you = forms.CharField(
        label=_("Thank-you text"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown once the form is sent."),
    )
    stage = forms.TypedChoiceField(
        label=_("Create a deal in"), required=False, coerce=int, empty_value=None
    )
    responsible = forms.TypedChoiceField(
        label=_("Responsible"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("New clients, deals and the conversation go to them."),
    )
    allowed_origins = forms.CharField(
        label=_("Sites allowed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One site per line, as https://example.com; empty: any site."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stages = (
            Stage.objects.select_related("pipeline")
            .filter(kind=Stage.OPEN, pipeline__is_archived=False)
            .order_by("pipeline__position", "pipeline_id", "position", "id")
        )
        self.fields["stage"].choices = [("", _("No deal")), *(
            (s.pk, f"{s.pipeline.name} → {s.name}") for s in stages
        )]  # fmt: skip
        members = Membership.objects.select_related("user").filter(is_active=True)
        self.fields["responsible"].choices = [("", _("Nobody: the team's queue")), *sorted(
            ((m.user_id, m.user.display_name) for m in members), key=lambda c: c[1].lower()
        )]  # fmt: skip


class FieldRow(forms.Form):
    # A field keeps its key when its label changes: a site posting JSON names it by key.
    key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    label = forms.CharField(label=_("Label"), max_length=120, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=WebForm.FIELD_TYPES, initial="text")
    maps_to = forms.ChoiceField(label=_("Fills in"), choices=WebForm.MAPPINGS, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    options = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 1}),
        help_text=_("For a choice: one per line."),
    )


FieldRows = forms.formset_factory(FieldRow, extra=3, can_delete=True, max_num=30)


def rows_initial(form: WebForm | None) -> list[dict]:
    if form is None:
        return [
            {"label": _("Name"), "type": "text", "maps_to": "contact.first_name", "required": True},
            {"label": _("Email"), "type": "email", "maps_to": "contact.email", "required": True},
            {"label": _("Phone"), "type": "phone", "maps_to": "contact.phone"},
            {"label": _("Message"), "type": "textarea"},
        ]
    return [{**f, "options": "\n".join(f.get("options") or [])} for f in form.fields]


def fields_from(rows) -> list[dict]:
    """The builder's rows as webforms.clean_fields takes them (blank and deleted rows out)."""
    out = []
    for row in rows.forms:
        data = getattr(row, "cleaned_data", None) or {}
        if not data.get("label") or data.get("DELETE"):
            continue
        out.append({"key": data.get("key"), "label": data["label"], "type": data["type"],
                    "maps_to": data.get("maps_to"), "required": data.get("required"),
                    "options": (data.get("options") or "").splitlines()})  # fmt: skip
    return out
