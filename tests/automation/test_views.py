"""The board's automation view: rules listed per stage, made and edited from the catalogue's
forms with the services' errors on the fields they name, switched off, reordered, deleted;
run history with retry; the dry run. Admins and roles granted "automation" only; another
workspace's funnel, rule or run is a 404; a member with "own" visibility tests only their
own deals."""

import pytest

from automation.models import Rule, Run, Step
from crm.tenancy.context import tenant_scope
from tests.conftest import add_member, login, make_workspace
from tests.pipelines.helpers import funnel, new_deal

from .helpers import call_task_on, new_rule, settle

pytestmark = pytest.mark.django_db


def _base(pipeline):
    return f"/deals/automation/{pipeline.pk}/"


def _call_form(stage, **extra):
    """The editor's fields for the contract's rule, as the browser posts them."""
    return {
        "name": "Call on Qualified",
        "trigger.type": "deal.stage_entered",
        "trigger.stage": str(stage.pk),
        "actions.0.type": "task.create",
        "actions.0.title": "Call the client",
        "actions.0.kind": "call",
        "actions.0.assignee": "owner",
        "actions.0.due_in_minutes": "60",
        "actions.0.if_still_in_stage_shown": "1",
        "actions.0.if_still_in_stage": "1",
        **extra,
    }


