"""Reading spreadsheets: encodings, delimiters, and every bad file refused with its reason."""

import datetime
import io
import struct
import zipfile

import pytest

from contacts.importer.reader import ImportFileError, open_table
from tests.contacts.import_files import csv_bytes, xlsx_bytes

RU_ROWS = [
    ["Имя", "Фамилия", "Телефон", "Эл. почта", "Компания"],
    ["Иван", "Петров", "8 (916) 123-45-67", "ivan@example.ru", "ООО «Ромашка»"],
    ["Мария", "Сидорова", "+7 903 000-11-22", "maria@example.ru", ""],
]


def read(data: bytes):
    table = open_table(io.BytesIO(data), "file")
    return table, list(table.rows())


def refused(data: bytes) -> ImportFileError:
    with pytest.raises(ImportFileError) as err:
        read(data)
    return err.value


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1251"], ids=lambda e: e)
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=repr)
def test_csv_encodings_and_delimiters(encoding, delimiter):
    table, rows = read(csv_bytes(RU_ROWS, encoding, delimiter))
    assert table.kind == "csv"
    assert table.delimiter == delimiter
    assert table.headers == RU_ROWS[0]
    assert [cells for _line, cells in rows] == [tuple(r) for r in RU_ROWS[1:]]
    assert [line for line, _cells in rows] == [2, 3]
    assert table.estimated_rows == 2


@pytest.mark.parametrize(
    "rows",
    [
        [["Имя", "Email"], ["Ольга", "o@x.ru"]],  # read as cp1250 by charset-normalizer
        [["Фамилия"], ["Щукин"]],
        [["Name", "Город"], ["Ann", "Москва"]],
    ],
)
def test_a_short_windows_1251_file_is_read_as_cyrillic(rows):
    table, read_rows = read(csv_bytes(rows, "cp1251"))
    assert table.encoding == "cp1251"
    assert table.headers == rows[0] and list(read_rows[0][1]) == rows[1]


@pytest.mark.parametrize(
    ("rows", "encoding"),
    [
        ([["Příjmení", "Město"], ["Dvořák", "Plzeň"]], "cp1250"),
        ([["Name", "Straße"], ["Müller", "Köln"]], "cp1252"),
        ([["Имя", "Город"], ["Пётр", "Москва"]], "koi8_r"),
    ],
)
def test_other_encodings_are_not_taken_for_windows_1251(rows, encoding):
    table, _rows = read(csv_bytes(rows * 3, encoding))
    assert table.encoding != "cp1251"
    if encoding != "cp1250":  # a short Czech file is beyond the detector; never Cyrillic
        assert table.headers == rows[0]


def test_an_encoding_can_be_forced():
    data = csv_bytes([["Имя"], ["Иван"]], "cp1251")
    table = open_table(io.BytesIO(data), "file", encoding="cp866")
    assert table.encoding == "cp866" and table.headers != ["Имя"]
    with pytest.raises(ImportFileError) as err:
        open_table(io.BytesIO(data), "file", encoding="utf-8")
    assert err.value.code == "encoding"


def test_cp1251_is_told_from_utf8_on_a_longer_file():
    rows = [RU_ROWS[0]] + [RU_ROWS[1]] * 500
    table, read_rows = read(csv_bytes(rows, "cp1251", ";"))
    assert table.encoding.replace("_", "").lower() in {"cp1251", "windows1251"}
    assert read_rows[0][1][0] == "Иван"
    assert len(read_rows) == 500


def test_csv_quoted_delimiters_and_newlines_and_blank_rows():
    data = b'name,notes\r\n"Smith, John","line one\nline two"\r\n,\r\n\r\nAnn,\r\n'
    table, rows = read(data)
    assert table.headers == ["name", "notes"]
    assert [cells for _l, cells in rows] == [("Smith, John", "line one\nline two"), ("Ann", "")]


def test_short_and_long_rows_fit_the_header():
    _table, rows = read(b"a;b;c\r\n1\r\n1;2;3;4\r\n")
    assert [cells for _l, cells in rows] == [("1", "", ""), ("1", "2", "3")]


def test_xlsx_cells_become_strings():
    data = xlsx_bytes(
        [
            ["Name", "Phone", "Born", "Score", "Active"],
            ["Ann", 79161234567, datetime.date(1990, 5, 17), 1.5, True],
            [None, None, None, None, None],
            ["Bob", "+1 202 555 0100", None, 3, False],
        ]
    )
    table, rows = read(data)
    assert table.kind == "xlsx"
    assert table.headers == ["Name", "Phone", "Born", "Score", "Active"]
    assert rows == [
        (2, ("Ann", "79161234567", "1990-05-17", "1.5", "true")),
        (4, ("Bob", "+1 202 555 0100", "", "3", "false")),
    ]


def test_blank_header_cells_are_named_by_column():
    table, _rows = read(csv_bytes([["Email", "", "Phone"], ["a@b.co", "x", "1"]]))
    assert table.headers == ["Email", "Column B", "Phone"]


# --- refused -----------------------------------------------------------------------------


