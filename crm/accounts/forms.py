from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import Tenant

from . import permissions
from .models import Department, Membership, Role, User


class SignupForm(forms.Form):
    first_name = forms.CharField(label=_("Your name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Work email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    workspace_name = forms.CharField(
        label=_("Company name"),
        max_length=120,
        help_text=_("Your workspace. You can invite colleagues next."),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this email exists. Log in instead."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("password"):
            user = User(email=data.get("email", ""), first_name=data.get("first_name", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class AcceptInvitationForm(forms.Form):
    first_name = forms.CharField(label=_("Your name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Choose a password"), widget=forms.PasswordInput, strip=False
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password, User(email=self.email))
        return password


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "language", "time_zone"]


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "currency", "time_zone", "language"]


class NewWorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=120)


class ScopedModelChoiceField(forms.ModelChoiceField):
    """Choices built per request inside the workspace (never at import time)."""

    def __init__(self, model, **kwargs):
        super().__init__(
            queryset=getattr(model, "all_tenants", model._default_manager).none(), **kwargs
        )
        self.model = model

    def scope(self, queryset=None):
        self.queryset = queryset if queryset is not None else self.model.objects.all()


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = ScopedModelChoiceField(Role, label=_("Role"), empty_label=None)
    department = ScopedModelChoiceField(
        Department, label=_("Department"), required=False, empty_label=_("No department")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].scope()
        self.fields["department"].scope()


class MemberForm(forms.Form):
    role = ScopedModelChoiceField(Role, label=_("Role"))
    department = ScopedModelChoiceField(Department, label=_("Department"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].scope()
        self.fields["department"].scope()


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    head = ScopedModelChoiceField(User, label=_("Head"), required=False, empty_label=_("No head"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["head"].queryset = User.objects.filter(
            pk__in=Membership.objects.filter(is_active=True).values("user_id")
        ).order_by("first_name", "email")


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"), max_length=80, help_text=_("Where it is used, e.g. “Website form”.")
    )


class RoleForm(forms.Form):
    """A role's name, its workspace flag and its grants matrix (one field per cell)."""

    name = forms.CharField(label=_("Name"), max_length=80)
    can_manage_workspace = forms.BooleanField(label=_("Manages the workspace"), required=False)

    def __init__(self, *args, role: Role | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        grants = role.grants if role else {}
        if role and not self.is_bound:
            self.initial.update(name=role.name, can_manage_workspace=role.can_manage_workspace)
        for object_type in permissions.object_types():
            grant = grants.get(object_type, {})
            for action in permissions.ACTIONS:
                self.fields[f"{object_type}__{action}"] = forms.BooleanField(
                    required=False, initial=action in grant.get("actions", ())
                )
            self.fields[f"{object_type}__visibility"] = forms.ChoiceField(
                choices=list(permissions.VISIBILITIES.items()),
                initial=grant.get("visibility", permissions.OWN),
            )

    def rows(self):
        for object_type, label in permissions.object_types().items():
            yield {
                "label": label,
                "actions": [self[f"{object_type}__{a}"] for a in permissions.ACTIONS],
                "visibility": self[f"{object_type}__visibility"],
            }

    def grants(self) -> dict:
        """Without View nothing else can be done with a kind of record, so unticking View
        takes the whole row away (the other boxes do not bring it back)."""
        data = self.cleaned_data
        grants = {}
        for t in permissions.object_types():
            actions = [a for a in permissions.ACTIONS if data.get(f"{t}__{a}")]
            grants[t] = {
                "actions": actions if "view" in actions else [],
                "visibility": data[f"{t}__visibility"],
            }
        return grants
