"""In the rule editor, the channel of a message or an email is a select of the workspace's
channels (those the action can use), and an email's template a select of the shared
canned responses; another workspace's and a member's personal ones are not offered."""

import pytest

from crm.tenancy.context import tenant_scope
from integrations import canned
from tests.conftest import login
from tests.integrations.conftest import connect_channel, connect_email
from tests.integrations.stand_in import TelegramStandIn
from tests.pipelines.helpers import funnel

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram():
    stand_in = TelegramStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def imap():
    from tests.integrations.imap_server import IMAPServer

    server = IMAPServer().start()
    yield server
    server.stop()


def _select(html: str, name: str) -> str:
    return html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]


def _form(stage, action: str) -> dict:
    return {"name": "Greet", "trigger.type": "deal.stage_entered",
            "trigger.stage": str(stage.pk), "actions.0.type": action}  # fmt: skip


def test_channels_and_templates_are_chosen_from_the_workspaces_own(
    workspace, other_workspace, client, telegram, imap
):
    (tenant, owner), (_, their_owner) = workspace, other_workspace
    pipeline, stages = funnel(tenant)
    bot = connect_channel(owner, telegram, name="Our bot")
    mail = connect_email(owner, imap, name="Our mailbox")
    connect_channel(their_owner, telegram, name="Their bot")
    with tenant_scope(tenant, owner.user):
        offer = canned.canned_create(actor=owner, title="Offer", text="Hi", shared=True)
        canned.canned_create(actor=owner, title="My own", text="Hi", shared=False)
    with tenant_scope(their_owner.tenant_id, their_owner.user):
        canned.canned_create(actor=their_owner, title="Their offer", text="Hi", shared=True)
    login(client, owner)
    url = f"/deals/automation/{pipeline.pk}/rules/form/"

    html = client.post(url, _form(stages["Qualified"], "message.send")).content.decode()
    channels = _select(html, "actions.0.channel")
    assert f'value="{bot.pk}"' in channels and "Our bot" in channels
    assert f'value="{mail.pk}"' in channels  # email takes written replies too
    assert "Their bot" not in channels
    assert "The client&#x27;s latest conversation" in channels

    html = client.post(url, _form(stages["Qualified"], "email.send")).content.decode()
    channels, templates = _select(html, "actions.0.channel"), _select(html, "actions.0.template")
    assert f'value="{mail.pk}"' in channels and f'value="{bot.pk}"' not in channels
    assert f'value="{offer.pk}"' in templates and "Offer" in templates
    assert "My own" not in templates and "Their offer" not in templates

    # Saved from the selects, and the save leaves nothing to fix.
    form = {**_form(stages["Qualified"], "email.send"), "actions.0.channel": str(mail.pk),
            "actions.0.template": str(offer.pk), "actions.0.subject": ""}  # fmt: skip
    saved = client.post(f"/deals/automation/{pipeline.pk}/rules/save/", form,
                        HTTP_HX_REQUEST="true")  # fmt: skip
    assert "HX-Redirect" in saved
    # Not choosing is named on the field.
    form = {**form, "actions.0.template": ""}
    html = client.post(f"/deals/automation/{pipeline.pk}/rules/save/", form,
                       HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    field = html.split('id="r-actions-0-template"')[0].rsplit('<div class="field', 1)[1]
    assert "has-error" in field


def test_a_triggers_channel_is_chosen_from_the_workspaces_own(
    workspace, other_workspace, client, telegram
):
    (tenant, owner), (_, their_owner) = workspace, other_workspace
    pipeline, _stages = funnel(tenant)
    bot = connect_channel(owner, telegram, name="Our bot")
    theirs = connect_channel(their_owner, telegram, name="Their bot")
    login(client, owner)
    url = f"/deals/automation/{pipeline.pk}/rules/form/"
    form = {"name": "Answer", "trigger.type": "message.received", "actions.0.type": "notify"}
    html = client.post(url, form).content.decode()
    channels = _select(html, "trigger.channel")
    assert f'value="{bot.pk}"' in channels and "Our bot" in channels
    assert f'value="{theirs.pk}"' not in channels and "Their bot" not in channels