def test_empty_file():
    err = refused(b"")
    assert err.code == "empty" and "empty" in err.messages[0]


def test_blank_text_file():
    assert refused(b"\r\n \r\n").code == "empty"


def test_csv_with_header_only():
    err = refused(csv_bytes([["Name", "Email"]]))
    assert err.code == "header_only"
    assert "only the column names" in err.messages[0]


def test_xlsx_with_header_only():
    assert refused(xlsx_bytes([["Name", "Email"], [None, None]])).code == "header_only"


def test_xlsx_empty_sheet():
    assert refused(xlsx_bytes([])).code == "empty"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n...", b"\x89PNG\r\n\x1a\n\x00\x00", b"\x00\x01\x02\x03binary\x00\xff" * 50],
    ids=["pdf", "png", "binary"],
)
def test_unknown_format(data):
    err = refused(data)
    assert err.code == "format"
    assert "neither CSV nor an Excel workbook" in err.messages[0]


def test_old_xls_or_encrypted_workbook():
    err = refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert err.code == "xls" and ".xls" in err.messages[0]


def test_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    err = refused(buffer.getvalue())
    assert err.code == "format" and "not an Excel workbook" in err.messages[0]


def test_truncated_xlsx():
    data = xlsx_bytes([["Name"], ["Ann"]])
    err = refused(data[: len(data) // 2])
    assert err.code == "damaged" and "damaged" in err.messages[0]


def test_xlsx_with_broken_contents():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("xl/workbook.xml", "this is not xml <<<")
    assert refused(buffer.getvalue()).code == "damaged"


def test_directory_that_lies_about_sizes():
    # given: a real workbook whose sheet claims (in both headers) to unpack to 10 bytes
    data = bytearray(xlsx_bytes([["Name"], *[["Ann"]] * 200]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data[info.header_offset + 22 : info.header_offset + 26] = struct.pack("<I", 10)
    pos = 0
    while (pos := bytes(data).find(b"PK\x01\x02", pos + 1)) > 0:
        name_len = struct.unpack("<H", data[pos + 28 : pos + 30])[0]
        if data[pos + 46 : pos + 46 + name_len] == info.filename.encode():
            data[pos + 24 : pos + 28] = struct.pack("<I", 10)
    # when / then: unpacking for real finds out
    assert refused(bytes(data)).code == "damaged"


def test_file_over_the_size_limit(settings):
    settings.IMPORT_MAX_FILE_SIZE = 1024 * 1024
    err = refused(b"name\r\n" + b"x" * (1024 * 1024 + 10))
    assert err.code == "too_large"
    assert "the limit is 1 MB" in err.messages[0]


def test_too_many_rows(settings):
    settings.IMPORT_MAX_ROWS = 10
    err = refused(csv_bytes([["Name"], *[["Ann"]] * 11]))
    assert err.code == "too_many_rows"


def test_too_many_columns_are_refused_before_the_rows_are_read():
    wide = [[f"C{i}" for i in range(501)], ["x"] * 501]
    err = refused(csv_bytes(wide))
    assert err.code == "too_many_columns" and "501" in err.messages[0]
    assert refused(xlsx_bytes(wide)).code == "too_many_columns"
    table, rows = read(csv_bytes([row[:500] for row in wide]))
    assert len(table.headers) == 500 and len(rows[0][1]) == 500


def test_a_small_file_of_100000_columns_is_refused_at_once():
    # Under a megabyte: once accepted, its mapping page tied a worker for a minute and a half.
    header = ",".join(f"c{i}" for i in range(100_000)).encode()
    data = header + b"\r\nx" + b"," * 99_999 + b"\r\n"
    assert len(data) < 1024 * 1024
    err = refused(data)
    assert err.code == "too_many_columns" and "100,000" in err.messages[0]


def _bomb(size: int, entries: int = 1) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(entries):
            with archive.open(f"xl/worksheets/sheet{n + 1}.xml", "w", force_zip64=True) as f:
                chunk = b"\x00" * (1024 * 1024)
                for _ in range(size // len(chunk)):
                    f.write(chunk)
    return buffer.getvalue()


def test_bomb_by_total_size(settings):
    settings.IMPORT_MAX_UNCOMPRESSED = 8 * 1024 * 1024
    settings.IMPORT_MAX_RATIO = 10**9
    data = _bomb(16 * 1024 * 1024)
    assert len(data) < 100_000  # tiny on disk
    err = refused(data)
    assert err.code == "bomb"
    assert "unpacks to 16 MB, more than the limit of 8 MB" in err.messages[0]


def test_bomb_by_compression_ratio():
    data = _bomb(4 * 1024 * 1024)  # ~1000 times smaller than it unpacks to
    err = refused(data)
    assert err.code == "bomb"
    assert "times larger than it is" in err.messages[0]


def test_bomb_by_number_of_members(settings):
    settings.IMPORT_MAX_ZIP_ENTRIES = 5
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(10):
            archive.writestr(f"xl/x{n}.xml", "")
    err = refused(buffer.getvalue())
    assert err.code == "bomb" and "holds 11 files" in err.messages[0]
