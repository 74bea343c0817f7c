"""The API's JSON parser: JSON as DRF reads it, refusing text PostgreSQL cannot store.

A NUL ("\\u0000") or a lone surrogate ("\\ud800") is valid JSON but cannot be saved in a text
or jsonb column (NUL) or even encoded to UTF-8 (a lone surrogate): anywhere in a body, in a
key or a value however deep, it is a 400 here rather than a 500 at the first save. Query
parameters and form fields are checked by crm.web.middleware.RejectNulMiddleware.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # "[[[[..." deeper than the decoder goes: no 500
            raise ParseError(_("The JSON is nested too deeply.")) from None
        if not _storable(data, MAX_DEPTH):
            raise ParseError(_("Text cannot contain a NUL (null character) or a lone surrogate."))
        return data


def _storable(value, depth: int) -> bool:
    if depth <= 0:
        raise ParseError(_("The JSON is nested too deeply."))
    if isinstance(value, str):
        return "\x00" not in value and _encodable(value)
    if isinstance(value, dict):
        return all(_storable(k, depth) and _storable(v, depth - 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v, depth - 1) for v in value)
    return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
