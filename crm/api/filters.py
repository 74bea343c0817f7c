import django_filters
from django import forms

from crm.accounts.models import Membership, User
from crm.tenancy.context import current_tenant_id
from crm.web import params


def scoped(model):
    """A filter's choices, limited to the current workspace when the request is evaluated
    (never at import time); with no workspace, nothing."""

    def queryset(request):
        if current_tenant_id() is None:
            return getattr(model, "all_tenants", model._default_manager).none()
        return model.objects.all()

    return queryset


def members_of_workspace(request=None):

    if current_tenant_id() is None:
        return User.objects.none()
    return User.objects.filter(pk__in=Membership.objects.filter(is_active=True).values("user_id"))


class ScopedModelChoiceFilter(django_filters.ModelChoiceFilter):
    def __init__(self, model, **kwargs):
        super().__init__(queryset=scoped(model), **kwargs)


class IdField(forms.CharField):
    """A record id, read by crm.web.params (ASCII digits within a bigint)."""

    def to_python(self, value):
        try:
            return params.parse_id(super().to_python(value), "id")
        except params.InvalidParameter as exc:
            raise forms.ValidationError(exc.messages) from None


class IdFilter(django_filters.NumberFilter):
    """A FilterSet's id parameter: "²", "1e3" or a 20-digit number is a 400, not a query."""

    field_class = IdField


class TextField(forms.CharField):
    """Text of a filter: no NUL (Django's CharField refuses it) and a length limit."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", params.TEXT_MAX)
        super().__init__(*args, **kwargs)


class TextFilter(django_filters.CharFilter):
    field_class = TextField


class DayField(forms.CharField):
    """A day, read by crm.web.params (YYYY-MM-DD within its range)."""

    def to_python(self, value):
        try:
            return params.parse_date(super().to_python(value), "date")
        except params.InvalidParameter as exc:
            raise forms.ValidationError(exc.messages) from None


class DayFilter(django_filters.DateFilter):
    """A FilterSet's date: "9999-99-99" or the last day of year 9999 is a 400."""

    field_class = DayField
