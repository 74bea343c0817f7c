"""Forms of the funnel settings pages. They check the shape; the services check the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import CURRENCIES
from deals.models import Product

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


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="pcs")
    price = forms.DecimalField(label=_("Price"), max_digits=14, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    tax_rate = forms.DecimalField(
        label=_("Tax rate, %"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=0,
    )
    is_active = forms.BooleanField(label=_("Offered (shown when adding products)"), required=False)

    @classmethod
    def for_product(cls, product: Product, data=None):
        initial = {name: getattr(product, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class LostReasonForm(forms.Form):
    name = forms.CharField(label=_("Reason"), max_length=120)
