"""Admin-defined fields: validating values against their definitions, filtering by them."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from .models import CustomField


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
    from .normalize import split_list

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
    CustomField.TEXT: lambda f, raw: str(raw).strip()[:2000],
    CustomField.NUMBER: _number,
    CustomField.MONEY: _number,
    CustomField.DATE: _date,
    CustomField.SELECT: _select,
    CustomField.MULTISELECT: _multiselect,
    CustomField.CHECKBOX: _checkbox,
    CustomField.URL: _url,
}


def clean(object_type: str, raw: dict, current: dict | None = None) -> dict:
    """Merge `raw` into `current` after validating each value; unknown keys are refused."""
    fields = {f.key: f for f in definitions(object_type)}
    unknown = set(raw) - set(fields)
    if unknown:
        raise ValidationError({"custom": _("Unknown fields: %(k)s") % {"k": ", ".join(unknown)}})
    result = dict(current or {})
    errors = {}
    for key, value in raw.items():
        try:
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
