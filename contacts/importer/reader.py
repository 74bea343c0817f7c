"""Reading a spreadsheet (CSV or XLSX) into a header and rows of strings, refusing bad files
early with a message that says what is wrong.

    table = open_table(fileobj, name="clients.xlsx")
    table.headers            # ["Имя", "Телефон", ...]
    table.estimated_rows     # data rows, for the progress bar (exact for XLSX)
    for line, cells in table.rows():   # line numbers as the user sees them; cells: tuple[str]
        ...

Limits (settings, with defaults): IMPORT_MAX_FILE_SIZE (50 MB), IMPORT_MAX_ROWS (200,000),
IMPORT_MAX_COLUMNS (500), IMPORT_MAX_UNCOMPRESSED (500 MB, XLSX), IMPORT_MAX_RATIO (100,
XLSX), IMPORT_MAX_ZIP_ENTRIES (10,000, XLSX). An XLSX is a zip: its directory is checked
before anything is unpacked, and every member is then streamed through (1 MB at a time) so
that sizes a crafted file lies about are caught by the CRC check instead of by the server's
memory. An XML part that declares a DTD (entities: an XML bomb) is refused.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MB = 1024 * 1024
DELIMITERS = ",;\t|"
SAMPLE_BYTES = 256 * 1024
CHUNK = MB


class ImportFileError(ValidationError):
    """The file cannot be imported at all; `message` says why, in the user's language."""

    def __init__(self, message: str, code: str):
        super().__init__(message, code=code)


def limit(name: str) -> int:
    defaults = {
        "IMPORT_MAX_FILE_SIZE": 50 * MB,
        "IMPORT_MAX_ROWS": 200_000,
        "IMPORT_MAX_COLUMNS": 500,
        "IMPORT_MAX_UNCOMPRESSED": 500 * MB,
        "IMPORT_MAX_RATIO": 100,
        "IMPORT_MAX_ZIP_ENTRIES": 10_000,
    }
    return int(getattr(settings, name, defaults[name]))


@dataclass
class Table:
    """A readable sheet: the header and a way to iterate over the data rows."""

    kind: str  # "csv" | "xlsx"
    headers: list[str]
    estimated_rows: int
    _rows: object = field(repr=False, default=None)
    encoding: str = ""
    delimiter: str = ""

    def rows(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """(line number, cells) of every non-empty data row, cells as long as the header."""
        return self._rows()


# --- entry point -------------------------------------------------------------------------


def open_table(
    fileobj,
    name: str = "",
    size: int | None = None,
    verify: bool = True,
    encoding: str | None = None,
) -> Table:
    """Check `fileobj` (binary, seekable) and return its first sheet as a Table.

    verify=False skips unpacking every member of an XLSX to check the sizes its directory
    states (the directory itself is always checked): for a file that was verified when it
    was uploaded. `encoding` reads a CSV in that encoding instead of the detected one (the
    person chose it); an XLSX has none."""
    if size is None:
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise ImportFileError(_("The file is empty."), "empty")
    max_size = limit("IMPORT_MAX_FILE_SIZE")
    if size > max_size:
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": _mb(size), "limit": _mb(max_size)},
            "too_large",
        )
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        table = _open_xlsx(fileobj, size, verify)
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ImportFileError(
            _(
                "This is an Excel 97–2003 (.xls) or a password-protected workbook. "
                "Save it as .xlsx without a password, or as CSV."
            ),
            "xls",
        )
    elif any(head.startswith(magic) for magic in _BINARY_MAGIC):
        raise ImportFileError(_UNKNOWN_FORMAT(), "format")
    else:
        table = _open_csv(fileobj, size, encoding)
    if table.estimated_rows > limit("IMPORT_MAX_ROWS"):
        raise ImportFileError(
            _("The file has about %(rows)s rows; the limit is %(limit)s. Split it.")
            % {"rows": f"{table.estimated_rows:,}", "limit": f"{limit('IMPORT_MAX_ROWS'):,}"},
            "too_many_rows",
        )
    return table


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


