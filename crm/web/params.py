"""One way to read ids, numbers, dates, pages and text from a request.

Every view, API filter and selector that takes a value from a query string or a form reads it
here, so bad input answers the same everywhere: `InvalidParameter`, a 400 that names the
parameter and says what was expected. Pages show it on the error page (crm.web.views
.error_400, through Django's BadRequest handling), the API in its error body (a Django
ValidationError, see crm.api.exceptions).

What each reader refuses, and why:
- ids: ASCII digits only (Python's int() and str.isdigit() take "²" or "٣"), within a
  PostgreSQL bigint;
- numbers: ASCII digits with an optional minus sign, within the bounds the caller gives (a
  count of days past a timedelta's range overflows);
- dates: YYYY-MM-DD, a real day, between DATE_MIN and DATE_MAX (a calendar steps a week or a
  month either side; year 1 or 9999 would leave the date range);
- pages: a whole number from 1 to MAX_PAGE (the offset must stay a bigint);
- text: no NUL, which PostgreSQL cannot store in text, and a length limit.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext as _

MAX_ID = 2**63 - 1  # a PostgreSQL bigint
MAX_PAGE = 100_000
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)
TEXT_MAX = 1000

_ASCII_INT = re.compile(r"-?[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class InvalidParameter(BadRequest, ValidationError):
    """A request parameter that cannot be read: {name: [message]}.

    A BadRequest, so a page that lets it through answers 400 (handler400); a ValidationError,
    so the API's exception handler names the parameter, and a view that already catches
    ValidationError (to show a message) catches this too."""

    def __init__(self, name: str, message: str):
        ValidationError.__init__(self, {name: [message]})
        self.name = name


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_id(value) -> int | None:
    """A record id typed in a URL or a form ("12"), else None: for lookups where anything
    else simply finds nothing (404), never an error."""
    text = str(value).strip() if value is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_id(value, name: str, *, required: bool = False) -> int | None:
    """An id from a filter or a form field: None if blank (unless required), else an id or
    InvalidParameter."""
    if _blank(value):
        if required:
            raise InvalidParameter(name, _("Choose one."))
        return None
    number = as_id(value)
    if number is None:
        raise InvalidParameter(name, _("Enter an id: a whole number written in digits 0-9."))
    return number


def parse_ids(values, name: str) -> list[int]:
    """Several ids (a repeated parameter, or a comma-separated one); any bad one refuses all."""
    if isinstance(values, str):
        values = values.split(",")
    return [i for i in (parse_id(v, name) for v in values or []) if i is not None]


def parse_int(
    value, name: str, *, min_value: int, max_value: int, default: int | None = None
) -> int | None:
    """A whole number between min_value and max_value; blank gives `default`."""
    if _blank(value):
        return default
    text = str(value).strip()
    if (
        not _ASCII_INT.fullmatch(text)
        or len(text) > 20
        or not (min_value <= int(text) <= max_value)
    ):
        raise InvalidParameter(
            name,
            _("Enter a whole number from %(min)s to %(max)s.")
            % {"min": min_value, "max": max_value},
        )
    return int(text)


def parse_date(
    value, name: str, *, min_value: dt.date = DATE_MIN, max_value: dt.date = DATE_MAX
) -> dt.date | None:
    """A day written YYYY-MM-DD within the bounds; blank gives None."""
    if _blank(value):
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        try:
            day = dt.date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
        except ValueError:
            day = None
    if day is None or not (min_value <= day <= max_value):
        raise InvalidParameter(
            name,
            _("Enter a date as YYYY-MM-DD, from %(min)s to %(max)s.")
            % {"min": min_value.isoformat(), "max": max_value.isoformat()},
        )
    return day


def parse_page(value, name: str = "page", *, max_page: int = MAX_PAGE) -> int:
    """A page number, 1 when blank."""
    return parse_int(value, name, min_value=1, max_value=max_page, default=1)


def has_nul(text) -> bool:
    return isinstance(text, str) and "\x00" in text


def clean_text(value, name: str, *, max_length: int = TEXT_MAX) -> str:
    """Text from a filter or a raw form field, stripped: no NUL, at most max_length long."""
    text = "" if value is None else str(value)
    if has_nul(text):
        raise InvalidParameter(name, nul_message())
    text = text.strip()
    if len(text) > max_length:
        raise InvalidParameter(name, _("Keep it under %(n)s characters.") % {"n": max_length + 1})
    return text


def nul_message() -> str:
    return _("Text cannot contain a NUL (null character).")


def json_loads(raw):
    """json.loads for text a client sent: a body nested deeper than the decoder's recursion
    limit ("[[[[..." 100,000 times) raises RecursionError, which no `except ValueError`
    around a parse catches and which would be a 500; here it is a ValueError like any other
    JSON the caller cannot use."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("The JSON is nested too deeply.") from None
