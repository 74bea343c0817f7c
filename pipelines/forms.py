"""Forms of the funnel settings pages. They check the shape; the services check the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Stage


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)


class StageForm(forms.Form):
    name = forms.CharField(label=_("Stage"), max_length=80)
    color = forms.ChoiceField(
        label=_("Colour"), choices=[(c, c) for c in Stage.COLORS], required=False
    )
    probability = forms.IntegerField(
        label=_("Win probability, %"), min_value=0, max_value=100, initial=10
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Stage.KINDS, initial=Stage.OPEN)
    rotting_days = forms.IntegerField(
        label=_("Rotting after, days"), min_value=1, max_value=3650, required=False
    )

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("color"):
            data.pop("color", None)
        return data


class LostReasonForm(forms.Form):
    name = forms.CharField(label=_("Reason"), max_length=120)
