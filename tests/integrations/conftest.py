import pytest

from crm.tenancy.context import tenant_scope
from integrations import services
from integrations.models import Channel
from tests.contacts.conftest import team  # noqa: F401  (managers who see their own)

from .stand_in import BOT_TOKEN, TelegramStandIn


@pytest.fixture
def telegram():
    stand_in = TelegramStandIn().start()
    yield stand_in
    stand_in.stop()


def connect_channel(owner, telegram, name="Support bot") -> Channel:
    with tenant_scope(owner.tenant_id, owner.user):
        return services.channel_create(
            actor=owner,
            kind="telegram",
            name=name,
            raw_settings={"bot_token": BOT_TOKEN, "api_base_url": telegram.url},
        )


@pytest.fixture
def channel(workspace, telegram):
    return connect_channel(workspace[1], telegram)
