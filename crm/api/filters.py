import django_filters

from crm.tenancy.context import current_tenant_id


def scoped(model):
    """A filter's choices, limited to the current workspace when the request is evaluated
    (never at import time); with no workspace, nothing."""

    def queryset(request):
        if current_tenant_id() is None:
            return getattr(model, "all_tenants", model._default_manager).none()
        return model.objects.all()

    return queryset


def members_of_workspace(request=None):
    from crm.accounts.models import Membership, User

    if current_tenant_id() is None:
        return User.objects.none()
    return User.objects.filter(pk__in=Membership.objects.filter(is_active=True).values("user_id"))


class ScopedModelChoiceFilter(django_filters.ModelChoiceFilter):
    def __init__(self, model, **kwargs):
        super().__init__(queryset=scoped(model), **kwargs)
