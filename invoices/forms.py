"""Forms of the invoice pages; the services check the values and say what is wrong."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import CURRENCIES

from .gst import STATES
from .models import Invoice, LegalEntity, Series

LANGUAGES = [("en", "English"), ("ru", "Русский"), ("mn", "Монгол"), ("ta", "தமிழ்"),
             ("te", "తెలుగు")]  # fmt: skip


class LineForm(forms.Form):
    name = forms.CharField(label=_("Item"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    hsn_sac = forms.CharField(
        label=_("HSN/SAC"), max_length=20, required=False, help_text=_("India: 4 to 8 digits.")
    )
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
    # The client's requisites as the document prints them, checked by the template's country.
    client_name = forms.CharField(label=_("Client"), max_length=250, required=False)
    client_tax_id = forms.CharField(
        label=_("Client's tax number"), max_length=20, required=False,
        help_text=_("ИНН in Russia, GSTIN in India."),
    )  # fmt: skip
    client_kpp = forms.CharField(label=_("Client's КПП"), max_length=20, required=False)
    client_register_number = forms.CharField(
        label=_("Client's register number"), max_length=20, required=False,
        help_text=_("Mongolia: 7 digits, or 2 letters and 8 digits."),
    )  # fmt: skip
    client_state = forms.ChoiceField(
        label=_("Client's state (India)"), required=False,
        choices=[("", "—"), *((code, f"{code} {name}") for code, name in STATES.items())],
        help_text=_("The place of supply of a client without a GSTIN."),
    )  # fmt: skip
    client_address = forms.CharField(
        label=_("Client's address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReceiptForm(forms.Form):
    receipt_number = forms.CharField(
        label=_("e-Barimt receipt number"), max_length=100, required=False
    )


class TaxSettingsForm(forms.Form):
    prices_include_tax = forms.BooleanField(label=_("Prices include tax"), required=False)
    tax_on_total = forms.BooleanField(
        label=_("Tax on the total, not per line"), required=False,
        help_text=_("One tax per rate, rounded once; otherwise each line's tax is rounded."),
    )  # fmt: skip


class SeriesForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=16)
    kind = forms.ChoiceField(label=_("For"), choices=Series.KINDS)
    format = forms.CharField(
        label=_("Format"), max_length=64,
        help_text=_("{series}, {yyyy}, {yy}, {mm}, {fy} (2026-27), {fyy} (26-27) and {n}, "
                    "such as {n:05}."),
    )  # fmt: skip
    period = forms.ChoiceField(label=_("Numbering starts again"), choices=Series.PERIODS)
    is_default = forms.BooleanField(label=_("Default series"), required=False)


class TaxRateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    percent = forms.CharField(label=_("Percent"), max_length=10)
    exempt = forms.BooleanField(
        label=_("Exempt"),
        required=False,
        help_text=_('Printed as "without tax" rather than as a zero rate.'),
    )
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
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
