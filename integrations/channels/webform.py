"""Web forms on the workspace's site (the form builder is webforms.py).

Each form has a channel of this kind: the channel's token is the form's public address
(`form_webhook`, public_views.py), which checks a submission, answers 400 with a message per
field or stores it as a raw delivery for the worker. Nothing is registered at a far end, so
connecting only marks the channel active; channels of this kind are made by the form
builder, not added on Settings → Channels (`addable = False`).

A delivery is what the endpoint checked: the answers with the form's fields as they were
when it was sent, the UTM tags, the referrer and the pages. `normalise` reads it into a
"form" entry; the client, the deal and `form.submitted` follow in webforms.after_store.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import Adapter, ChannelError, Inbound, Outgoing, register


class WebFormAdapter(Adapter):
    written_replies = False
    kind = "form"
    label = gettext_lazy("Web form")
    webhook = False
    addable = False

    def clean_settings(self, raw: dict) -> tuple[dict, dict]:
        return {}, {}

    def connect(self, channel, webhook_url: str) -> None:
        return None  # nothing to register: the site posts to our address

    def verify(self, channel, request) -> bool:
        return True  # a public form: the endpoint's own checks (public_views.py) stand guard

    def presented(self, request) -> bool:
        return True

    def delivery_id(self, payload: dict) -> str | None:
        found = payload.get("id") if isinstance(payload, dict) else None
        return f"form:{found}" if isinstance(found, str) and found else None

    def normalise(self, payload: dict) -> Inbound | None:
        if not isinstance(payload.get("fields"), list):
            raise ValueError("a form submission without fields")
        contact = payload.get("contact") or {}
        emails = tuple(str(e) for e in contact.get("emails") or ())
        phones = tuple(str(p) for p in contact.get("phones") or ())
        name = " ".join(
            str(contact.get(k) or "") for k in ("first_name", "last_name") if contact.get(k)
        )
        # One conversation per person and form: a second request threads into the first.
        if emails:
            chat_id = f"email:{emails[0]}"
        elif phones:
            chat_id = f"phone:{phones[0]}"
        else:
            chat_id = f"submission:{payload['id']}"
        try:
            sent_at = datetime.fromisoformat(payload["received_at"])
        except (KeyError, TypeError, ValueError):
            sent_at = datetime.now(tz=UTC)
        return Inbound(
            external_id=f"form:{payload['id']}",
            chat_id=chat_id[:100],
            text=summary(payload["fields"]),
            sent_at=sent_at,
            sender_name=(name or (emails[0] if emails else "") or (phones[0] if phones else ""))[
                :200
            ],
            emails=emails,
            phones=phones,
            kind="form",
            subject=str(payload.get("form_name") or "")[:300],
            meta={
                "form": payload.get("form"),
                "fields": payload["fields"],
                "utm": payload.get("utm") or {},
                "referrer": payload.get("referrer") or "",
                "landing_page": payload.get("landing_page") or "",
                "page": payload.get("page") or "",
                "visitor": payload.get("visitor") or "",
                # The thread lists the short answers beside the text when the text is the
                # client's own words (a long answer), not already the list of answers.
                "list_fields": any(
                    f.get("type") == "textarea" and f.get("value") for f in payload["fields"]
                ),
            },
        )

    def send(self, channel, outgoing: Outgoing) -> str:
        raise ChannelError(
            _("A web form cannot carry a reply: answer the client by email or phone.")
        )


def summary(fields: list) -> str:
    """The submission as text (the thread's entry, the events, the API): what the client
    wrote in the long answers, or else one line per answer."""
    long = [str(f.get("value")) for f in fields if f.get("type") == "textarea" and f.get("value")]
    if long:
        return "\n\n".join(long)[:10000]
    lines = [f"{f.get('label')}: {_shown(f)}" for f in fields if f.get("value") not in (None, "")]
    return "\n".join(lines)[:10000]


def _shown(field: dict) -> str:
    if field.get("type") == "checkbox":
        return "✓" if field.get("value") else "—"
    return str(field.get("value"))


register(WebFormAdapter())
