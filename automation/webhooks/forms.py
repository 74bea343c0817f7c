from django import forms
from django.utils.translation import gettext_lazy as _

from crm.activity import catalogue


def event_choices() -> list[tuple[str, str]]:
    """Each family ("All deal events", deal.*) followed by its types, by the catalogue."""
    by_family: dict[str, list] = {}
    for spec in sorted(catalogue.EVENT_TYPES.values(), key=lambda s: s.type):
        by_family.setdefault(spec.family, []).append((spec.type, f"{spec.label} ({spec.type})"))
    choices = []
    for family, types in by_family.items():
        label = _("All %(family)s events") % {"family": family}
        choices.append((f"{family}.*", f"{label} ({family}.*)"))
        choices.extend(types)
    return choices


class WebhookForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        help_text=_("A public https address that accepts POST requests."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=[], widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()
