"""Forms of the client base pages. Values go to the services as plain data; normalising and
validating them (phones, emails, custom fields) is the services' job, so the page, the API and
the import agree."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.accounts.forms import ScopedModelChoiceField
from crm.api.filters import members_of_workspace

from .models import Company, CustomField
from .normalize import split_list

LIST_HELP = _("Several? Separate them with commas.")

CONTACT_FORM_FIELDS = [
    "first_name", "last_name", "middle_name", "company", "position", "emails", "phones",
    "telegram", "whatsapp", "birthday", "owner", "tags", "source",
]  # fmt: skip
COMPANY_FORM_FIELDS = [
    "name", "legal_name", "tax_number", "industry", "website", "address", "phones", "emails",
    "owner", "tags",
]  # fmt: skip
LABELS = {
    "first_name": _("First name"), "last_name": _("Last name"), "middle_name": _("Middle name"),
    "company": _("Company"), "position": _("Position"), "emails": _("Emails"),
    "phones": _("Phones"), "telegram": _("Telegram"), "whatsapp": _("WhatsApp"),
    "birthday": _("Birthday"), "owner": _("Owner"), "tags": _("Tags"),
    "source": _("Lead source"), "name": _("Name"), "legal_name": _("Legal name"),
    "tax_number": _("Tax number"), "industry": _("Industry"), "website": _("Website"),
    "address": _("Address"),
}  # fmt: skip


def _field(name: str) -> forms.Field:
    if name == "company":
        return ScopedModelChoiceField(Company, required=False, empty_label=_("No company"))
    if name == "owner":
        field = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("Nobody"))
        field.queryset = members_of_workspace().order_by("first_name", "email")
        return field
    if name == "birthday":
        return forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if name == "address":
        return forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    if name in ("emails", "phones", "tags"):
        return forms.CharField(required=False, help_text=LIST_HELP)
    if name == "name":
        return forms.CharField(max_length=200)
    return forms.CharField(required=False, max_length=250)


def _custom_field(definition: CustomField) -> forms.Field:
    kind = definition.field_type
    if kind == CustomField.CHECKBOX:
        return forms.BooleanField(required=False)
    if kind == CustomField.SELECT:
        return forms.ChoiceField(
            required=False, choices=[("", "—")] + [(o, o) for o in definition.options]
        )
    if kind == CustomField.MULTISELECT:
        return forms.MultipleChoiceField(
            required=False,
            choices=[(o, o) for o in definition.options],
            widget=forms.CheckboxSelectMultiple,
        )
    if kind == CustomField.DATE:
        return forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if kind in (CustomField.NUMBER, CustomField.MONEY):
        return forms.DecimalField(required=False)
    return forms.CharField(required=False, max_length=2000)


class RecordForm(forms.Form):
    """Any subset of a record's fields (the whole form, or one field edited in place)."""

    def __init__(
        self, *args, object_type: str, only: list[str] | None = None, record=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.object_type = object_type
        names = CONTACT_FORM_FIELDS if object_type == "contact" else COMPANY_FORM_FIELDS
        self.custom_defs = {
            f"cf_{d.key}": d for d in CustomField.objects.filter(object_type=object_type)
        }
        for name in names:
            if only is None or name in only:
                self.fields[name] = _field(name)
                self.fields[name].label = LABELS[name]
        for name, definition in self.custom_defs.items():
            if only is None or name in only:
                self.fields[name] = _custom_field(definition)
                self.fields[name].label = definition.label
        if record is not None and not self.is_bound:
            self.initial.update(initial_for(record, self.fields))

    def data_for_service(self) -> dict:
        data, custom = {}, {}
        for name, value in self.cleaned_data.items():
            if name in self.custom_defs:
                custom[name[3:]] = str(value) if hasattr(value, "as_tuple") else value
            else:
                data[name] = (
                    value
                    if value is not None
                    else ("" if name not in ("company", "owner", "birthday") else None)
                )
        if custom:
            data["custom"] = custom
        return data


def initial_for(record, fields) -> dict:
    initial = {}
    for name in fields:
        if name.startswith("cf_"):
            initial[name] = record.custom.get(name[3:])
        elif name in ("emails", "phones", "tags"):
            initial[name] = ", ".join(getattr(record, name))
        elif name in ("company", "owner"):
            initial[name] = getattr(record, f"{name}_id")
        else:
            initial[name] = getattr(record, name)
    return initial


class CustomFieldForm(forms.ModelForm):
    options = forms.CharField(
        label=_("Choices"),
        required=False,
        help_text=_("For select fields: the choices, separated by commas."),
    )

    class Meta:
        model = CustomField
        fields = ["object_type", "label", "key", "field_type", "options"]

    def clean_options(self):

        return split_list(self.cleaned_data["options"])


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Segment name"), max_length=120)
    shared = forms.BooleanField(label=_("Share with the workspace"), required=False)