def _UNKNOWN_FORMAT() -> str:
    return _("This file is neither CSV nor an Excel workbook (.xlsx). Save it as one of them.")


_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x7fELF",
    b"MZ",
)


def _require_rows(headers: list[str], first_row) -> None:
    if not any(headers):
        raise ImportFileError(
            _("The first row must hold the column names, and it is empty."), "no_header"
        )
    # Before anything else is done per column: a file of a few hundred kilobytes can hold
    # a hundred thousand of them, and the mapping page has a choice for each.
    max_columns = limit("IMPORT_MAX_COLUMNS")
    if len(headers) > max_columns:
        raise ImportFileError(
            _(
                "The file has %(columns)s columns; the limit is %(limit)s. "
                "Remove the columns you do not need to import."
            )
            % {"columns": f"{len(headers):,}", "limit": f"{max_columns:,}"},
            "too_many_columns",
        )
    if first_row is None:
        raise ImportFileError(
            _("The file has only the column names and no rows to import."), "header_only"
        )


def _fit(cells: list[str], width: int) -> tuple[str, ...]:
    if len(cells) < width:
        cells = cells + [""] * (width - len(cells))
    return tuple(cells[:width])


def _unique_headers(raw: list[str]) -> list[str]:
    """Trimmed header names; blank ones are named by their column letter."""
    out = []
    for i, name in enumerate(raw):
        name = " ".join(str(name).split())
        out.append(name or _("Column %(letter)s") % {"letter": column_letter(i)})
    return out


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --- CSV ---------------------------------------------------------------------------------


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # A sample may end inside a multi-byte character: an incremental decoder allows it.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=None).best()
    guess = best.encoding if best is not None else None
    if guess not in CYRILLIC_ENCODINGS and _reads_as_russian(sample):
        # A few Russian words give the detector too little to go on (it may answer cp1250);
        # the spreadsheets people bring here are far more often Windows-1251.
        return "cp1251"
    if guess is None:
        raise ImportFileError(
            _("Could not recognise the text encoding of this file. Save it as UTF-8 CSV."),
            "encoding",
        )
    return guess


# The encodings a person may choose to read a CSV in (the mapping page, the API).
ENCODINGS = {
    "utf-8": "UTF-8",
    "cp1251": gettext_lazy("Windows-1251 (Cyrillic)"),
    "koi8_r": gettext_lazy("KOI8-R (Cyrillic)"),
    "cp866": gettext_lazy("DOS 866 (Cyrillic)"),
    "mac_cyrillic": gettext_lazy("Mac OS Cyrillic"),
    "iso8859_5": gettext_lazy("ISO 8859-5 (Cyrillic)"),
    "cp1252": gettext_lazy("Windows-1252 (Western European)"),
    "cp1250": gettext_lazy("Windows-1250 (Central European)"),
    "utf-16": "UTF-16",
}


def encoding_label(encoding: str) -> str:
    return str(ENCODINGS.get(encoding, encoding))


