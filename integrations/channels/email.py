"""Email, both ways: IMAP in (polled, integrations/mailpoll.py), SMTP out.

No webhook: the far end is polled every minute (beat, `integrations.poll_mail`). A fetched
mail is stored as a raw delivery (its payload the mail itself, base64) under its Message-ID,
then ingested like any webhook's delivery, so a mail that cannot be read is a failed
delivery on the channel's page, retryable, and a mail fetched twice is stored once.

Threading: a reply's In-Reply-To and References name Message-IDs the channel has stored
(ours for what we sent, the client's for what they sent), and the message joins that
message's conversation (`thread`, registered with ingest); otherwise it opens one keyed on
the thread's root Message-ID. What we send carries a Message-ID of our own domain, In-Reply-To
and References from the conversation, and "Re: <subject>", so the client's reply comes back
into the same conversation.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import ingest, mailparse
from . import Adapter, ChannelError, Inbound, Outgoing, register

SECURITY = [
    ("ssl", gettext_lazy("SSL/TLS")),
    ("starttls", gettext_lazy("STARTTLS")),
    ("none", gettext_lazy("None (only on a trusted network)")),
]
SECURITY_KEYS = {key for key, _label in SECURITY}


def _timeout() -> float:
    return settings.INTEGRATIONS_HTTP_TIMEOUT


def raw_of(payload: dict) -> bytes:
    try:
        return base64.b64decode(payload["raw"], validate=True)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the delivery carries no readable email ({type(exc).__name__})") from None


def payload_of(raw: bytes, *, folder: str = "", uid: int = 0, uidvalidity: int = 0) -> dict:
    """A fetched mail as a raw delivery's payload."""
    return {
        "key": mailparse.headers_key(raw),
        "folder": folder,
        "uid": uid,
        "uidvalidity": uidvalidity,
        "raw": base64.b64encode(raw).decode("ascii"),
    }


