"""Bombs handed to the contacts importer: refused with a clear message, in at most a second
and 100 MB.

Each bomb is made in a few megabytes without ever holding what it unpacks to: a deflate
stream of zeros is a first block, then one block repeated (a full flush makes every block
after the first the same bytes), so a 3.75 GB member costs ~4 MB. The zip is written by
hand, so its directory can state any size (the truth, or a lie).
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from django.test.client import BOUNDARY, encode_multipart

from contacts.models import ImportJob
from crm.tenancy.context import tenant_scope
from tests.conftest import api_client
from tests.contacts.import_files import upload, xlsx_bytes

MB = 1024 * 1024
GB_ZEROS = 0xF000_0000  # 3.75 GiB: as large as a zip states without zip64
SECONDS = 1.0
EXTRA_MEMORY = 100 * MB


def _zeros_deflate(size: int) -> bytes:
    """A raw deflate stream that inflates to `size` zero bytes (a multiple of 1 MB)."""
    chunk = bytes(MB)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    repeated = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + repeated * (size // MB - 1) + packer.flush()


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A deflated zip of (name, deflate data, stated size, stated CRC) members. Members
    whose data is the very same object share one copy in the file (overlapping entries)."""
    out, directory, written = io.BytesIO(), io.BytesIO(), {}
    for name, data, size, crc in members:
        encoded = name.encode()
        if id(data) in written:
            offset = written[id(data)]
        else:
            offset = written[id(data)] = out.tell()
            out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc,
                                  len(data), size, len(encoded), 0))  # fmt: skip
            out.write(encoded + data)
        entry = (b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0, 0, 0,
                 0, 0, offset)  # fmt: skip
        directory.write(struct.pack("<4s6H3I5H2I", *entry))
        directory.write(encoded)
    start, body = out.tell(), directory.getvalue()
    out.write(body)
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members),
                          len(body), start, 0))  # fmt: skip
    return out.getvalue()