# Encodings charset-normalizer may name for Cyrillic text; its choice among them stands.
CYRILLIC_ENCODINGS = {
    "cp1251", "koi8_r", "koi8_u", "cp866", "cp855", "iso8859_5", "mac_cyrillic", "kz1048",
    "ptcp154",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def _reads_as_russian(sample: bytes) -> bool:
    """Whether the sample, read as Windows-1251, is words of Cyrillic letters. Every byte
    from 0xC0 up is a Cyrillic letter there, so Latin text with accents (Müller, Dvořák)
    reads as words mixing Latin and Cyrillic letters, which real text almost never has."""
    try:
        text = codecs.getincrementaldecoder("cp1251")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    cyrillic = mixed = 0
    for word in _WORD.findall(text):
        if not any("\u0400" <= ch <= "\u04ff" for ch in word):
            continue
        if any(ch.isascii() for ch in word):
            mixed += 1
        else:
            cyrillic += 1
    return cyrillic > 0 and mixed * 10 <= cyrillic


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text if (ch < " " and ch not in "\t\r\n") or ch == "\ufffd")
    return bad > max(2, len(text) // 100)


def _detect_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:50]
    header = lines[0] if lines else ""
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and found in header:
        return found
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _forced_encoding(sample: bytes, encoding: str) -> str:
    """`encoding` if the sample reads in it without a single undecodable byte."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except (UnicodeDecodeError, LookupError):
        raise _cannot_read_as(encoding) from None
    return encoding


def _cannot_read_as(encoding: str) -> ImportFileError:
    return ImportFileError(
        _("The file cannot be read as %(encoding)s. Choose another encoding.")
        % {"encoding": encoding_label(encoding)},
        "encoding",
    )


def _open_csv(fileobj, size: int, forced_encoding: str | None = None) -> Table:
    sample = fileobj.read(SAMPLE_BYTES)
    fileobj.seek(0)
    try:
        if forced_encoding:
            encoding = _forced_encoding(sample, forced_encoding)
        else:
            encoding = _detect_encoding(sample)
    except ImportFileError:
        if b"\x00" in sample and not forced_encoding:
            raise ImportFileError(_UNKNOWN_FORMAT(), "format") from None
        raise
    is_utf16 = encoding.replace("_", "-").startswith(("utf-16", "utf-32"))
    if b"\x00" in sample and not is_utf16:
        if forced_encoding:  # most likely UTF-16 without a byte order mark
            raise _cannot_read_as(forced_encoding)
        raise ImportFileError(_UNKNOWN_FORMAT(), "format")
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    text = text.lstrip("\ufeff")
    if _looks_binary(text[:10_000]):
        raise ImportFileError(_UNKNOWN_FORMAT(), "format")
    if not text.strip():
        raise ImportFileError(_("The file is empty."), "empty")
    delimiter = _detect_delimiter(text)
    estimated = _count_lines(fileobj, encoding, is_utf16, size, sample)

    def reader():
        fileobj.seek(0)
        raw = io.BufferedReader(_NoClose(fileobj), CHUNK)
        stream = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        return csv.reader(stream, delimiter=delimiter, strict=False)

    rows = reader()
    headers, first = None, None
    try:
        for cells in rows:
            if not any(c.strip() for c in cells):
                continue
            if headers is None:
                headers = cells
                continue
            first = cells
            break
    except csv.Error as exc:
        raise _csv_error(rows, exc) from exc
    _require_rows(headers or [], first)
    if headers[0].startswith("\ufeff"):
        headers[0] = headers[0][1:]
    headers = _unique_headers(headers)
    width = len(headers)

    def iterate():
        it = reader()
        seen_header = False
        try:
            for cells in it:
                if not seen_header:
                    if any(c.strip() for c in cells):
                        seen_header = True
                    continue
                cells = [c.strip() for c in cells]
                if any(cells):
                    yield it.line_num, _fit(cells, width)
        except csv.Error as exc:
            raise _csv_error(it, exc) from exc

    return Table(
        "csv", headers, max(1, estimated - 1), iterate, encoding=encoding, delimiter=delimiter
    )


def _csv_error(rows, exc) -> ImportFileError:
    return ImportFileError(
        _("The CSV file is damaged near line %(line)s: %(error)s")
        % {"line": rows.line_num, "error": exc},
        "csv",
    )


def _count_lines(fileobj, encoding, is_utf16, size, sample) -> int:
    """Line breaks in the file: the data rows plus the header (quoted breaks count too)."""
    if is_utf16:
        # Two or four bytes a character: estimate from the sample.
        per_line = max(1, len(sample) // max(1, sample.count(b"\n\x00") or sample.count(b"\n")))
        return max(1, size // per_line)
    fileobj.seek(0)
    count, last = 0, b""
    while chunk := fileobj.read(CHUNK):
        count += chunk.count(b"\n")
        last = chunk
    fileobj.seek(0)
    return count + (0 if last.endswith(b"\n") else 1)


class _NoClose(io.RawIOBase):
    """A view of a binary file that TextIOWrapper may close without closing the file."""

    def __init__(self, raw):
        self._raw = raw

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --- XLSX --------------------------------------------------------------------------------


def _damaged() -> ImportFileError:
    return ImportFileError(
        _("The Excel file is damaged and cannot be read. Open it in Excel and save it again."),
        "damaged",
    )


def _bomb(reason: str) -> ImportFileError:
    return ImportFileError(
        _("The workbook was refused: %(reason)s It may be a decompression bomb.")
        % {"reason": reason},
        "bomb",
    )


def _zip_entry_count(fileobj, size: int) -> int:
    """Entries in the zip, from its end record, before anything parses the directory."""
    tail_len = min(size, 22 + 65535)
    fileobj.seek(size - tail_len)
    tail = fileobj.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise _damaged()
    entries, cd_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: its own end record
        loc = tail.rfind(b"PK\x06\x07", 0, at)
        if loc < 0:
            raise _damaged()
        (eocd64,) = struct.unpack("<Q", tail[loc + 8 : loc + 16])
        if eocd64 + 56 > size:
            raise _damaged()
        fileobj.seek(eocd64)
        record = fileobj.read(56)
        if not record.startswith(b"PK\x06\x06"):
            raise _damaged()
        (entries,) = struct.unpack("<Q", record[32:40])
    fileobj.seek(0)
    return entries


def check_zip(fileobj, size: int, verify: bool = True) -> None:
    """Refuse a zip that is not a workbook or unpacks to too much, reading only its
    directory first, then streaming each member through with a bounded buffer."""
    entries = _zip_entry_count(fileobj, size)
    if entries > limit("IMPORT_MAX_ZIP_ENTRIES"):
        raise _bomb(_("it holds %(n)s files.") % {"n": f"{entries:,}"})
    try:
        archive = zipfile.ZipFile(fileobj)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise _damaged() from exc
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise ImportFileError(
            _("This archive is not an Excel workbook (.xlsx). Save the sheet as .xlsx or CSV."),
            "format",
        )
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    max_unpacked = limit("IMPORT_MAX_UNCOMPRESSED")
    if unpacked > max_unpacked:
        raise _bomb(
            _("it unpacks to %(size)s MB, more than the limit of %(limit)s MB.")
            % {"size": _mb(unpacked), "limit": _mb(max_unpacked)}
        )
    ratio = unpacked / max(packed, 1)
    # A tiny workbook may compress very well and harm no one; the ratio matters past 1 MB.
    if unpacked > MB and ratio > limit("IMPORT_MAX_RATIO"):
        raise _bomb(
            _("it unpacks %(ratio)s times larger than it is, more than %(limit)s times.")
            % {"ratio": int(ratio), "limit": limit("IMPORT_MAX_RATIO")}
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise ImportFileError(
            _("The workbook is password-protected. Save it without a password."), "encrypted"
        )
    if not verify:
        fileobj.seek(0)
        return
    _refuse_dtds(archive, infos)
    # The directory may lie: unpack every member for real, counting bytes as they come.
    # zipfile stops at the declared size and checks the CRC, so a lie ends in BadZipFile.
    total = 0
    try:
        for info in infos:
            with archive.open(info) as member:
                while chunk := member.read(CHUNK):
                    total += len(chunk)
                    if total > max_unpacked:
                        raise _bomb(_("it unpacks to more than the limit."))
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, ValueError) as exc:
        raise _damaged() from exc
    finally:
        fileobj.seek(0)


# The parts of a workbook that are XML; a DTD has no business in any of them.
_XML_PARTS = (".xml", ".rels", ".vml")


def _refuse_dtds(archive: zipfile.ZipFile, infos) -> None:
    """Refuse a workbook whose XML declares a DTD: entities are how an XML bomb (a billion
    laughs, a quadratic blow-up) grows a few kilobytes into gigabytes, and no spreadsheet
    program writes one. defusedxml reads each part only up to its root element, where a
    DTD must stand, so this costs a few kilobytes of each part whatever its size."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, iterparse

    for info in infos:
        if not info.filename.lower().endswith(_XML_PARTS):
            continue
        try:
            with archive.open(info) as member:
                for _event in iterparse(member, events=("start",), forbid_dtd=True):
                    break
        except DefusedXmlException as exc:
            raise _bomb(
                _("its part %(name)s declares XML entities (a DTD), which workbooks never do.")
                % {"name": info.filename[:100]}
            ) from exc
        except (ParseError, zipfile.BadZipFile, EOFError, OSError, NotImplementedError,
                ValueError) as exc:  # fmt: skip
            raise _damaged() from exc