def imap_login(channel):
    """A logged-in IMAPClient for the channel; ChannelError (without the password) if not."""
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError

    s = channel.settings
    security = s.get("imap_security", "ssl")
    try:
        client = IMAPClient(
            s["imap_host"],
            port=int(s["imap_port"]),
            ssl=security == "ssl",
            ssl_context=ssl.create_default_context() if security != "none" else None,
            timeout=_timeout(),
            use_uid=True,
        )
        if security == "starttls":
            client.starttls(ssl.create_default_context())
        client.login(s["imap_user"], channel.secrets.get("imap_password", ""))
    except (IMAPClientError, imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
        raise ChannelError(
            _("The IMAP server %(host)s refused or could not be reached: %(error)s")
            % {"host": s.get("imap_host"), "error": _reason(exc)}
        ) from None
    return client


def smtp_login(channel) -> smtplib.SMTP:
    s = channel.settings
    security = s.get("smtp_security", "starttls")
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(
                s["smtp_host"], int(s["smtp_port"]), timeout=_timeout(),
                context=ssl.create_default_context(),
            )  # fmt: skip
        else:
            server = smtplib.SMTP(s["smtp_host"], int(s["smtp_port"]), timeout=_timeout())
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
        user = s.get("smtp_user") or s.get("imap_user")
        password = channel.secrets.get("smtp_password") or channel.secrets.get("imap_password")
        if user and password and server.has_extn("auth"):
            server.login(user, password)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise ChannelError(
            _("The SMTP server %(host)s refused or could not be reached: %(error)s")
            % {"host": s.get("smtp_host"), "error": _reason(exc)}
        ) from None
    return server


def _reason(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}"
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


class Email(Adapter):
    kind = "email"
    label = "Email"
    webhook = False
    secret_fields = ("imap_password", "smtp_password")
    public_fields = (
        "imap_host", "imap_port", "imap_security", "imap_user", "folders",
        "smtp_host", "smtp_port", "smtp_security", "smtp_user", "from_address", "from_name",
    )  # fmt: skip

    def form_fields(self) -> dict:
        password = forms.PasswordInput(render_value=False)
        return {
            "from_address": forms.EmailField(label=_("Address clients write to")),
            "from_name": forms.CharField(label=_("Name on replies"), required=False,
                                         max_length=120),
            "imap_host": forms.CharField(label=_("IMAP server"), max_length=200),
            "imap_port": forms.IntegerField(label=_("IMAP port"), initial=993, min_value=1,
                                            max_value=65535),
            "imap_security": forms.ChoiceField(label=_("IMAP security"), choices=SECURITY),
            "imap_user": forms.CharField(label=_("IMAP login"), max_length=200),
            "imap_password": forms.CharField(
                label=_("IMAP password"), max_length=200, widget=password,
                help_text=_("Stored encrypted, never shown back."),
            ),
            "folders": forms.CharField(
                label=_("Folders"), required=False, max_length=500, initial="INBOX",
                help_text=_("Comma-separated; INBOX if empty."),
            ),
            "smtp_host": forms.CharField(label=_("SMTP server"), max_length=200),
            "smtp_port": forms.IntegerField(label=_("SMTP port"), initial=587, min_value=1,
                                            max_value=65535),
            "smtp_security": forms.ChoiceField(
                label=_("SMTP security"), choices=[SECURITY[1], SECURITY[0], SECURITY[2]]
            ),
            "smtp_user": forms.CharField(label=_("SMTP login"), required=False, max_length=200,
                                         help_text=_("The IMAP login if empty.")),
            "smtp_password": forms.CharField(
                label=_("SMTP password"), required=False, max_length=200, widget=password,
                help_text=_("The IMAP password if empty."),
            ),
        }  # fmt: skip

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        def text(key, default=""):
            return str(raw.get(key) or default).strip()

        def port(key, default):
            try:
                value = int(raw.get(key) or default)
            except (TypeError, ValueError):
                value = 0
            if not 0 < value < 65536:
                raise ValueError(_("A port is a number from 1 to 65535."))
            return value

        address = text("from_address").lower()
        try:
            validate_email(address)
        except forms.ValidationError:
            raise ValueError(_("Enter the email address clients write to.")) from None
        public = {
            "imap_host": text("imap_host"),
            "imap_port": port("imap_port", 993),
            "imap_security": text("imap_security", "ssl"),
            "imap_user": text("imap_user") or address,
            "folders": ", ".join(folders(text("folders", "INBOX"))),
            "smtp_host": text("smtp_host") or text("imap_host"),
            "smtp_port": port("smtp_port", 587),
            "smtp_security": text("smtp_security", "starttls"),
            "smtp_user": text("smtp_user"),
            "from_address": address,
            "from_name": text("from_name")[:120],
        }
        if not public["imap_host"] or any(c.isspace() for c in public["imap_host"]):
            raise ValueError(_("Enter the IMAP server's host name."))
        if any(c.isspace() for c in public["smtp_host"]):
            raise ValueError(_("Enter the SMTP server's host name."))
        if {public["imap_security"], public["smtp_security"]} - SECURITY_KEYS:
            raise ValueError(_("Choose SSL/TLS, STARTTLS or none."))
        password = str(raw.get("imap_password") or "")
        if not password:
            raise ValueError(_("Enter the mailbox password."))
        secrets = {"imap_password": password}
        if raw.get("smtp_password"):
            secrets["smtp_password"] = str(raw["smtp_password"])
        return public, secrets

    def connect(self, channel, webhook_url: str) -> None:
        """Log in to both servers and open every folder: a wrong password or folder shows
        on the channel at once, not at the first poll."""
        client = imap_login(channel)
        try:
            for folder in folders(channel.settings.get("folders", "INBOX")):
                try:
                    client.select_folder(folder, readonly=True)
                except Exception as exc:
                    raise ChannelError(
                        _("The IMAP folder %(folder)s cannot be opened: %(error)s")
                        % {"folder": folder, "error": _reason(exc)}
                    ) from None
        finally:
            _logout(client)
        server = smtp_login(channel)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            server.quit()

    def verify(self, channel, request) -> bool:
        return False  # no webhook: nothing is ever posted to an email channel

    def presented(self, request) -> bool:
        return False

    def delivery_id(self, payload) -> str | None:
        key = payload.get("key") if isinstance(payload, dict) else None
        return str(key)[: mailparse.MAX_KEY] if key else None

    def normalise(self, payload: dict) -> Inbound | None:
        return mailparse.inbound(raw_of(payload), key=self.delivery_id(payload) or "")

    def reply_subject(self, conversation) -> str:
        latest = (
            conversation.messages.exclude(subject="")
            .order_by("-created_at", "-id")
            .values_list("subject", flat=True)
            .first()
        )
        return reply_subject(latest or "")

    def send(self, channel, outgoing: Outgoing) -> str:
        conversation = outgoing.conversation
        recipient, parent, references = _thread_of(conversation)
        recipient = outgoing.to or recipient
        if not recipient:
            raise ChannelError(_("This conversation has no client address to write to."))
        s = channel.settings
        domain = s["from_address"].rpartition("@")[2] or "localhost"
        message_id = make_msgid(domain=domain)
        mail = EmailMessage()
        mail["From"] = formataddr((s.get("from_name") or "", s["from_address"]))
        mail["To"] = recipient
        mail["Subject"] = outgoing.subject or self.reply_subject(conversation)
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id
        if parent:
            mail["In-Reply-To"] = f"<{parent}>"
        if references:
            mail["References"] = " ".join(f"<{r}>" for r in references)
        if getattr(outgoing, "auto", False):
            mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: no answer to an answer
            mail["X-Auto-Response-Suppress"] = "All"
        mail.set_content(outgoing.text or "")
        for file in outgoing.files:
            maintype, _slash, subtype = (file.content_type or "").partition("/")
            if not subtype:
                maintype, subtype = "application", "octet-stream"
            mail.add_attachment(file.data, maintype=maintype, subtype=subtype,
                                filename=file.name)  # fmt: skip
        server = smtp_login(channel)
        try:
            server.send_message(mail, from_addr=s["from_address"], to_addrs=[recipient])
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(
                _("The SMTP server refused the email: %(error)s") % {"error": _reason(exc)}
            ) from None
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                server.quit()
        return mailparse.key_for(message_id)


def folders(value: str) -> list[str]:
    found = [f.strip() for f in str(value or "").split(",") if f.strip()]
    return list(dict.fromkeys(found)) or ["INBOX"]


def reply_subject(subject: str) -> str:
    subject = subject.strip()
    if subject[:3].lower() in ("re:", "ре:") or subject[:4].lower() == "aw: ":
        return subject
    return f"Re: {subject}" if subject else "Re:"


def _logout(client) -> None:
    with contextlib.suppress(Exception):  # a connection already gone is logged out
        client.logout()


def _thread_of(conversation) -> tuple[str, str, list[str]]:
    """(the client's address, the Message-ID answered, the References) of a conversation:
    the latest incoming email's Reply-To or From, and the Message-IDs of its messages in
    order (ours are their external ids), the root first."""
    if conversation is None:
        return "", "", []
    rows = list(
        conversation.messages.filter(kind="email")
        .exclude(direction="note")
        .order_by("id")  # as they came and went: a client's clock may be off
        .values_list("direction", "external_id", "meta")
    )
    recipient = parent = ""
    ids = []
    for direction, external_id, meta in rows:
        if external_id and not external_id.startswith("h:"):
            ids.append(external_id)
        if direction == "in":
            recipient = meta.get("reply_to") or meta.get("from") or recipient
            parent = external_id if not external_id.startswith("h:") else parent
    references = list(dict.fromkeys(ids))
    if len(references) > mailparse.MAX_REFERENCES:  # the root, then the latest ones
        references = [references[0], *references[-(mailparse.MAX_REFERENCES - 1) :]]
    return recipient, parent or (references[-1] if references else ""), references


@ingest.threader("email")
def thread(channel, inbound: Inbound) -> str:
    """The conversation an email joins: the one holding a message it answers (In-Reply-To,
    then References, latest first), else its thread's root Message-ID (a new one, or the
    one an earlier mail of the same thread opened)."""
    return thread_many(channel, [inbound])[0]


def thread_many(channel, inbounds: list[Inbound]) -> list[str]:
    """`thread` for a batch of emails in order, with one query: a mail answering one
    earlier in the batch joins that one's conversation, as if it were stored already."""
    from ..models import Message

    named = []
    for inbound in inbounds:
        keys = [*inbound.meta.get("in_reply_to", ()), *reversed(inbound.meta.get("references", ()))]
        named.append([k for k in dict.fromkeys(keys) if k and k != inbound.external_id])
    wanted = {k for keys in named for k in keys}
    found = {}
    if wanted:
        found = dict(
            Message.objects.filter(channel=channel, external_id__in=wanted).values_list(
                "external_id", "conversation__external_chat_id"
            )
        )
    chats = []
    for inbound, keys in zip(inbounds, named, strict=True):
        chat = next((found[k] for k in keys if found.get(k)), inbound.chat_id[:100])
        found.setdefault(inbound.external_id, chat)
        chats.append(chat)
    return chats


thread.many = thread_many


register(Email())
