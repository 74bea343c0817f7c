"""Requisites checked by their own rules, so a typo is caught on the form and not by the
bank: ИНН (10 and 12 digits, check digits), КПП, БИК, the settlement and correspondent
accounts against the БИК (the control key), GSTIN (format and check character) and the
Mongolian register number (its format)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
_GSTIN = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_MN_REGISTER = re.compile(r"^(\d{7}|[А-ЯЁӨҮ]{2}\d{8})$")
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _check(digits: str, weights) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_valid(value: str) -> bool:
    if not value.isascii() or not value.isdigit():
        return False
    if len(value) == 10:
        return _check(value, _INN10) == int(value[9])
    if len(value) == 12:
        return _check(value, _INN11) == int(value[10]) and _check(value, _INN12) == int(value[11])
    return False


def kpp_valid(value: str) -> bool:
    return bool(_KPP.match(value))


def bik_valid(value: str) -> bool:
    return len(value) == 9 and value.isascii() and value.isdigit()


def _key_ok(digits: str) -> bool:
    """The Bank of Russia's control key: weights 7, 1, 3 over 23 digits, the sum of the
    products' last digits ends in 0."""
    return sum(int(d) * (7, 1, 3)[i % 3] % 10 for i, d in enumerate(digits)) % 10 == 0


def account_valid(account: str, bik: str) -> bool:
    """A settlement account (20 digits) of the bank with this БИК."""
    ok = len(account) == 20 and account.isascii() and account.isdigit() and bik_valid(bik)
    return ok and _key_ok(bik[-3:] + account)


def corr_account_valid(account: str, bik: str) -> bool:
    """The bank's correspondent account (20 digits, 301...) for this БИК."""
    ok = len(account) == 20 and account.isascii() and account.isdigit() and bik_valid(bik)
    return ok and _key_ok("0" + bik[4:6] + account)


def gstin_valid(value: str) -> bool:
    if not _GSTIN.match(value):
        return False
    total = 0
    for i, char in enumerate(value[:14]):
        product = _BASE36.index(char) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return _BASE36[(36 - total % 36) % 36] == value[14]


def mn_register_valid(value: str) -> bool:
    return bool(_MN_REGISTER.match(value.upper()))


def check_seller(data: dict, country: str) -> None:
    """Every requisite given, checked by its country's rules; one message per field."""
    errors = {}
    tax_id = data.get("tax_id", "")
    if tax_id and country == "RU" and not inn_valid(tax_id):
        errors["tax_id"] = _("This ИНН is not valid: check its digits.")
    if tax_id and country == "IN" and not gstin_valid(tax_id):
        errors["tax_id"] = _("This GSTIN is not valid: check its characters.")
    if data.get("kpp") and not kpp_valid(data["kpp"]):
        errors["kpp"] = _("A КПП has 9 characters, such as 773601001.")
    bik = data.get("bik", "")
    if bik and not bik_valid(bik):
        errors["bik"] = _("A БИК has 9 digits.")
    if data.get("account") and bik and not account_valid(data["account"], bik):
        errors["account"] = _("This account does not match the БИК: check its digits.")
    if data.get("corr_account") and bik and not corr_account_valid(data["corr_account"], bik):
        errors["corr_account"] = _("This account does not match the БИК: check its digits.")
    register = data.get("register_number", "")
    if register and country == "MN" and not mn_register_valid(register):
        errors["register_number"] = _(
            "A register number has 7 digits, or two letters and 8 digits."
        )
    if errors:
        raise ValidationError(errors)
