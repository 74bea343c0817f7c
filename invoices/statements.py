"""Bank statements read into incoming payments: the 1C exchange file ("1CClientBankExchange",
Windows-1251) and a plain CSV (date, amount, payer, payer tax id, purpose).

`parse(name, raw)` returns `[Entry, ...]` or raises `StatementError` naming the line that is
wrong; nothing is stored here. Each entry carries `external_id`, a hash of what identifies
the payment, so a file imported twice is recognised line by line (services refuse a second
payment with the same id: a unique constraint).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = 20_000
ONEC_HEADER = "1CClientBankExchange"


class StatementError(ValueError):
    """A file that cannot be read: the message names the line."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        if line is not None:
            message = _("Line %(n)s: %(message)s") % {"n": line, "message": message}
        super().__init__(message)


@dataclass
class Entry:
    line_number: int
    paid_on: date
    amount: Decimal
    payer: str = ""
    payer_tax_id: str = ""
    purpose: str = ""
    document_number: str = ""
    external_id: str = field(default="")


def _amount(text: str, line: int) -> Decimal:
    cleaned = re.sub(r"[\s\u00a0]", "", text or "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise StatementError(_("“%(v)s” is not an amount.") % {"v": text[:40]}, line) from None
    if not value.is_finite() or abs(value) > Decimal("999999999999.99"):
        raise StatementError(_("“%(v)s” is not an amount.") % {"v": text[:40]}, line)
    return value.quantize(Decimal("0.01"))


def _date(text: str, line: int) -> date:
    text = (text or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007  (a calendar day)
        except ValueError:
            continue
    raise StatementError(
        _("“%(v)s” is not a date (DD.MM.YYYY or YYYY-MM-DD).") % {"v": text[:40]}, line
    )


def _identify(entries: list[Entry]) -> list[Entry]:
    """Each entry's id: a hash of its fields, with the count of identical entries before it
    (two equal payments on one day are two payments, and stay two on a second import)."""
    seen: dict[str, int] = {}
    for entry in entries:
        key = "|".join([entry.paid_on.isoformat(), str(entry.amount), entry.payer_tax_id,
                        entry.document_number, " ".join(entry.purpose.split()),
                        " ".join(entry.payer.split())])  # fmt: skip
        seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha256(f"{key}#{seen[key]}".encode()).hexdigest()[:40]
        entry.external_id = f"bank:{digest}"
    return entries


def parse(name: str, raw: bytes) -> tuple[str, list[Entry]]:
    """("1c" | "csv", entries): the format is told by the content, not the file's name."""
    if len(raw) > MAX_BYTES:
        raise StatementError(_("The file is larger than 10 MB."))
    if not raw.strip():
        raise StatementError(_("The file is empty."))
    if raw.lstrip(b"\xef\xbb\xbf").lstrip().startswith(ONEC_HEADER.encode()):
        return "1c", _identify(parse_1c(raw))
    return "csv", _identify(parse_csv(raw))


# --- 1C ------------------------------------------------------------------------------------


def _decode_1c(raw: bytes) -> list[str]:
    """The lines of a 1C file. Its header says the encoding (Windows, the default, is
    Windows-1251; DOS is CP866). A file saved as UTF-8 is refused with the first line where
    it shows: read as Windows-1251 it would store garbled names."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    head = raw[:2000].decode("ascii", "replace")
    encoding = "cp866" if re.search(r"\n\s*\S+=DOS\s*$", head, re.M) else "cp1251"
    lines = raw.split(b"\n")
    if len(lines) > MAX_LINES * 30:
        raise StatementError(_("The file has too many lines."))
    text_lines = []
    for n, chunk in enumerate(lines, 1):
        chunk = chunk.rstrip(b"\r")
        if any(b >= 0x80 for b in chunk):
            try:
                chunk.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise StatementError(
                    _("the file is in UTF-8; a 1C exchange file is in Windows-1251. Save it "
                      "again from the bank or 1C without changing the encoding."), n,
                )  # fmt: skip
        try:
            # A NUL cannot be stored in PostgreSQL text and means nothing in a statement.
            text_lines.append(chunk.decode(encoding).replace("\x00", ""))
        except UnicodeDecodeError:
            raise StatementError(_("this line is not in Windows-1251."), n) from None
    return text_lines


def parse_1c(raw: bytes) -> list[Entry]:
    lines = _decode_1c(raw)
    header: dict[str, str] = {}
    documents: list[tuple[int, dict[str, str]]] = []
    current: dict[str, str] | None = None
    start = 0
    ended = False
    for n, line in enumerate(lines, 1):
        text = line.strip()
        if n == 1:
            if text.lstrip("\ufeff") != ONEC_HEADER:
                raise StatementError(_("expected “1CClientBankExchange”."), n)
            continue
        if not text or ended:
            continue
        if text == "КонецФайла":
            ended = True
            continue
        if text == "КонецДокумента":
            if current is None:
                raise StatementError(_("“КонецДокумента” without a document before it."), n)
            documents.append((start, current))
            current = None
            continue
        if text in ("СекцияРасчСчет", "КонецРасчСчет"):
            continue
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise StatementError(_("expected Key=Value, found “%(t)s”.") % {"t": text[:60]}, n)
        key, value = key.strip(), value.strip()
        if key == "СекцияДокумент":
            if current is not None:
                raise StatementError(_("a document starts before the previous one ended."), n)
            current, start = {"СекцияДокумент": value}, n
            continue
        if current is not None:
            current[key] = value
        else:
            header.setdefault(key, value)
    if current is not None:
        raise StatementError(_("the document that starts here has no “КонецДокумента”."), start)
    own_account = header.get("РасчСчет", "")
    entries = []
    for n, doc in documents:
        # Money going out of the workspace's own account is not a client's payment.
        if own_account and doc.get("ПлательщикСчет") == own_account:
            continue
        if own_account and doc.get("ПолучательСчет") not in (None, "", own_account):
            continue
        if "Сумма" not in doc:
            raise StatementError(_("the document has no “Сумма”."), n)
        amount = _amount(doc["Сумма"], n)
        if amount <= 0:
            continue
        day = doc.get("ДатаПоступило") or doc.get("Дата")
        if not day:
            raise StatementError(_("the document has no “Дата”."), n)
        entries.append(
            Entry(
                line_number=n,
                paid_on=_date(day, n),
                amount=amount,
                payer=(doc.get("Плательщик1") or doc.get("Плательщик") or "")[:250],
                payer_tax_id=doc.get("ПлательщикИНН", "")[:20],
                purpose=doc.get("НазначениеПлатежа", "")[:2000],
                document_number=doc.get("Номер", "")[:40],
            )
        )
    return entries


# --- CSV -----------------------------------------------------------------------------------

HEADER_WORDS = ("date", "дата", "amount", "сумма")


def parse_csv(raw: bytes) -> list[Entry]:
    """date, amount, payer, payer tax id, purpose: comma or semicolon separated, UTF-8 (with
    or without a BOM); a first row of column names is skipped; negative amounts (money
    paid out) are left out."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StatementError(
            _("this line is not UTF-8. Save the CSV as UTF-8, or upload the 1C exchange file."),
            line,
        ) from None
    text = text.replace("\x00", "")  # PostgreSQL stores no NUL; a statement means none
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if "\t" in first and first.count("\t") > first.count(delimiter):
        delimiter = "\t"
    entries = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            n = reader.line_num
            if n > MAX_LINES:
                raise StatementError(_("The file has too many lines."))
            if not any(cell.strip() for cell in row):
                continue
            if n == 1 and row[0].strip().lower() in HEADER_WORDS:
                continue
            if len(row) < 2:
                raise StatementError(_("expected date, amount, payer, payer tax id, purpose."), n)
            row = [cell.strip() for cell in row] + [""] * 3
            amount = _amount(row[1], n)
            day = _date(row[0], n)
            if amount <= 0:
                continue
            entries.append(
                Entry(
                    line_number=n, paid_on=day, amount=amount, payer=row[2][:250],
                    payer_tax_id=row[3][:20], purpose=row[4][:2000],
                )
            )  # fmt: skip
    except csv.Error:
        raise StatementError(_("this line cannot be read as CSV."), reader.line_num) from None
    return entries


# --- matching --------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\s,;:()№#\"'«»]+")


def tokens(purpose: str) -> set[str]:
    """The words of a purpose that could be an invoice number, upper-cased ("счёт СЧ-2026-7
    от ..." gives "СЧ-2026-7"), with a trailing full stop taken off."""
    return {
        t.rstrip(".").upper() for t in _TOKEN.findall(purpose or "") if any(c.isdigit() for c in t)
    }
