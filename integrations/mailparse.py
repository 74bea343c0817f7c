"""Emails read into `Inbound` messages, with the standard library's parser.

What comes out is what the inbox needs: the text and the (sanitised later) HTML body, every
other part as a file, the sender, the subject, the date, and in `meta` what threading and
auto-replies read (the Message-ID, In-Reply-To and References as keys, the RFC 3834 headers).

Mail in the wild is often broken. A body in a charset that does not decode is decoded with
replacement characters and the fact is recorded in `meta["defects"]`; an unknown charset is
read as UTF-8 the same way. What cannot be read at all (no sender, no headers) raises
ValueError, which fails the delivery with that reason (shown, retryable): never lost.

The parser runs with `policy.compat32` and the headers are decoded here (RFC 2047 words,
folding): `policy.default`'s header objects cost twenty times as much, which an initial sync
of thousands of mails feels, and their leniency is no better for broken mail.

Keys: a message's idempotency key is its Message-ID (without the angle brackets), the same
in every folder and across a UIDVALIDITY change; a missing or overlong one is replaced by a
hash of the headers that identify the message.
"""

from __future__ import annotations

import email
import email.errors
import hashlib
import re
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

from .channels import File, Inbound

MAX_KEY = 100  # RawDelivery.external_id's length
MAX_TEXT = 200_000
MAX_REFERENCES = 30
# Senders that are machines (RFC 3834 §2: never answer them automatically).
MACHINE_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|listserv|majordomo)"
    r"([+.-].*)?$|^owner-|-request$|-bounces?$",
    re.IGNORECASE,
)
# The quoted-reply header languages the trimmer knows (the library's own list, read once).
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs"]
_reply_parser = EmailReplyParser(languages=REPLY_LANGUAGES)


def clean(value) -> str:
    """Text PostgreSQL can store: undecodable bytes the parser kept as surrogates become
    replacement characters, NULs go."""
    text = str(value or "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape" if _only_escapes(text) else "replace")
        text = text.decode("utf-8", "replace")
    return text.replace("\x00", "")


def _only_escapes(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


def key_for(message_id: str) -> str:
    """The key a Message-ID is stored under: without brackets and spaces; hashed if long."""
    bare = clean(message_id).strip().strip("<>").strip()
    if not bare:
        return ""
    if len(bare) > MAX_KEY:
        return "h:" + hashlib.sha256(bare.encode()).hexdigest()[:60]
    return bare


def ids_in(header) -> list[str]:
    """The Message-IDs a References or In-Reply-To header names, in order, as keys."""
    found = re.findall(r"<([^<>\s]+)>", clean(header))
    if not found and header:
        found = clean(header).split()
    return [k for k in dict.fromkeys(key_for(i) for i in found) if k]


def parse_bytes(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=policy.compat32)


def decode_words(value, defects: list | None = None) -> str:
    """A header's text: unfolded, its RFC 2047 encoded words decoded."""
    text = re.sub(r"\r?\n[ \t]+", " ", value if isinstance(value, str) else str(value))
    if "=?" not in text and isinstance(value, str):
        return clean(text)
    try:
        return clean(str(make_header(decode_header(value if not isinstance(value, str) else text))))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError) as exc:
        if defects is not None:
            defects.append(f"header not decodable ({type(exc).__name__})")
        return clean(text)


def headers_key(raw: bytes) -> str:
    """The message's key from its headers alone (what a poll reads before storing it):
    its Message-ID, else a hash of the headers that identify it, else of the whole mail."""
    parser = email.parser.BytesHeaderParser(policy=policy.compat32)
    try:
        headers = parser.parsebytes(raw)
        found = key_for(str(headers.get("Message-ID") or ""))
    except Exception:
        headers, found = None, ""
    if found:
        return found
    if headers is not None and any(headers.get(h) for h in ("From", "Date", "Subject")):
        basis = "\n".join(clean(headers.get(h, "")) for h in ("From", "To", "Date", "Subject"))
        return "h:" + hashlib.sha256(basis.encode()).hexdigest()[:60]
    return "h:" + hashlib.sha256(raw).hexdigest()[:60]


def _raw_header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    return clean(re.sub(r"\r?\n[ \t]+", " ", str(value)))


def _header(message: Message, name: str, defects: list) -> str:
    value = message.get(name)
    return decode_words(value, defects) if value is not None else ""


def _addresses(message: Message, name: str, defects: list) -> list[tuple[str, str]]:
    # Split the raw header first: a decoded name may hold the commas that separate addresses.
    value = _raw_header(message, name)
    return [
        (decode_words(n, defects), clean(a).strip().lower())
        for n, a in getaddresses([value])
        if "@" in a
    ]


def _decode(part, defects: list) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset)
    except LookupError:
        defects.append(f"unknown charset {charset!r}, read as UTF-8")
        return payload.decode("utf-8", "replace")
    except UnicodeDecodeError:
        # Often mislabelled: try UTF-8 before giving up on the bytes that do not decode.
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            defects.append(f"text not valid {charset}, undecodable bytes replaced")
            return payload.decode(charset, "replace")


def _parts(message: Message):
    """Every leaf part, not descending into attached messages (they are files)."""
    if message.is_multipart() and message.get_content_maintype() == "multipart":
        for sub in message.get_payload():
            yield from _parts(sub)
    else:
        yield message