def _deflated(text: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(text) + packer.flush(), len(text), zlib.crc32(text)


WORKBOOK = b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'


def zip_bomb_stated() -> bytes:
    """Ten sheets of 3.75 GB each, as the directory says, all ten the same bytes of the
    file: 37.5 GB from 4 MB."""
    data = _zeros_deflate(GB_ZEROS)
    sheets = [(f"xl/worksheets/sheet{n}.xml", data, GB_ZEROS, 0) for n in range(1, 11)]
    return _zip([("xl/workbook.xml", *_deflated(WORKBOOK)), *sheets])


def zip_bomb_lying() -> bytes:
    """One sheet that inflates to 3.75 GB while the directory says 900 KB (under every
    limit the directory is checked against): only unpacking for real finds out."""
    data = _zeros_deflate(GB_ZEROS)
    return _zip(
        [("xl/workbook.xml", *_deflated(WORKBOOK)), ("xl/worksheets/sheet1.xml", data, 900_000, 0)]
    )


LAUGHS = "".join(
    ['<!DOCTYPE sst [<!ENTITY lol0 "lol">']
    + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    + ["]>"]
)
QUADRATIC = '<!DOCTYPE sst [<!ENTITY a "' + "a" * 100_000 + '">]>'


def xml_bomb(part: str, dtd: str, reference: str) -> bytes:
    """A real workbook whose `part` declares `dtd` and whose first data cell is
    `reference` (a billion laughs: 10⁹ "lol"s; quadratic: 100,000 × 100 KB = 10 GB)."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Name", "Email"], ["Ann", "a@example.com"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in base.namelist():
            data = base.read(name)
            if name == part:
                xml = data.decode()
                head, _sep, rest = xml.partition("?>")
                rest = rest.replace("<t>Ann</t>", f"<t>{reference}</t>")
                rest = rest.replace(
                    '<c r="A2" t="s"><v>2</v></c>',
                    f'<c r="A2" t="inlineStr"><is><t>{reference}</t></is></c>',
                )
                data = f"{head}?>{dtd}{rest}".encode()
            archive.writestr(name, data)
    return out.getvalue()


BOMBS = {
    "zip-stated": (zip_bomb_stated, {"bomb"}),
    "zip-lying": (zip_bomb_lying, {"bomb", "damaged"}),
    "laughs-in-shared-strings": (
        lambda: xml_bomb("xl/sharedStrings.xml", LAUGHS, "&lol9;"), {"bomb"}),
    "laughs-in-sheet": (
        lambda: xml_bomb("xl/worksheets/sheet1.xml", LAUGHS, "&lol9;"), {"bomb"}),
    "quadratic-in-shared-strings": (
        lambda: xml_bomb("xl/sharedStrings.xml", QUADRATIC, "&a;" * 100_000), {"bomb"}),
    "quadratic-in-sheet": (
        lambda: xml_bomb("xl/worksheets/sheet1.xml", QUADRATIC, "&a;" * 100_000), {"bomb"}),
    "dtd-in-content-types": (
        lambda: xml_bomb("[Content_Types].xml", LAUGHS.replace("sst", "Types"), ""), {"bomb"}),
}  # fmt: skip


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    """Each bomb on disk once (the stated zip bomb takes a second or two to build)."""
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    for name, (make, _codes) in BOMBS.items():
        paths[name] = folder / f"{name}.xlsx"
        paths[name].write_bytes(make())
    return paths


def test_the_bombs_are_small_on_disk(bombs):
    for path in bombs.values():
        assert path.stat().st_size < 10 * MB, path


def _post(client, body: bytes):
    return client.post(
        "/api/v1/imports/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(BOMBS))
def test_a_bomb_uploaded_through_the_api_is_refused_quickly_and_within_memory(
    workspace, bombs, name
):
    tenant, owner = workspace
    client = api_client(owner)
    data = bombs[name].read_bytes()
    # The body is encoded beforehand: what is timed is the server's part alone.
    body = encode_multipart(BOUNDARY, {"file": upload(data, "clients.xlsx")})
    # A first upload warms the process (imports, URL resolver): not the bomb's cost.
    _post(client, encode_multipart(BOUNDARY, {"file": upload(b"", "warm.csv")}))
    started = time.perf_counter()
    response = _post(client, body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["error"]["fields"]["file"])
    if BOMBS[name][1] == {"bomb"}:
        assert "bomb" in message, message
    else:
        assert "bomb" in message or "damaged" in message, message
    assert elapsed <= SECONDS, f"{name}: {elapsed:.2f} s"
    # Again under tracemalloc (which slows every allocation, so apart from the timing): the
    # upload itself sits in memory; the bomb may add no more than the bound.
    tracemalloc.start()
    try:
        assert _post(client, body).status_code == 400
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - 2 * len(body) <= EXTRA_MEMORY, f"{name}: {peak / MB:.0f} MB"
    with tenant_scope(tenant):
        assert not ImportJob.objects.exists()


# The reader in a process of its own: peak RSS counts what Python does not see (zlib's and
# the Rust workbook reader's buffers). Django is configured bare: the reader needs only its
# settings and gettext.
_MEASURE = """
import json, resource, sys, time
import django
from django.conf import settings
settings.configure(USE_I18N=False)
django.setup()
from contacts.importer.reader import ImportFileError, open_table
results = {}
for path in sys.argv[1:]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        with open(path, "rb") as f:
            open_table(f, name="clients.xlsx")
        code, message = None, ""
    except ImportFileError as exc:
        code, message = exc.code, exc.messages[0]
    elapsed = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    results[path] = {"code": code, "message": message, "seconds": elapsed, "grown": grown}
print(json.dumps(results))
"""


def test_the_reader_refuses_every_bomb_within_a_second_and_100_mb_of_rss(bombs):
    repo = Path(__file__).resolve().parents[2]
    paths = [str(p) for p in bombs.values()]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *paths],
        cwd=repo, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(repo)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    for name, path in zip(BOMBS, paths, strict=True):
        found = results[path]
        assert found["code"] in BOMBS[name][1], (name, found)
        assert found["message"], name
        assert found["seconds"] <= SECONDS, (name, found)
        # ru_maxrss only grows: each bomb is measured against the peak before it.
        assert found["grown"] <= EXTRA_MEMORY, (name, found["grown"] / MB)


def test_a_workbook_without_a_dtd_still_reads(tmp_path):
    from contacts.importer.reader import open_table

    data = xlsx_bytes([["Name", "Email"], ["Ann", "a@example.com"]])
    table = open_table(io.BytesIO(data), name="clients.xlsx")
    assert list(table.rows()) == [(2, ("Ann", "a@example.com"))]