def _cell(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _open_xlsx(fileobj, size: int, verify: bool = True) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    check_zip(fileobj, size, verify)
    try:
        workbook = CalamineWorkbook.from_filelike(fileobj)
        from python_calamine import SheetTypeEnum, SheetVisibleEnum

        sheets = [
            m.name
            for m in workbook.sheets_metadata
            if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet
        ] or workbook.sheet_names
        if not sheets:
            raise ImportFileError(_("The workbook has no sheets."), "empty")
        sheet = workbook.get_sheet_by_name(sheets[0])
        height = sheet.height
    except ImportFileError:
        raise
    except (CalamineError, ValueError, OSError) as exc:
        raise _damaged() from exc
    if height == 0:
        raise ImportFileError(_("The first sheet of the workbook is empty."), "empty")

    def raw_rows():
        try:
            start = sheet.start[0] if sheet.start else 0
            for index, cells in enumerate(sheet.iter_rows()):
                yield start + index + 1, cells
        except CalamineError as exc:
            raise _damaged() from exc

    headers, first = None, None
    for _line, cells in raw_rows():
        values = [_cell(c) for c in cells]
        if not any(values):
            continue
        if headers is None:
            headers = values
            continue
        first = values
        break
    while headers and not headers[-1]:
        headers.pop()  # trailing empty header cells of a wider data area
    _require_rows(headers or [], first)
    headers = _unique_headers(headers)
    width = len(headers)

    def iterate():
        cell, blank = _cell, ("",) * width
        seen_header = False
        line = sheet.start[0] if sheet.start else 0
        try:
            for cells in sheet.iter_rows():
                line += 1
                values = tuple(
                    [c.strip() if c.__class__ is str else cell(c) for c in cells[:width]]
                )
                if not any(values):
                    continue
                if not seen_header:
                    seen_header = True
                    continue
                yield line, values if len(values) == width else (values + blank)[:width]
        except CalamineError as exc:
            raise _damaged() from exc

    return Table("xlsx", headers, max(1, height - 1), iterate)


# --- the working copy ----------------------------------------------------------------------
#
# Parsing a workbook is the slow part of reading it (about a second for 50,000 rows), and a
# job reads its file three times: at upload, for the preview, and in the worker. So the
# upload keeps a working copy instead of the original: plain UTF-8 CSV whose first column is
# each row's line number as the person saw it in their file. Reading it back needs no
# sniffing and no unzipping.

COPY_SUFFIX = ".rows.csv"


def write_copy(table: Table, out) -> int:
    """Write `table` to the binary file `out` as a working copy; returns the row count."""
    import io

    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["", *table.headers])
    count = 0
    for line, cells in table.rows():
        writer.writerow([line, *cells])
        count += 1
    text.detach()  # leave `out` open for the caller
    return count


def open_copy(fileobj, estimated_rows: int = 0) -> Table:
    """A working copy written by `write_copy`, read as a Table."""
    import io

    text = io.TextIOWrapper(fileobj, encoding="utf-8", newline="")
    rows = csv.reader(text)
    first = next(rows, None)
    if first is None:  # lost or emptied since the upload
        raise ImportFileError(_("The file is empty."), "empty")
    headers = first[1:]

    def iterate():
        for row in rows:
            yield int(row[0]), tuple(row[1:])

    return Table(
        kind="csv",
        headers=headers,
        estimated_rows=estimated_rows,
        _rows=iterate,
        encoding="utf-8",
        delimiter=",",
    )


def open_job_file(job) -> Table:
    """The job's file as a Table: its working copy, or (older jobs) the original upload.
    The caller keeps `job.file` open while it reads."""
    fileobj = job.file.open("rb")
    if job.file.name.endswith(COPY_SUFFIX):
        return open_copy(fileobj, job.total)
    return open_table(fileobj, job.original_name, verify=False)