def _filename(part, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return decode_words(name)
    if part.get_content_type() == "message/rfc822":
        return f"message-{index}.eml"
    return f"part-{index}"


def body_and_files(message: Message, defects: list) -> tuple[str, str, tuple[File, ...]]:
    text = html = ""
    files = []
    for index, part in enumerate(_parts(message), 1):
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        if disposition != "attachment" and ctype == "text/plain" and not text:
            text = _decode(part, defects)
        elif disposition != "attachment" and ctype == "text/html" and not html:
            html = _decode(part, defects)
        elif ctype == "message/rfc822":
            inner = part.get_payload()
            data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            files.append(File(name=_filename(part, index), content_type=ctype, data=data))
        else:
            data = part.get_payload(decode=True) or b""
            if not data and ctype.startswith("multipart/"):
                continue
            files.append(File(name=_filename(part, index), content_type=ctype, data=data))
    if not text.strip() and html:
        text = html_to_text(html)
    return clean(text)[:MAX_TEXT], clean(html), tuple(files)


class _TextOfHtml(HTMLParser):
    """The text of an HTML body, quoted blocks marked with "> " as a mail client quotes."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines, self.line, self.depth, self.skip = [], [], 0, 0

    def _break(self):
        text = "".join(self.line).strip()
        self.line = []
        if text or (self.lines and self.lines[-1] != ""):
            self.lines.append(("> " * self.depth) + text if text else "")

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self._break()
            if tag == "blockquote":
                self.depth += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self._break()
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)

    def handle_data(self, data):
        if not self.skip:
            self.line.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    reader = _TextOfHtml()
    reader.feed(html)
    reader.close()
    reader._break()
    return "\n".join(reader.lines).strip()


# A line that introduces quoted history: "On <date>, <someone> wrote:" in any language ends
# with a colon and is followed by quoted lines; Outlook's separators.
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|исходное сообщение|пересылаемое сообщение|"
    r"forwarded message)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)


# What any quoted history starts with: ">" lines, an attribution ("... wrote:" in any
# language ends with a colon), a separator line. Without one the (costly) trimmer is skipped.
_MAY_QUOTE = re.compile(r"^\s*>|:\s*$|^\s*(-{3,}|_{10,})", re.MULTILINE)


def reply_part(text: str) -> str:
    """The newly written part of a reply, without the quoted history below it (for
    display; the whole text is kept). Known reply headers in the library's languages, then,
    for every language, a trailing block of ">" lines and the attribution line before it."""
    if not text.strip():
        return ""
    if not _MAY_QUOTE.search(text):
        return text.strip()  # nothing that introduces or marks quoted history
    try:
        found = _reply_parser.parse_reply(text=text)
    except Exception:
        found = None
    found = found if found and found.strip() else text
    lines = found.splitlines()
    cut = len(lines)
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line):
            cut = i
            break
    lines = lines[:cut]
    # Drop a trailing quoted block (">" lines and blanks), then its attribution line.
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if end < len(lines) and any(line.lstrip().startswith(">") for line in lines[end:]):
        if end and lines[end - 1].rstrip().endswith(":"):
            end -= 1
        lines = lines[:end]
    reply = "\n".join(lines).strip()
    return reply or text.strip()


def sender_is_machine(address: str) -> bool:
    local = address.partition("@")[0]
    return bool(MACHINE_SENDERS.search(local))


def inbound(raw: bytes, *, key: str = "") -> Inbound:
    """The Inbound an email makes; ValueError if it cannot be read as an email."""
    if not raw or not raw.strip():
        raise ValueError("the email is empty")
    try:
        message = parse_bytes(raw)
    except Exception as exc:
        raise ValueError(f"the email could not be parsed: {exc}") from None
    defects = [type(d).__name__ for d in message.defects][:10]
    senders = _addresses(message, "From", defects)
    if not senders:
        raise ValueError("the email has no sender address (From)")
    name, address = senders[0]
    reply_to = _addresses(message, "Reply-To", defects)
    message_id = _raw_header(message, "Message-ID").strip()
    key = key or key_for(message_id) or headers_key(raw)
    references = ids_in(_raw_header(message, "References"))[-MAX_REFERENCES:]
    in_reply_to = ids_in(_raw_header(message, "In-Reply-To"))
    try:
        sent_at = parsedate_to_datetime(_raw_header(message, "Date"))
        if sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        sent_at = datetime.now(tz=UTC)
    # A date in the future (a wrong clock) would pin the conversation on top: cap it.
    sent_at = min(sent_at, datetime.now(tz=UTC))
    text, html, files = body_and_files(message, defects)
    reply = reply_part(text)
    root = references[0] if references else (in_reply_to[0] if in_reply_to else key)
    list_headers = [h for h in message if h.lower().startswith("list-")]
    meta = {
        "message_id": key,
        "in_reply_to": in_reply_to[:5],
        "references": references,
        "from": address,
        "reply_to": reply_to[0][1] if reply_to else "",
        "to": [a for _n, a in _addresses(message, "To", defects)][:20],
        "cc": [a for _n, a in _addresses(message, "Cc", defects)][:20],
        "auto_submitted": _raw_header(message, "Auto-Submitted").strip().lower()[:50],
        "precedence": _raw_header(message, "Precedence").strip().lower()[:20],
        "list": bool(list_headers),
        "return_path": _raw_header(message, "Return-Path").strip()[:254],
    }
    if reply != text.strip():
        meta["reply"] = reply
    if defects:
        meta["defects"] = list(dict.fromkeys(defects))
    subject = _header(message, "Subject", defects).strip()
    return Inbound(
        external_id=key,
        chat_id=root,
        text=text,
        sent_at=sent_at,
        sender_name=(name or address)[:200],
        emails=(address,),
        kind="email",
        subject=subject[:300],
        html=html,
        files=files,
        meta=meta,
    )
