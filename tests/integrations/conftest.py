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


@pytest.fixture
def imap():
    """A real IMAP server (pymap) on loopback, empty but for its mailbox user."""
    from .imap_server import IMAPServer

    server = IMAPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_server():
    """A real SMTP server (aiosmtpd) on loopback that keeps what the channel sends."""
    from tests.conftest import SMTPInbox

    inbox = SMTPInbox()
    inbox.port = inbox.start()
    yield inbox
    inbox.stop()


def connect_email(owner, imap, mail_server=None, name="Support mail", **extra) -> Channel:
    port = mail_server.port if mail_server is not None else 1
    with tenant_scope(owner.tenant_id, owner.user):
        settings = imap.settings(smtp_port=port, **extra)
        return services.channel_create(actor=owner, kind="email", name=name, raw_settings=settings)
