"""The spec's errors come from pydantic in English; each of its error types is said again
through gettext, with its bounds, so a Russian admin reads Russian in the API and the
editor, each message on the field it names."""

import pytest
from django.utils import translation

from automation import spec as specs
from automation.models import Rule
from crm.tenancy.context import tenant_scope
from tests.conftest import api_client, login
from tests.pipelines.helpers import funnel

pytestmark = pytest.mark.django_db


def _bad_rule(stage) -> dict:
    return {
        "name": "Call",
        "trigger": {"type": "deal.stage_entered", "stage": stage.pk},
        "actions": [
            {"type": "task.create", "title": "", "kind": "visit", "due_in_minutes": "soon",
             "colour": "red"},
            {"type": "notify", "recipient": "owner"},
            {"type": "task.create", "title": "Call", "due_in_minutes": -5},
        ],
    }  # fmt: skip


def _errors(stage, language: str) -> dict:
    with translation.override(language), pytest.raises(specs.SpecInvalid) as caught:
        specs.validate({k: v for k, v in _bad_rule(stage).items() if k != "name"})
    return caught.value.errors


def test_each_pydantic_error_is_a_translated_sentence_on_its_field(workspace):
    tenant, _owner = workspace
    _, stages = funnel(tenant)
    with tenant_scope(tenant):
        english = _errors(stages["Qualified"], "en")
        russian = _errors(stages["Qualified"], "ru")
    assert english == {
        "actions.0.title": ["Write at least 1 characters."],
        "actions.0.kind": ["Choose one of: 'call', 'meeting' or 'task'."],
        "actions.0.due_in_minutes": ["Give a whole number."],
        "actions.0.colour": ["This parameter is not known here."],
        "actions.1.text": ["This field is required."],
        "actions.2.due_in_minutes": ["Must be at least 0."],
    }
    assert set(russian) == set(english)
    assert russian["actions.0.due_in_minutes"] == ["Укажите целое число."]
    assert russian["actions.2.due_in_minutes"] == ["Должно быть не меньше 0."]
    assert russian["actions.0.kind"] == ["Выберите одно из: 'call', 'meeting' or 'task'."]
    assert russian["actions.1.text"] == ["Обязательное поле."]


def test_a_russian_admin_reads_russian_errors_in_the_api_and_the_editor(workspace, client):
    tenant, owner = workspace
    pipeline, stages = funnel(tenant)
    owner.user.language = "ru"
    owner.user.save(update_fields=["language"])
    response = api_client(owner).post(
        "/api/v1/automation/rules/", _bad_rule(stages["Qualified"]), format="json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["actions.0.due_in_minutes"] == ["Укажите целое число."]
    assert fields["actions.0.colour"] == ["Этот параметр здесь неизвестен."]
    login(client, owner)
    form = {"name": "Call", "trigger.type": "deal.stage_entered",
            "trigger.stage": str(stages["Qualified"].pk), "actions.0.type": "task.create",
            "actions.0.title": "Call", "actions.0.due_in_minutes": "-5"}  # fmt: skip
    html = client.post(f"/deals/automation/{pipeline.pk}/rules/save/", form,
                       HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "Должно быть не меньше 0." in html
    with tenant_scope(tenant):
        assert not Rule.objects.exists()
