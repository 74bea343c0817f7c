"""Per-row normalisation and validation, with the rules of contacts/normalize.py.

`RowValidator(mapping, headers, context)(cells)` gives `(record, [])` or `(None, reasons)`.
A record is a plain dict holding only the fields the row fills:

    first_name, last_name, middle_name, position, telegram, source, utm_*: str
    emails, phones, tags: list[str] (normalised, without repeats)
    whatsapp: str (E.164), birthday: str (ISO date), owner_id: int
    company: str, company_website: str, company_domain: str
    custom: {key: JSON value}

It is fast on purpose (no ORM objects, caches for phones and dates): the loader runs it
on every row of files of tens of thousands of rows.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _
from phonenumbers import phonenumberutil as pnu
from phonenumbers.phonemetadata import PhoneMetadata

from crm.accounts.models import Membership
from crm.tenancy.context import require_tenant_id
from crm.tenancy.models import Tenant

from .. import custom_fields as custom_values
from .. import normalize
from ..models import CustomField
from .mapping import CONTACT_FIELDS, CUSTOM_PREFIX, custom_fields


@dataclass
class Context:
    """What validation needs to know about the workspace, loaded once per file."""

    region: str = "US"
    members: dict[str, int] = field(default_factory=dict)  # lower-cased email -> user id
    custom: dict[str, CustomField] = field(default_factory=dict)

    @classmethod
    def load(cls, object_type: str = "contact") -> Context:

        tenant = Tenant.objects.get(pk=require_tenant_id())
        members = {
            email.lower(): user_id
            for email, user_id in Membership.objects.filter(is_active=True).values_list(
                "user__email", "user_id"
            )
        }
        return cls(region=tenant.country, members=members, custom=custom_fields(object_type))


# --- single values -----------------------------------------------------------------------


def _not_phone(raw: str) -> ValidationError:
    return ValidationError(_("“%(value)s” is not a phone number.") % {"value": raw})


_SLOW = object()  # "ask phonenumbers itself"
_REJECTED_STRIPS = (
    pnu.ValidationResult.TOO_SHORT,
    pnu.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    pnu.ValidationResult.INVALID_LENGTH,
)


class PhoneCleaner:
    """normalize.phone, about ten times faster on the usual shapes of input.

    phonenumbers.parse spends most of its time on generic text handling (Unicode digits,
    extensions, letters, punctuation). Input made only of ASCII digits, an optional leading
    "+" and the usual separators (spaces, dashes, dots, brackets) takes a short path that
    runs the same steps with the library's own functions: the country code from the prefix,
    the international and national prefixes of the region, the length checks. Anything
    else goes through phonenumbers.parse. Results are memoised by the input without its
    separators, and "is it possible" by (country code, length), all it depends on.
    tests/contacts/test_import_validate.py holds both paths to the same answers.
    """

    def __init__(self, region: str):
        self.region = region
        self.cache: dict[str, str | None] = {}
        self.possible: dict[tuple[int, int], bool] = {}
        self.metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        self.by_code: dict[int, object] = {}
        if self.metadata is not None:
            self.code = self.metadata.country_code
            self.code_text = str(self.code)
            prefix = self.metadata.international_prefix
            self.idd = re.compile(prefix) if prefix else None

    @staticmethod
    def key(raw: str) -> str:
        """The input without separators (chained replace: several times faster here than
        str.translate or a regular expression)."""
        return (
            raw.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
            .replace(".", "").replace("\u00a0", "")
        )  # fmt: skip

    def __call__(self, raw: str) -> str:
        key = self.key(raw)
        try:
            value = self.cache[key]
        except KeyError:
            value = self._fast(key)
            if value is _SLOW:
                value = self._parse(raw)
            self.cache[key] = value
        if value is None:
            raise _not_phone(raw)
        return value

    def _parse(self, raw: str) -> str | None:
        try:
            number = phonenumbers.parse(raw, self.region)
        except phonenumbers.NumberParseException:
            return None
        national = phonenumbers.national_significant_number(number)
        shape = (number.country_code, len(national))
        possible = self.possible.get(shape)
        if possible is None:
            possible = self.possible[shape] = phonenumbers.is_possible_number(number)
        if not possible:
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def _metadata_for(self, code: int):
        """The metadata parse() uses for a number whose country code was read from it."""
        try:
            return self.by_code[code]
        except KeyError:
            region = pnu.region_code_for_country_code(code)
            if self.metadata is not None and region == self.region.upper():
                found = self.metadata
            else:
                found = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            self.by_code[code] = found
            return found

    def _fast(self, key: str):
        """E.164, None (not a phone) or _SLOW, following phonenumbers.parse step by step."""
        plus = key.startswith("+")
        digits = key[1:] if plus else key
        if not (4 <= len(digits) <= 17 and digits.isascii() and digits.isdigit()):
            return _SLOW
        if plus:  # _maybe_extract_country_code, number with a plus sign
            if digits[0] == "0":
                return _SLOW
            for size in (1, 2, 3):
                code = int(digits[:size])
                if code in pnu.COUNTRY_CODE_TO_REGION_CODE:
                    national = digits[size:]
                    break
            else:
                return _SLOW
            metadata = self._metadata_for(code)
        else:  # a national number, or one starting with the region's country code
            metadata = self.metadata
            if metadata is None or (self.idd is not None and self.idd.match(digits)):
                return _SLOW
            code, national = self.code, digits
            if digits.startswith(self.code_text):
                general = metadata.general_desc
                potential = digits[len(self.code_text) :]
                _, potential, _ = pnu._maybe_strip_national_prefix_carrier_code(potential, metadata)
                if (
                    not pnu._match_national_number(digits, general, False)
                    and pnu._match_national_number(potential, general, False)
                ) or pnu._test_number_length(digits, metadata) == pnu.ValidationResult.TOO_LONG:
                    national = potential
                    metadata = self._metadata_for(code)
        if metadata is None or len(national) < 2:
            return _SLOW
        _, potential, _ = pnu._maybe_strip_national_prefix_carrier_code(national, metadata)
        if pnu._test_number_length(potential, metadata) not in _REJECTED_STRIPS:
            national = potential
        if not 2 <= len(national) <= 17:
            return _SLOW
        possible = self.possible.get((code, len(national)))
        if possible is None:
            return _SLOW
        return f"+{code}{national}" if possible else None


class EmailCleaner:
    """normalize.email with Django's own expressions compiled once (validate_email's are
    lazy objects, slow to reach); what they do not accept goes to normalize.email for its
    exact answer and message."""

    def __init__(self):
        self.user = re.compile(validate_email.user_regex.pattern, validate_email.user_regex.flags)
        self.domain = re.compile(
            validate_email.domain_regex.pattern, validate_email.domain_regex.flags
        )
        self.allowlist = set(validate_email.domain_allowlist)

    def __call__(self, raw: str) -> str:
        value = raw.strip().lower()
        if 0 < len(value) <= 254 and "@" in value:
            user, domain = value.rsplit("@", 1)
            if self.user.match(user) and (domain in self.allowlist or self.domain.match(domain)):
                return value
        value = normalize.email(raw)
        if len(value) > 254:
            raise _too_long(254)
        return value


_DATE_FORMATS_DAY_FIRST = ["%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y", "%d/%m/%y"]
_DATE_FORMATS_MONTH_FIRST = ["%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y", "%d-%m-%Y", "%d.%m.%y"]
MONTH_FIRST_COUNTRIES = {"US", "PH", "FM", "MH", "PW", "BZ"}
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")


class DateCleaner:
    """ISO dates, and day-first dates (17.05.1990, 17/05/1990); month-first with slashes
    in the countries that write them so (US: 05/17/1990)."""

    def __init__(self, region: str):
        self.formats = (
            _DATE_FORMATS_MONTH_FIRST if region in MONTH_FIRST_COUNTRIES
            else _DATE_FORMATS_DAY_FIRST
        )  # fmt: skip
        self.cache: dict[str, str | None] = {}

    def __call__(self, raw: str) -> str:
        try:
            value = self.cache[raw]
        except KeyError:
            value = self.cache[raw] = self._parse(raw)
        if value is None:
            raise ValidationError(_("“%(value)s” is not a date.") % {"value": raw})
        return value

    def _parse(self, raw: str) -> str | None:
        text = raw.strip()
        if _ISO.match(text):
            try:
                return datetime.date.fromisoformat(text[:10]).isoformat()
            except ValueError:
                head = text.split(" ")[0].split("T")[0]
                try:
                    y, m, d = (int(p) for p in head.split("-"))
                    return datetime.date(y, m, d).isoformat()
                except ValueError:
                    return None
        text = text.split(" ")[0]
        for fmt in self.formats:
            try:
                parsed = datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007
            except ValueError:
                continue
            if parsed.year < 1900 or parsed.year > 2200:
                return None
            return parsed.isoformat()
        return None


_url = URLValidator()


def website(raw: str) -> tuple[str, str]:
    """(website, domain) from "acme.com", "www.acme.com" or "https://acme.com/about"."""
    value = raw.strip()
    candidate = value if "//" in value else f"https://{value}"
    try:
        _url(candidate)
    except ValidationError:
        raise ValidationError(_("“%(value)s” is not a website address.") % {"value": raw}) from None
    return candidate, normalize.domain_of(candidate)


def memo(clean, size: int = 50_000):
    """`clean` remembered by its input (values of a column repeat: companies, tags,
    amounts, sources); a refusal is remembered too."""
    cache: dict = {}

    def remembered(raw: str):
        try:
            hit = cache[raw]
        except KeyError:
            try:
                hit = clean(raw)
            except ValidationError as exc:
                hit = exc
            if len(cache) < size:
                cache[raw] = hit
        if hit.__class__ is ValidationError:
            raise hit
        return list(hit) if hit.__class__ is list else hit

    return remembered


def _too_long(max_length: int) -> ValidationError:
    return ValidationError(_("Too long: more than %(n)s characters.") % {"n": max_length})


# --- names -------------------------------------------------------------------------------

_PATRONYMIC = ("вич", "вна", "ична", "ич", "оглы", "кызы")
_SURNAME = ("ов", "ев", "ёв", "ин", "ын", "ова", "ева", "ёва", "ина", "ына", "ский", "ская",
            "цкий", "цкая", "ой", "ая", "енко", "ук", "юк", "дзе", "швили", "ян")  # fmt: skip


def split_full_name(raw: str) -> tuple[str, str, str]:
    """(first, middle, last) from one cell. Russian order ("Иванов Иван Иванович") is
    recognised by the patronymic or the surname ending; otherwise "First [Middle] Last"."""
    parts = raw.split()
    if not parts:
        return "", "", ""
    if len(parts) == 1:
        return parts[0], "", ""
    lowered = [p.lower() for p in parts]
    if len(parts) == 3 and lowered[2].endswith(_PATRONYMIC):
        return parts[1], parts[2], parts[0]  # Фамилия Имя Отчество
    if len(parts) == 3 and lowered[1].endswith(_PATRONYMIC):
        return parts[0], parts[1], parts[2]  # Имя Отчество Фамилия
    if len(parts) == 2 and _is_cyrillic(parts[0]):
        if lowered[0].endswith(_SURNAME) and not lowered[1].endswith(_SURNAME):
            return parts[1], "", parts[0]
        return parts[0], "", parts[1]
    if "," in raw:  # "Smith, John"
        last, _comma, first = raw.partition(",")
        return first.strip(), "", last.strip()
    return parts[0], " ".join(parts[1:-1]), parts[-1]


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


# --- rows --------------------------------------------------------------------------------

TEXT_FIELDS = ("first_name", "last_name", "middle_name", "position", "telegram", "source",
               "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")  # fmt: skip
IDENTITY = ("first_name", "last_name", "middle_name", "emails", "phones")


class RowValidator:
    """Compiled once per file from the mapping; called once per row."""

    def __init__(self, mapping: dict[int, str], headers: list[str], context: Context):
        self.context = context
        self.phone = PhoneCleaner(context.region)
        self._email = EmailCleaner()
        self.date = DateCleaner(context.region)
        # (column, field, header, how): how is a max length for plain text (checked inline,
        # the common case), or a function giving the value, for everything else.
        self.plan = []
        for index, name in sorted(mapping.items()):
            header = headers[index] if index < len(headers) else str(index)
            spec = CONTACT_FIELDS.get(name)
            how = spec.max_length if spec and spec.kind == "text" else self._cleaner(name)
            self.plan.append((index, name, header, how))
        self.has_full_name = "full_name" in mapping.values()

    def _cleaner(self, name: str):
        if name.startswith(CUSTOM_PREFIX):
            definition = self.context.custom[name.removeprefix(CUSTOM_PREFIX)]
            return memo(self._custom(definition))
        spec = CONTACT_FIELDS[name]
        kind, max_length = spec.kind, spec.max_length
        if kind == "emails":
            return self._emails
        if kind == "phones":
            return self._phones
        if kind == "phone":
            return self.phone
        if kind == "date":
            return self.date
        if kind == "owner":
            return self._owner
        if kind == "tags":
            return memo(self._tags)
        if kind == "website":
            return memo(website)

        def text(raw: str) -> str:
            value = " ".join(raw.split()) if "\n" in raw or "\t" in raw or "\r" in raw else raw
            if len(value) > max_length:
                raise _too_long(max_length)
            return value

        return text

    def _emails(self, raw: str) -> list[str]:
        if "," in raw or ";" in raw or "\n" in raw:
            return [self._email(e) for e in normalize.split_list(raw)]
        return [self._email(raw)]

    def _phones(self, raw: str) -> list[str]:
        if "," in raw or ";" in raw or "\n" in raw:
            return [self.phone(p) for p in normalize.split_list(raw)]
        return [self.phone(raw)]

    def _owner(self, raw: str) -> int:
        user_id = self.context.members.get(raw.strip().lower())
        if user_id is None:
            raise ValidationError(
                _("“%(value)s” is not a member of this workspace.") % {"value": raw}
            )
        return user_id

    @staticmethod
    def _tags(raw: str) -> list[str]:
        return [" ".join(t.split())[:50] for t in normalize.split_list(raw)]

    def _custom(self, definition: CustomField):
        date = self.date

        def clean(raw: str):
            if definition.field_type == CustomField.DATE:
                raw = date(raw)
            try:
                return custom_values.clean_value(definition, raw)
            except ValidationError as exc:
                # {"custom.key": "Label: message"}: keep the message after the label.
                message = next(iter(exc.message_dict.values()))[0]
                raise ValidationError(message.partition(": ")[2] or message) from None

        return clean

    def __call__(self, cells) -> tuple[dict | None, list[str]]:
        record: dict = {}
        errors: list[str] = []
        for index, name, header, how in self.plan:
            raw = cells[index]
            if not raw:
                continue
            if how.__class__ is int:  # plain text
                if "\n" in raw or "\t" in raw or "\r" in raw:
                    raw = " ".join(raw.split())
                if len(raw) > how:
                    errors.append(f"{header}: {_too_long(how).messages[0]}")
                else:
                    record[name] = raw
                continue
            try:
                value = how(raw)
            except ValidationError as exc:
                errors.append(f"{header}: {exc.messages[0]}")
                continue
            if name in ("emails", "phones", "tags"):
                if name in record:
                    record[name] = list(dict.fromkeys([*record[name], *value]))
                else:
                    record[name] = list(dict.fromkeys(value)) if len(value) > 1 else value
            elif name == "company_website":
                record["company_website"], record["company_domain"] = value
            elif name.startswith(CUSTOM_PREFIX):
                if value is not None:
                    record.setdefault("custom", {})[name.removeprefix(CUSTOM_PREFIX)] = value
            elif name == "owner":
                record["owner_id"] = value
            elif value:
                record[name] = value
        if self.has_full_name and "full_name" in record:
            self._split(record, errors)
        if errors:
            return None, errors
        if not any(k in record for k in IDENTITY):
            return None, [_("The row has no name, email or phone.")]
        return record, []

    @staticmethod
    def _split(record: dict, errors: list[str]) -> None:
        first, middle, last = split_full_name(record.pop("full_name"))
        for key, value in (("first_name", first), ("middle_name", middle), ("last_name", last)):
            if value and key not in record:
                if len(value) > 100:
                    label = CONTACT_FIELDS[key].label
                    errors.append(f"{label}: {_too_long(100).messages[0]}")
                else:
                    record[key] = value


# --- preview -----------------------------------------------------------------------------


def display(record: dict) -> dict[str, str]:
    """A record as text, field by field, for the preview table."""
    out = {}
    for key, value in record.items():
        if key == "custom":
            for ck, cv in value.items():
                out[f"{CUSTOM_PREFIX}{ck}"] = ", ".join(cv) if isinstance(cv, list) else str(cv)
        elif isinstance(value, list):
            out[key] = ", ".join(value)
        else:
            out[key] = "" if value is None else str(value)
    return out


def preview(table, mapping: dict[int, str], context: Context, limit: int = 20) -> list[dict]:
    """The first `limit` data rows: [{line, cells, values, errors}]."""
    validator = RowValidator(mapping, table.headers, context)
    owners = {v: k for k, v in context.members.items()}
    rows = []
    for line, cells in table.rows():
        record, errors = validator(cells)
        values = display(record) if record else {}
        if record and "owner_id" in record:
            values["owner"] = owners.get(record["owner_id"], "")
            values.pop("owner_id", None)
        rows.append({"line": line, "cells": list(cells), "values": values, "errors": errors})
        if len(rows) >= limit:
            break
    return rows
