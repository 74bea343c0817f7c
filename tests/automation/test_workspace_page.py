"""The workspace rules page (/deals/automation/workspace/): rules on no funnel, grouped by the
records they act on, made and edited with the funnel view's editor, switched off, ordered,
deleted; admins and roles granted "automation" only; another workspace's rules are a 404;
a member with "own" visibility sees the names of their own records only in the history."""

import pytest

from automation.models import Rule
from contacts.models import Contact
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, login
from tests.contacts.conftest import new_contact
from tests.pipelines.helpers import funnel

from .helpers import call_task_on, new_rule, settle

pytestmark = pytest.mark.django_db

BASE = "/deals/automation/workspace/"


def _tag_form(**extra):
    """The editor's fields for "tag every new contact", as the browser posts them."""
    return {
        "name": "Tag new contacts",
        "trigger.type": "contact.created",
        "actions.0.type": "contact.add_tag",
        "actions.0.tag": "new",
        **extra,
    }


def _tag_rule(owner, name="Tag new contacts"):
    return new_rule(owner, name, {
        "trigger": {"type": "contact.created"},
        "actions": [{"type": "contact.add_tag", "tag": "new"}],
    })  # fmt: skip


def test_the_page_lists_rules_outside_funnels_and_is_linked(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    _tag_rule(owner)
    new_rule(owner, "Chase overdue", {
        "trigger": {"type": "task.overdue"},
        "actions": [{"type": "notify", "recipient": "department_head", "text": "Overdue"}],
    })  # fmt: skip
    new_rule(owner, "On a stage", call_task_on(stages["Qualified"]))
    login(client, owner)

    page = client.get(BASE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tag new contacts" in html and "Chase overdue" in html
    assert "On a stage" not in html  # a funnel's rule stays on its funnel's view
    assert html.count('data-testid="rule-group"') == 2  # contacts, tasks
    assert 'data-testid="add-rule"' in html
    # Linked from the funnel's view and from Settings; the funnel's view no longer lists
    # the rules on contacts and tasks.
    board = client.get(f"/deals/automation/{pipeline.pk}/").content.decode()
    assert f'href="{BASE}"' in board and "Tag new contacts" not in board
    assert f'href="{BASE}"' in client.get("/settings/webhooks/").content.decode()


def test_a_workspace_rule_is_made_edited_switched_off_and_deleted_in_the_browser(workspace, client):
    tenant, owner = workspace
    login(client, owner)
    form = client.get(f"{BASE}rules/new/", {"template": "new_contact"}).content.decode()
    assert 'name="actions.0.mode"' in form and "contact.assign" in form
    # Changing the trigger redraws the actions offered for its records.
    posted = {**_tag_form(), "trigger.type": "task.overdue", "actions.0.type": "task.assign"}
    redrawn = client.post(f"{BASE}rules/form/", posted).content.decode()
    assert 'value="task.assign"' in redrawn and 'value="contact.add_tag"' not in redrawn
    # A stage's template belongs to a funnel.
    assert client.get(f"{BASE}rules/new/", {"template": "call"}).status_code == 404

    saved = client.post(f"{BASE}rules/save/", _tag_form(), HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and saved["HX-Redirect"].startswith(BASE)
    with tenant_scope(tenant):
        rule = Rule.objects.get()
        assert (rule.pipeline_id, rule.stage_id, rule.trigger) == (None, None, "contact.created")
    contact = new_contact(owner, first_name="Ann")
    settle(tenant)
    with tenant_scope(tenant):
        assert Contact.objects.get(pk=contact.pk).tags == ["new"]

    edit = client.get(f"{BASE}rules/{rule.pk}/").content.decode()
    assert 'value="Tag new contacts"' in edit
    client.post(f"{BASE}rules/save/", {**_tag_form(), "rule": rule.pk, "actions.0.tag": "lead"},
                HTTP_HX_REQUEST="true")  # fmt: skip
    off = client.post(f"{BASE}rules/{rule.pk}/toggle/", HTTP_HX_REQUEST="true")
    assert off.status_code == 200 and "off" in off.content.decode()
    with tenant_scope(tenant):
        rule = Rule.objects.get(pk=rule.pk)
        assert not rule.is_active and rule.version.spec["actions"][0]["tag"] == "lead"
    history = client.get(f"{BASE}rules/{rule.pk}/runs/").content.decode()
    assert "Ann" in history and f"/contacts/{contact.pk}/" in history

    second = _tag_rule(owner, "Second")
    moved = client.post(f"{BASE}rules/{second.pk}/move/", {"direction": "up"},
                        HTTP_HX_REQUEST="true")  # fmt: skip
    assert moved.status_code == 200 and 'data-testid="workspace-rules"' in moved.content.decode()
    with tenant_scope(tenant):
        assert list(Rule.objects.order_by("position").values_list("name", flat=True)) == [
            "Second", "Tag new contacts",
        ]  # fmt: skip
    client.post(f"{BASE}rules/{second.pk}/delete/", HTTP_HX_REQUEST="true")
    with tenant_scope(tenant):
        assert list(Rule.objects.values_list("pk", flat=True)) == [rule.pk]


def test_members_without_the_right_get_403(workspace, client):
    tenant, owner = workspace
    rule = _tag_rule(owner)
    manager = add_member(tenant, "manager")
    login(client, manager)
    assert f'href="{BASE}"' not in client.get("/settings/profile/").content.decode()
    for url in (BASE, f"{BASE}rules/new/", f"{BASE}rules/{rule.pk}/",
                f"{BASE}rules/{rule.pk}/runs/"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    for url in (f"{BASE}rules/save/", f"{BASE}rules/{rule.pk}/toggle/",
                f"{BASE}rules/{rule.pk}/delete/"):  # fmt: skip
        assert client.post(url, _tag_form()).status_code == 403, url
    with tenant_scope(tenant):
        assert Rule.objects.get(pk=rule.pk).is_active and Rule.objects.count() == 1


def test_another_workspaces_rules_are_not_found(workspace, other_workspace, client):
    _tenant, owner = workspace
    _their_tenant, them = other_workspace
    theirs = _tag_rule(them, "Their rule")
    login(client, owner)
    assert "Their rule" not in client.get(BASE).content.decode()
    for url in (f"{BASE}rules/{theirs.pk}/", f"{BASE}rules/{theirs.pk}/runs/"):
        assert client.get(url).status_code == 404, url
    for url in (f"{BASE}rules/{theirs.pk}/toggle/", f"{BASE}rules/{theirs.pk}/move/",
                f"{BASE}rules/{theirs.pk}/delete/"):  # fmt: skip
        assert client.post(url).status_code == 404, url
    answer = client.post(f"{BASE}rules/save/", {**_tag_form(), "rule": theirs.pk})
    assert answer.status_code == 404
    with tenant_scope(_their_tenant):
        assert Rule.objects.get(pk=theirs.pk).is_active


def test_own_visibility_names_only_own_records_in_the_history(workspace, client):
    tenant, owner = workspace
    colleague, member = add_member(tenant, "manager"), add_member(tenant, "manager")
    with tenant_scope(tenant):
        role = member.role
        role.grants = {**role.grants, "automation": {"actions": ["view"], "visibility": "own"}}
        role.save()
    rule = _tag_rule(owner)
    hidden = new_contact(colleague, first_name="Secretive", last_name="Colleague-client")
    new_contact(member, first_name="Minnie")
    settle(tenant)
    login(client, member)
    page = client.get(BASE).content.decode()
    assert "Tag new contacts" in page and 'data-testid="add-rule"' not in page
    history = client.get(f"{BASE}rules/{rule.pk}/runs/").content.decode()
    assert "Minnie" in history and "Secretive" not in history
    assert f"contact #{hidden.pk}" in history
    # Viewing only: nothing changes.
    assert client.post(f"{BASE}rules/{rule.pk}/toggle/").status_code == 403


def test_the_page_reads_in_a_fixed_number_of_queries(
    workspace, client, django_assert_max_num_queries
):
    _tenant, owner = workspace
    for i in range(12):
        _tag_rule(owner, f"Rule {i}")
    new_rule(owner, "Overdue", {
        "trigger": {"type": "task.overdue"},
        "actions": [{"type": "notify", "recipient": "owner", "text": "Late"}],
    })  # fmt: skip
    login(client, owner)
    client.get(BASE)
    with django_assert_max_num_queries(12):
        assert client.get(BASE).status_code == 200
