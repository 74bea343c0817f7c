"""Admin-defined fields: validating values against their definitions, filtering by them."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from .models import CustomField
from .normalize import split_list

TEXT_MAX = 2000  # characters of a text value (and of any value as typed)
NUMBER_MAX = Decimal(10) ** 15  # numbers and money: up to a quadrillion, either sign


def definitions(object_type: str) -> list[CustomField]:
    return list(CustomField.objects.filter(object_type=object_type))


def clean_value(field: CustomField, raw):
    """The JSON value stored for `raw`; None clears it. ValidationError names the field."""
    if raw in (None, "", []):
        return None
    try:
        return _CLEANERS[field.field_type](field, raw)
    except (ValueError, TypeError, InvalidOperation, ValidationError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        raise ValidationError({f"custom.{field.key}": f"{field.label}: {message}"}) from exc


def _number(field, raw):
    value = Decimal(str(raw).replace(" ", "").replace(",", "."))
    if not value.is_finite():
        raise ValueError(_("not a number"))
    if abs(value) >= NUMBER_MAX:
        raise ValueError(_("too large a number"))
    return float(value) if value != value.to_integral() else int(value)


def _date(field, raw):
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    return datetime.date.fromisoformat(str(raw).strip()).isoformat()


def _select(field, raw):
    if str(raw) not in field.options:
        raise ValueError(_("choose one of: %(o)s") % {"o": ", ".join(field.options)})
    return str(raw)


def _multiselect(field, raw):

    values = split_list(raw)
    unknown = [v for v in values if v not in field.options]
    if unknown:
        raise ValueError(_("unknown options: %(o)s") % {"o": ", ".join(unknown)})
    return values


def _checkbox(field, raw):
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "y", "on", "да"}:
        return True
    if text in {"0", "false", "no", "n", "off", "нет"}:
        return False
    raise ValueError(_("expected yes or no"))


def _url(field, raw):
    value = str(raw).strip()
    URLValidator()(value)
    return value


_CLEANERS = {
    CustomField.TEXT: lambda f, raw: str(raw).strip()[:TEXT_MAX],
    CustomField.NUMBER: _number,
    CustomField.MONEY: _number,
    CustomField.DATE: _date,
    CustomField.SELECT: _select,
    CustomField.MULTISELECT: _multiselect,
    CustomField.CHECKBOX: _checkbox,
    CustomField.URL: _url,
}


def clean(object_type: str, raw: dict, current: dict | None = None) -> dict:
    """Merge `raw` into `current` after validating each value; unknown keys, and values that
    are not plain values (or short lists of them) of a sane size, are refused."""
    if not isinstance(raw, dict):
        raise ValidationError({"custom": _("Custom values must be an object.")})
    fields = {f.key: f for f in definitions(object_type)}
    unknown = set(raw) - set(fields)
    if unknown:
        raise ValidationError(
            {"custom": _("Unknown fields: %(k)s") % {"k": ", ".join(sorted(map(str, unknown)))}}
        )
    result = dict(current or {})
    errors = {}
    for key, value in raw.items():
        try:
            _check_size(fields[key], value)
            cleaned = clean_value(fields[key], value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if cleaned is None:
            result.pop(key, None)
        else:
            result[key] = cleaned
    if errors:
        raise ValidationError(errors)
    return result


def _check_size(field: CustomField, value) -> None:
    """A value as sent: a string, number, boolean or date, or a list of them for a
    multi-select, and no longer than TEXT_MAX characters written out."""
    items = value if isinstance(value, list) else [value]
    plain = all(v is None or isinstance(v, str | int | float | bool | datetime.date) for v in items)
    if not plain or (isinstance(value, list) and field.field_type != CustomField.MULTISELECT):
        message = _("%(label)s: expected a single value.") % {"label": field.label}
    elif sum(len(str(v)) for v in items) > TEXT_MAX:
        message = _("%(label)s: keep it under %(n)s characters.") % {
            "label": field.label,
            "n": TEXT_MAX + 1,
        }
    else:
        return
    raise ValidationError({f"custom.{field.key}": message})
