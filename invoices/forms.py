"""Forms of the invoice pages; the services check the values and say what is wrong."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import CURRENCIES

from .models import Invoice, LegalEntity

LANGUAGES = [("en", "English"), ("ru", "Русский"), ("mn", "Монгол"), ("ta", "தமிழ்"),
             ("te", "తెలుగు")]  # fmt: skip


class LineForm(forms.Form):
    name = forms.CharField(label=_("Item"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    quantity = forms.CharField(label=_("Quantity"), max_length=30, initial="1")
    unit_price = forms.CharField(label=_("Price"), max_length=30)
    discount = forms.CharField(label=_("Discount, %"), max_length=30, required=False)
    tax_rate = forms.TypedChoiceField(label=_("Tax"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, rates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tax_rate"].choices = [("", _("No tax")), *((r.pk, r.name) for r in rates)]


class DraftForm(forms.Form):
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES)
    template = forms.ChoiceField(label=_("Template"), choices=Invoice.TEMPLATES)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=30)
    paid_on = forms.DateField(
        label=_("Paid on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(label=_("Reference"), max_length=120, required=False)


class SellerForm(forms.ModelForm):
    class Meta:
        model = LegalEntity
        fields = ["name", "address", "tax_id", "kpp", "register_number", "bank_name", "bik",
                  "account", "corr_account"]  # fmt: skip
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}


class SendForm(forms.Form):
    to = forms.CharField(label=_("Email"), max_length=254)
