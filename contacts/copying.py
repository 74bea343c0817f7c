"""COPY into TEMP tables: how the set-based statements (the importer, the contact matcher)
get many rows into PostgreSQL in one round trip. COPY cannot write into a table under
row-level security, so the rows land in a session's TEMP table of text columns and the
statements read them from there."""

from __future__ import annotations

import io
from collections.abc import Iterable

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line(values: list[str]) -> str:
    """One line of COPY's text format (no NULLs: empty strings, NULLIF in SQL)."""
    line = "\t".join(values)
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != len(values) - 1:
        line = "\t".join(v.translate(_ESCAPES) for v in values)
    return line


def copy_into(cursor, table: str, columns: list[str], lines: Iterable[str]) -> int:
    """A TEMP table of text columns, filled by COPY from `lines`; returns the row count."""
    buffer = io.StringIO()
    count = 0
    for line in lines:
        buffer.write(line)
        buffer.write("\n")
        count += 1
    buffer.seek(0)
    cols = ", ".join(f'"{c}" text' for c in columns)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMP TABLE {table} ({cols}) ON COMMIT DROP")
    # psycopg2's copy_expert, on the cursor Django handed out (its scope is already set).
    cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return count
