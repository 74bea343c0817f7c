"""Normalising what people type: phones to E.164, emails to lower case, the search haystack."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

DIGITS = re.compile(r"\D+")


def phone(raw: str, region: str = "US") -> str:
    """E.164 for a phone in any common format; ValidationError if it is not a phone."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": raw}) from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("“%(value)s” is not a phone number.") % {"value": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_or_none(raw: str, region: str = "US") -> str | None:
    try:
        return phone(raw, region)
    except ValidationError:
        return None


def email(raw: str) -> str:
    value = raw.strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValidationError(_("“%(value)s” is not an email address.") % {"value": raw}) from exc
    return value


def split_list(raw) -> list[str]:
    """A list typed in one cell or field: commas, semicolons or new lines between items."""
    if isinstance(raw, list | tuple):
        return [str(v).strip() for v in raw if str(v).strip()]
    return [p.strip() for p in re.split(r"[,;\n]+", raw or "") if p.strip()]


def domain_of(website: str) -> str:
    if not website:
        return ""
    try:
        host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    except ValueError:  # "http://[::1": the URL validation says what is wrong with it
        return ""
    return host.lower().removeprefix("www.")


def haystack(*parts, phones=(), emails=()) -> str:
    """What search matches against: names, emails, and phones as bare digits."""
    words = [p for p in parts if p]
    words += list(emails)
    words += [DIGITS.sub("", p) for p in phones]
    return " ".join(words).lower()
