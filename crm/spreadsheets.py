"""Cells that go into a spreadsheet people open: the exports, and the failed rows an import
hands back. One rule for both."""

from __future__ import annotations

import re

# A spreadsheet program runs a cell starting with =, @, a tab or a carriage return as a
# formula, and one starting with + or - too, unless it reads as a number (CSV injection).
# Phones such as "+7 (916) 123-45-67" and negative numbers stay as they are.
_FORMULA = re.compile(r"^(?:[=@\t\r]|[+\-].*[^\d\s()+\-.,])")


def defuse(value) -> str:
    """`value` as the text of a cell no spreadsheet will run: a leading quote where it
    could be taken for a formula. Lists become comma-separated, None an empty cell."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    text = str(value)
    return f"'{text}" if text and _FORMULA.match(text) else text
