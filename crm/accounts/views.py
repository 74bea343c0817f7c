"""Pages: sign-up, invitations, profile, workspace switching and the settings area."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.activity.selectors import audit_trail
from crm.tenancy.middleware import SESSION_KEY
from crm.web.decorators import manager_required, member_required
from crm.web.forms import errors_to_form
from crm.web.params import clean_text, parse_page

from . import forms, permissions, selectors, services
from .models import Department, Invitation, Role, User

BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- sign-up, invitations, workspaces ---------------------------------------------------


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, tenant = services.user_signup(**form.cleaned_data, language=request.LANGUAGE_CODE)
        login(request, user, backend=BACKEND)
        request.session[SESSION_KEY] = tenant.pk
        messages.success(
            request, _("Welcome! Your workspace %(name)s is ready.") % {"name": tenant.name}
        )
        return redirect("members")
    return render(request, "accounts/signup.html", {"form": form})


def invitation_accept(request, token):
    """Join a workspace from an emailed link: as the logged-in user, or as a new account."""
    invitation = services.invitation_from_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    has_account = user is None and User.objects.filter(email__iexact=invitation.email).exists()
    form = None
    if user is None and not has_account:
        form = forms.AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and (user or (form and form.is_valid())):
        try:
            membership = services.invitation_accept(
                invitation=invitation, user=user, **(form.cleaned_data if form else {})
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if user is None:
                login(request, membership.user, backend=BACKEND)
            request.session[SESSION_KEY] = invitation.tenant_id
            messages.success(request, _("You joined %(name)s.") % {"name": invitation.tenant.name})
            return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "has_account": has_account,
            "wrong_user": user is not None and user.email.lower() != invitation.email.lower(),
        },
    )


@require_POST
@member_required
def workspace_switch(request):
    wanted = request.POST.get("tenant")
    for membership in request.memberships:
        if str(membership.tenant_id) == wanted:
            # A new session key with the new workspace, as on login: a key seen before the
            # switch (a shared screen, a log) opens nothing in the workspace switched to.
            request.session.cycle_key()
            request.session[SESSION_KEY] = membership.tenant_id
            services.workspace_used(user=request.user, tenant_id=membership.tenant_id)
            messages.info(request, _("Switched to %(name)s.") % {"name": membership.tenant.name})
            break
    else:
        messages.error(request, _("You are not a member of that workspace."))
    return redirect("home")


def workspace_new(request):
    if not request.user.is_authenticated:
        return redirect("login")
    form = forms.NewWorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tenant = services.tenant_create(owner=request.user, name=form.cleaned_data["name"])
        request.session.cycle_key()  # a new workspace is entered as a switch is (above)
        request.session[SESSION_KEY] = tenant.pk
        services.workspace_used(user=request.user, tenant_id=tenant.pk)
        messages.success(request, _("Workspace %(name)s created.") % {"name": tenant.name})
        return redirect("home")
    return render(request, "accounts/workspace_new.html", {"form": form})


# --- settings ---------------------------------------------------------------------------


@member_required
def profile(request):
    form = forms.ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.profile_update(user=request.user, **form.cleaned_data)
        if user.language:  # say it in the language just chosen
            translation.activate(user.language)
        messages.success(request, _("Profile saved."))
        return redirect("profile")
    return render(request, "settings/profile.html", {"form": form})


@manager_required
def workspace(request):
    tenant = request.tenant
    form = forms.WorkspaceForm(request.POST or None, instance=tenant)
    if request.method == "POST" and form.is_valid():
        services.workspace_update(actor=request.membership, tenant=tenant, **form.cleaned_data)
        messages.success(request, _("Workspace settings saved."))
        return redirect("workspace")
    return render(request, "settings/workspace.html", {"form": form})


@member_required
def members(request):
    manages = request.membership.role.can_manage_workspace
    invite_form = forms.InviteForm(request.POST or None) if manages else None
    if request.method == "POST":
        if not manages:
            return redirect("members")
        if invite_form.is_valid():
            try:
                invitation = services.invitation_create(
                    actor=request.membership, **invite_form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(invite_form, exc)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": invitation.email},
                )
                return redirect("members")
    query = clean_text(request.GET.get("q"), "q", max_length=200)
    rows = selectors.members(search=query)
    page = Paginator(rows, 50).get_page(parse_page(request.GET.get("page")))
    context = {
        "page": page,
        "query": query,
        "invite_form": invite_form,
        "invitations": selectors.pending_invitations() if manages else [],
        "roles": selectors.roles() if manages else [],
        "departments": selectors.departments() if manages else [],
        "manages": manages,
    }
    return render(request, "settings/members.html", context)


@require_POST
@manager_required
def member_edit(request, pk):
    membership = get_object_or_404(selectors.members(), pk=pk)
    action = request.POST.get("action", "update")
    try:
        if action == "deactivate":
            services.member_deactivate(actor=request.membership, membership=membership)
            messages.success(
                request, _("%(name)s no longer has access.") % {"name": membership.user}
            )
        elif action == "reactivate":
            services.member_reactivate(actor=request.membership, membership=membership)
            messages.success(request, _("%(name)s has access again.") % {"name": membership.user})
        else:
            form = forms.MemberForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose a role."))
            services.member_update(
                actor=request.membership,
                membership=membership,
                role=form.cleaned_data["role"],
                department=form.cleaned_data["department"],
            )
            messages.success(
                request, _("Saved the access of %(name)s.") % {"name": membership.user}
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        membership = get_object_or_404(selectors.members(), pk=pk)
        return render(
            request,
            "settings/_member_row.html",
            {
                "m": membership,
                "manages": True,
                "roles": selectors.roles(),
                "departments": selectors.departments(),
            },
        )
    return redirect("members")


@require_POST
@manager_required
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation.objects.all(), pk=pk)
    services.invitation_revoke(actor=request.membership, invitation=invitation)
    messages.success(request, _("Invitation to %(email)s revoked.") % {"email": invitation.email})
    return redirect("members")


@manager_required
def roles(request):
    return render(
        request,
        "settings/roles.html",
        {
            "rows": selectors.roles(with_member_count=True),
            "object_types": permissions.object_types(),
        },
    )


@manager_required
def role_edit(request, pk=None):
    role = get_object_or_404(Role.objects.all(), pk=pk) if pk else None
    form = forms.RoleForm(request.POST or None, role=role)
    if request.method == "POST":
        if request.POST.get("action") == "delete" and role:
            try:
                services.role_delete(actor=request.membership, role=role)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("role_edit", pk=role.pk)
            messages.success(request, _("Role %(name)s deleted.") % {"name": role.name})
            return redirect("roles")
        if form.is_valid():
            try:
                role = services.role_save(
                    actor=request.membership,
                    role=role,
                    name=form.cleaned_data["name"],
                    can_manage_workspace=form.cleaned_data["can_manage_workspace"],
                    grants=form.grants(),
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("Role %(name)s saved.") % {"name": role.name})
                return redirect("roles")
    return render(
        request,
        "settings/role_edit.html",
        {
            "form": form,
            "role": role,
            "actions": permissions.ACTIONS,
        },
    )


@manager_required
def departments(request):
    form = forms.DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_save(actor=request.membership, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Department created."))
            return redirect("departments")
    rows = selectors.departments(with_member_count=True)
    return render(request, "settings/departments.html", {"rows": rows, "form": form})


@manager_required
def department_edit(request, pk):
    department = get_object_or_404(Department.objects.all(), pk=pk)
    form = forms.DepartmentForm(
        request.POST or None, initial={"name": department.name, "head": department.head_id}
    )
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            services.department_delete(actor=request.membership, department=department)
            messages.success(request, _("Department %(name)s deleted.") % {"name": department.name})
            return redirect("departments")
        if form.is_valid():
            try:
                services.department_save(
                    actor=request.membership, department=department, **form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, _("Department saved."))
                return redirect("departments")
    return render(
        request, "settings/department_edit.html", {"form": form, "department": department}
    )


@member_required
def api_keys(request):
    form = forms.ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = services.api_key_create(
            actor=request.membership, name=form.cleaned_data["name"]
        )
        form = forms.ApiKeyForm()
    keys = selectors.api_keys_visible_to(request.membership)
    return render(
        request, "settings/api_keys.html", {"form": form, "keys": keys, "new_key": new_key}
    )


@require_POST
@member_required
def api_key_revoke(request, pk):
    key = get_object_or_404(selectors.api_keys_visible_to(request.membership), pk=pk)
    services.api_key_revoke(actor=request.membership, key=key)
    messages.success(request, _("Key %(name)s revoked.") % {"name": key.name})
    return redirect("api_keys")


@manager_required
def audit(request):
    page = Paginator(audit_trail(), 50).get_page(parse_page(request.GET.get("page")))
    return render(request, "settings/audit.html", {"page": page})