def test_the_board_links_to_the_view_and_it_lists_rules_per_stage(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    new_rule(owner, spec=call_task_on(stages["Qualified"]))
    login(client, owner)

    board = client.get("/deals/").content.decode()
    assert f'href="{_base(pipeline)}"' in board

    page = client.get(_base(pipeline))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Call on Qualified" in html and "Call the client" in html
    # Every stage is a column; the empty ones say so.
    assert html.count('data-testid="auto-column"') == len(stages)
    assert "Nothing happens when a deal gets here." in html


def test_a_rule_made_in_the_editor_is_the_contracts_rule(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    login(client, owner)
    form = client.get(
        f"{_base(pipeline)}rules/new/", {"template": "call", "stage": stages["Qualified"].pk}
    )
    html = form.content.decode()
    assert 'name="actions.0.title"' in html and "Call the client" in html

    saved = client.post(
        f"{_base(pipeline)}rules/save/", _call_form(stages["Qualified"]), HTTP_HX_REQUEST="true"
    )
    assert saved.status_code == 200 and saved["HX-Redirect"].startswith(_base(pipeline))
    with tenant_scope(tenant):
        rule = Rule.objects.get()
        assert rule.stage_id == stages["Qualified"].pk
        assert rule.version.spec["actions"] == [
            {
                "type": "task.create",
                "title": "Call the client",
                "kind": "call",
                "assignee": "owner",
                "due_in_minutes": 60,
                "user": None,
                "role": None,
                "notes": "",
                "if_still_in_stage": True,
            }
        ]

    deal = new_deal(owner, title="Fleet renewal")
    with tenant_scope(tenant, owner.user):
        from deals import services as deal_services

        deal_services.deal_move(actor=owner, deal=deal, stage=stages["Qualified"])
    settle(tenant)
    with tenant_scope(tenant):
        assert Run.objects.get().status == Run.DONE


def test_bad_input_is_named_on_its_field_and_nothing_typed_is_lost(
    workspace, client, other_workspace
):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    _, their_stages = funnel(other_workspace[0])
    login(client, owner)
    form = _call_form(
        stages["Qualified"],
        **{
            "name": "",
            "actions.0.title": "",
            "actions.0.due_in_minutes": "soon",
            "actions.0.delay.days": "2",
            "conditions.join": "any",
            "conditions.0.field": "amount",
            "conditions.0.op": "bigger",
            "conditions.0.value": "1000",
        },
    )
    answer = client.post(f"{_base(pipeline)}rules/save/", form, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Give the rule a name." in html
    assert html.count('class="field auto-field auto-text has-error"') >= 1  # the title
    assert 'id="r-actions-0-due_in_minutes"' in html and 'value="soon"' in html
    assert 'value="2"' in html and 'value="1000"' in html  # what was typed stays
    with tenant_scope(tenant):
        assert not Rule.objects.exists()

    # Another workspace's stage is refused by the same validation, on its field.
    other = client.post(
        f"{_base(pipeline)}rules/save/",
        _call_form(their_stages["Qualified"]),
        HTTP_HX_REQUEST="true",
    )
    assert "has-error" in other.content.decode()
    with tenant_scope(tenant):
        assert not Rule.objects.exists()


def test_the_editor_redraws_for_another_type_and_adds_rows(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    login(client, owner)
    url = f"{_base(pipeline)}rules/form/"
    form = _call_form(stages["Qualified"], **{"actions.0.type": "deal.add_tag"})
    html = client.post(url, form).content.decode()
    assert 'name="actions.0.tag"' in html and 'name="actions.0.title"' not in html
    html = client.post(url, {**form, "op": "add_action"}).content.decode()
    assert 'name="actions.1.type"' in html
    html = client.post(url, {**form, "op": "add_condition:conditions"}).content.decode()
    assert 'name="conditions.0.field"' in html and 'name="conditions.0.op"' in html


def test_switch_off_reorder_edit_and_delete(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    first = new_rule(owner, "First", spec=call_task_on(stages["Qualified"]))
    second = new_rule(owner, "Second", spec=call_task_on(stages["Qualified"]))
    login(client, owner)
    base = _base(pipeline)

    off = client.post(f"{base}rules/{first.pk}/toggle/", HTTP_HX_REQUEST="true")
    assert off.status_code == 200 and "off" in off.content.decode()
    client.post(f"{base}rules/{second.pk}/move/", {"direction": "up"}, HTTP_HX_REQUEST="true")
    with tenant_scope(tenant):
        assert list(Rule.objects.order_by("position").values_list("name", "is_active")) == [
            ("Second", True),
            ("First", False),
        ]

    edit = client.get(f"{base}rules/{first.pk}/").content.decode()
    assert 'value="First"' in edit and 'name="rule"' in edit
    client.post(
        f"{base}rules/save/",
        {**_call_form(stages["Qualified"]), "rule": first.pk, "name": "First, renamed"},
        HTTP_HX_REQUEST="true",
    )
    with tenant_scope(tenant):
        renamed = Rule.objects.get(pk=first.pk)
        assert renamed.name == "First, renamed" and renamed.version.number == 2

    client.post(f"{base}rules/{second.pk}/delete/", HTTP_HX_REQUEST="true")
    with tenant_scope(tenant):
        assert list(Rule.objects.values_list("pk", flat=True)) == [first.pk]


def test_run_history_shows_a_failed_step_and_retries_it(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    rule = new_rule(owner, spec=call_task_on(stages["Qualified"]))
    deal = new_deal(owner, title="Fleet renewal", stage=stages["Qualified"])
    settle(tenant)
    with tenant_scope(tenant):
        run = Run.objects.get(rule=rule)
        Run.objects.filter(pk=run.pk).update(status=Run.FAILED, error="The SMTP server said no")
        Step.objects.filter(run=run).update(status=Step.FAILED, error="The SMTP server said no")
    login(client, owner)
    history = client.get(f"{_base(pipeline)}rules/{rule.pk}/runs/").content.decode()
    assert "The SMTP server said no" in history and deal.title in history
    assert "Create a task" in history  # the step named by its action
    assert 'data-testid="run-retry"' in history
    retried = client.post(f"{_base(pipeline)}runs/{run.pk}/retry/", HTTP_HX_REQUEST="true")
    assert retried.status_code == 200
    with tenant_scope(tenant):
        assert Run.objects.get(pk=run.pk).status in (Run.PENDING, Run.DONE)


def test_the_dry_run_says_what_would_happen_and_does_nothing(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    new_rule(owner, spec=call_task_on(stages["Qualified"]))
    deal = new_deal(owner, title="Fleet renewal", stage=stages["Qualified"])
    settle(tenant)
    with tenant_scope(tenant):
        runs = Run.objects.count()
    login(client, owner)
    page = client.get(f"{_base(pipeline)}test/", {"deal": deal.pk}).content.decode()
    assert "Fleet renewal" in page and "would fire" in page and "Call the client" in page
    with tenant_scope(tenant):
        assert Run.objects.count() == runs


def test_members_without_the_right_get_403_and_see_no_link(workspace, client):
    tenant, _owner = workspace
    pipeline, _stages = funnel(tenant)
    manager = add_member(tenant, "manager")
    login(client, manager)
    assert _base(pipeline) not in client.get("/deals/").content.decode()
    assert client.get(_base(pipeline)).status_code == 403
    assert client.get(f"{_base(pipeline)}test/").status_code == 403

    with tenant_scope(tenant):
        role = manager.role
        role.grants = {**role.grants, "automation": {"actions": ["view"], "visibility": "all"}}
        role.save()
    assert _base(pipeline) in client.get("/deals/").content.decode()
    page = client.get(_base(pipeline)).content.decode()
    assert 'data-testid="add-rule"' not in page  # viewing only: no adding
    assert (
        client.post(f"{_base(pipeline)}rules/save/", _call_form(_stages["Qualified"])).status_code
        == 403
    )


def test_another_workspaces_funnel_rule_and_run_are_not_found(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    their_tenant, them = make_workspace("Theirs")
    their_pipeline, their_stages = funnel(their_tenant)
    rule = new_rule(them, spec=call_task_on(their_stages["Qualified"]))
    new_deal(them, title="Their deal", stage=their_stages["Qualified"])
    settle(their_tenant)
    with tenant_scope(their_tenant):
        run = Run.objects.get()
    login(client, owner)
    mine, theirs = _base(pipeline), _base(their_pipeline)
    for url in (
        theirs,
        f"{theirs}rules/new/",
        f"{theirs}test/",
        f"{mine}rules/{rule.pk}/",
        f"{mine}rules/{rule.pk}/runs/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"{theirs}rules/save/",
        f"{theirs}rules/form/",
        f"{mine}rules/{rule.pk}/toggle/",
        f"{mine}rules/{rule.pk}/move/",
        f"{mine}rules/{rule.pk}/delete/",
        f"{mine}runs/{run.pk}/retry/",
    ):
        assert client.post(url).status_code == 404, url
    # A rule's id posted into my editor's save is not theirs to edit.
    answer = client.post(f"{mine}rules/save/", {**_call_form(stages["Qualified"]), "rule": rule.pk})
    assert answer.status_code == 404
    with tenant_scope(their_tenant):
        assert Rule.objects.get(pk=rule.pk).is_active


def test_own_visibility_tests_only_own_deals(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    colleague, member = add_member(tenant, "manager"), add_member(tenant, "manager")
    with tenant_scope(tenant):
        role = member.role
        role.grants = {**role.grants, "automation": {"actions": ["view"], "visibility": "own"}}
        role.save()
    new_rule(owner, spec=call_task_on(stages["Qualified"]))
    hidden = new_deal(colleague, title="Colleague's secret", stage=stages["Qualified"])
    new_deal(member, title="Mine", stage=stages["Qualified"])
    settle(tenant)
    login(client, member)
    picker = client.get(f"{_base(pipeline)}test/").content.decode()
    assert "Mine" in picker and "secret" not in picker
    assert client.get(f"{_base(pipeline)}test/", {"deal": hidden.pk}).status_code == 404
    # The history names their deal by its id only; the member's own by its title.
    with tenant_scope(tenant):
        rule = Rule.objects.get()
    history = client.get(f"{_base(pipeline)}rules/{rule.pk}/runs/").content.decode()
    assert "Mine" in history and "secret" not in history and f"#{hidden.pk}" in history


def test_the_view_in_russian(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    new_rule(owner, spec=call_task_on(stages["Qualified"]))
    owner.user.language = "ru"
    owner.user.save(update_fields=["language"])
    login(client, owner)
    page = client.get(_base(pipeline))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Автоматизация" in html


def test_the_view_reads_in_a_fixed_number_of_queries(
    workspace, client, django_assert_max_num_queries
):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    for stage in stages.values():
        new_rule(owner, f"On {stage.name}", spec=call_task_on(stage))
    login(client, owner)
    client.get(_base(pipeline))
    with django_assert_max_num_queries(20):
        assert client.get(_base(pipeline)).status_code == 200


def test_history_dry_run_and_editor_in_a_fixed_number_of_queries(
    workspace, client, django_assert_max_num_queries
):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    rule = new_rule(owner, spec=call_task_on(stages["Qualified"]))
    other = new_rule(owner, "Other", spec=call_task_on(stages["Proposal"]))
    deals = [new_deal(owner, title=f"Deal {i}", stage=stages["Qualified"]) for i in range(6)]
    settle(tenant)
    login(client, owner)
    base = _base(pipeline)
    for url, params in [
        (f"{base}rules/{rule.pk}/runs/", {}),
        (f"{base}test/", {"deal": deals[0].pk}),
        (f"{base}rules/{rule.pk}/", {}),
    ]:
        client.get(url, params)
        with django_assert_max_num_queries(20):
            assert client.get(url, params).status_code == 200
    # One rule only: the test names it and says nothing of the others.
    page = client.get(f"{base}test/", {"deal": deals[0].pk, "rule": rule.pk}).content.decode()
    assert page.count('data-testid="dry-rule"') == 1 and other.name not in page
