"""Forms of the deal pages. Every choice that names a record is limited to the workspace and
to what the member may see (built per request, never at import time); the values go to
deals.services as plain data, which validates them for the page and the API alike."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.models import Company, Contact
from contacts.selectors import companies_for, contacts_for
from crm.accounts.models import Membership
from crm.api.filters import members_of_workspace
from crm.tenancy.models import CURRENCIES
from pipelines.models import LostReason, Stage

from .models import Product

LABELS = {
    "title": _("Title"), "amount": _("Amount"), "currency": _("Currency"),
    "expected_close": _("Expected close"), "owner": _("Owner"), "company": _("Company"),
    "tags": _("Tags"), "source": _("Lead source"), "stage": _("Stage"),
    "contact": _("Contact"),
}  # fmt: skip
# The fields of the card's details, in order, each edited in place.
CARD_FIELDS = ["amount", "currency", "expected_close", "owner", "company", "tags", "source"]


class _Scoped(forms.ModelChoiceField):
    """Choices from a queryset given per request (the model's empty set until then)."""

    def __init__(self, model, **kwargs):
        super().__init__(queryset=model.all_tenants.none(), **kwargs)


def _owner_field(**kwargs) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=None, required=False, empty_label=_("Nobody"), label=LABELS["owner"], **kwargs
    )
    field.queryset = members_of_workspace().order_by("first_name", "email")
    return field


def _field(name: str, membership: Membership) -> forms.Field:
    if name == "title":
        return forms.CharField(max_length=200)
    if name == "amount":
        return forms.DecimalField(
            max_digits=14, decimal_places=2, min_value=0, required=False,
            widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        )  # fmt: skip
    if name == "currency":
        return forms.ChoiceField(choices=CURRENCIES)
    if name == "expected_close":
        return forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if name == "owner":
        return _owner_field()
    if name == "company":
        field = _Scoped(Company, required=False, empty_label=_("No company"))
        field.queryset = companies_for(membership).order_by("name")
        return field
    if name == "tags":
        return forms.CharField(
            required=False, max_length=500, help_text=_("Several? Separate them with commas.")
        )
    return forms.CharField(required=False, max_length=80)


def split_tags(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in (text or "").split(","):
        part = part.strip()[:50]
        if part:
            seen.setdefault(part, None)
    return list(seen)


class DealForm(forms.Form):
    """Any subset of a deal's fields: the whole new-deal form, or one field of the card."""

    def __init__(self, *args, membership: Membership, only=None, deal=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ["title", *CARD_FIELDS]:
            if only is None or name in only:
                self.fields[name] = _field(name, membership)
                self.fields[name].label = LABELS[name]
        if deal is not None and not self.is_bound:
            for name in self.fields:
                if name in ("owner", "company"):
                    self.initial[name] = getattr(deal, f"{name}_id")
                elif name == "tags":
                    self.initial[name] = ", ".join(deal.tags)
                else:
                    self.initial[name] = getattr(deal, name)

    def data_for_service(self) -> dict:
        data = {}
        for name, value in self.cleaned_data.items():
            if name == "tags":
                value = split_tags(value)
            elif name == "amount" and value is None:
                continue
            elif value is None and name not in ("owner", "company", "expected_close"):
                value = ""
            data[name] = value
        return data


class NewDealForm(DealForm):
    """The new-deal page: the card's fields plus where it starts and who it is with."""

    stage = _Scoped(Stage, label=LABELS["stage"], empty_label=None)
    contact = _Scoped(Contact, label=LABELS["contact"], required=False, empty_label=_("Nobody"))

    def __init__(self, *args, membership: Membership, pipeline=None, **kwargs):
        super().__init__(*args, membership=membership, **kwargs)
        stages = Stage.objects.filter(kind=Stage.OPEN, pipeline__is_archived=False)
        if pipeline is not None:
            stages = stages.filter(pipeline=pipeline)
        self.fields["stage"].queryset = stages.select_related("pipeline").order_by(
            "pipeline__position", "pipeline_id", "position", "id"
        )
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name} · {s.name}"
        self.fields["contact"].queryset = contacts_for(membership).order_by(
            "last_name", "first_name", "id"
        )
        self.order_fields(["title", "stage", "amount", "currency", "expected_close", "company",
                           "contact", "owner", "tags", "source"])  # fmt: skip

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        data["pipeline"] = data["stage"].pipeline
        contact = data.pop("contact", None)
        if contact is not None:
            data["contacts"] = [contact]
        return data


class QuickDealForm(forms.Form):
    """The few words typed into a column of the board."""

    title = forms.CharField(label=LABELS["title"], max_length=200)
    amount = forms.DecimalField(
        label=LABELS["amount"], max_digits=14, decimal_places=2, min_value=0, required=False
    )


class LineItemForm(forms.Form):
    product = _Scoped(Product, label=_("Product"), required=False, empty_label=_("Custom"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    quantity = forms.DecimalField(label=_("Qty"), max_digits=12, decimal_places=3, min_value=0)
    price = forms.DecimalField(
        label=_("Price"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    discount = forms.DecimalField(
        label=_("Disc. %"), max_digits=5, decimal_places=2, min_value=0, max_value=100,
        required=False,
    )  # fmt: skip
    tax_rate = forms.DecimalField(
        label=_("Tax %"), max_digits=5, decimal_places=2, min_value=0, max_value=100,
        required=False,
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(is_active=True)

    def clean(self):
        data = super().clean()
        product = data.get("product")
        if not data.get("name") and product is None:
            self.add_error("name", _("Name the item or pick a product."))
        if data.get("price") is None and product is None:
            self.add_error("price", _("Give a price or pick a product."))
        return data

    def data_for_service(self) -> dict:
        """Every field, so an edit clears what was emptied; blanks fall back to the
        product's name, price and tax rate, or to nothing."""
        data = dict(self.cleaned_data)
        product = data.get("product")
        if not data.get("name") and product is not None:
            data["name"] = product.name
        if data.get("price") is None and product is not None:
            data["price"] = product.price
        if data.get("tax_rate") is None:
            data["tax_rate"] = product.tax_rate if product is not None else Decimal(0)
        if data.get("discount") is None:
            data["discount"] = Decimal(0)
        return data


class DealContactForm(forms.Form):
    contact = _Scoped(Contact, label=LABELS["contact"], empty_label=_("Choose a contact"))
    role = forms.CharField(
        label=_("Role in the deal"), max_length=80, required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. decision maker")}),
    )  # fmt: skip

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts_for(membership).order_by(
            "last_name", "first_name", "id"
        )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class LostForm(forms.Form):
    reason = _Scoped(LostReason, label=_("Why was it lost?"), required=False,
                     empty_label=_("Another reason"))  # fmt: skip
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What happened?")}),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = LostReason.objects.all()

    def clean(self):
        data = super().clean()
        if data.get("reason") is None and not data.get("note"):
            raise forms.ValidationError(_("Pick a reason or say what happened."))
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
