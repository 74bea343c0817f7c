"""Cells that go into a spreadsheet people open: the exports, and the failed rows an import
hands back. One rule for every cell of them, header cells included (a header may be a
custom field's label, a report's formula key or an uploaded file's column name)."""

from __future__ import annotations

import re

# A spreadsheet program runs a cell starting with =, @, a tab or a carriage return as a
# formula, and one starting with + or - too, unless it reads as a number (CSV injection).
# Phones such as "+7 (916) 123-45-67" and negative numbers stay as they are: arithmetic on
# digits alone calls no function. DOTALL: a line break must not hide a formula after it.
_FORMULA = re.compile(r"^(?:[=@\t\r]|[+\-].*[^\d\s()+\-.,])", re.DOTALL)


def defuse(value) -> str:
    """`value` as the text of a cell no spreadsheet will run: a leading quote where it
    could be taken for a formula. Lists become comma-separated, None an empty cell."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    text = str(value)
    return f"'{text}" if text and _FORMULA.match(text) else text


def defuse_row(values) -> list[str]:
    """Every cell of a row (a header's too) through `defuse`."""
    return [defuse(v) for v in values]
