"""Requisites checked by their own rules, so a typo is caught on the form and not by the
bank: ИНН (10 and 12 digits, check digits), КПП, БИК, the settlement and correspondent
accounts against the БИК (the control key), GSTIN (format and check character) and the
Mongolian register number (its format); the client's requisites on an invoice by the rules
of the invoice's country template; HSN/SAC codes and e-Barimt receipt numbers."""

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
_HSN_SAC = re.compile(r"^\d{4,8}$")
_RECEIPT = re.compile(r"^[0-9A-Za-z-]{1,64}$")


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


def hsn_sac_valid(value: str) -> bool:
    """An HSN (goods) or SAC (services) code: 4 to 8 digits."""
    return bool(_HSN_SAC.match(value))


def receipt_valid(value: str) -> bool:
    """An e-Barimt receipt number (ДДТД): Latin letters, digits and dashes, up to 64."""
    return bool(_RECEIPT.match(value))


def inn_error(value: str) -> str:
    """Why an ИНН is wrong ("" when it is right): its length or its check digits."""
    if inn_valid(value):
        return ""
    if not (value.isascii() and value.isdigit() and len(value) in (10, 12)):
        return _("An ИНН has 10 digits (an organisation) or 12 (a person).")
    return _("This ИНН is not valid: check its digits.")


def gstin_error(value: str) -> str:
    """Why a GSTIN is wrong ("" when it is right): its shape, its state, its check
    character."""
    from .gst import STATES  # the state table lives with the rest of GST

    value = value.upper()
    if not _GSTIN.match(value):
        return _("A GSTIN has 15 characters: the state code, the PAN, then 3 more, "
                 "such as 27AAPFU0939F1ZV.")  # fmt: skip
    if value[:2] not in STATES:
        return _("This GSTIN starts with %(code)s, which is no Indian state code.") % {
            "code": value[:2]
        }
    if not gstin_valid(value):
        return _("This GSTIN is not valid: its last character does not match the others.")
    return ""


def mn_register_message() -> str:
    return _("A register number has 7 digits (an organisation), or two Cyrillic letters and "
             "8 digits (a person), such as УБ99061512.")  # fmt: skip


def check_seller(data: dict, country: str) -> None:
    """Every requisite given, checked by its country's rules; one message per field."""
    errors = {}
    tax_id = data.get("tax_id", "")
    if tax_id and country == "RU" and inn_error(tax_id):
        errors["tax_id"] = inn_error(tax_id)
    if tax_id and country == "IN" and gstin_error(tax_id):
        errors["tax_id"] = gstin_error(tax_id)
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
        errors["register_number"] = mn_register_message()
    if errors:
        raise ValidationError(errors)


# The client's requisites on an invoice, by the country of the invoice's template.
CLIENT_FIELDS = ("name", "address", "tax_id", "kpp", "register_number", "state")
TEMPLATE_COUNTRIES = {"ru": "RU", "in": "IN", "mn": "MN"}


def clean_client(data: dict, template: str) -> dict:
    """The client's requisites tidied (spaces, letter case) and checked by the rules of the
    template's country; errors are keyed `client_<field>`, one message each."""
    from .gst import STATES

    clean = {f: " ".join(str(data.get(f) or "").split()) for f in CLIENT_FIELDS}
    clean["address"] = str(data.get("address") or "").strip()
    country = TEMPLATE_COUNTRIES.get(template, "")
    errors = {}
    tax_id, kpp = clean["tax_id"], clean["kpp"].upper()
    if country == "RU":
        clean["kpp"] = kpp
        if tax_id and inn_error(tax_id):
            errors["client_tax_id"] = inn_error(tax_id)
        if kpp and not kpp_valid(kpp):
            errors["client_kpp"] = _("A КПП has 9 characters, such as 773601001.")
        elif kpp and len(tax_id) == 12:
            errors["client_kpp"] = _("A person's 12-digit ИНН has no КПП: leave it empty.")
    elif country == "IN":
        clean["tax_id"] = tax_id.upper()
        if tax_id and gstin_error(tax_id):
            errors["client_tax_id"] = gstin_error(tax_id)
        state = clean["state"]
        if state and state.zfill(2) not in STATES:
            errors["client_state"] = _("Choose the state by its GST code, such as 29 (Karnataka).")
        elif state:
            clean["state"] = state.zfill(2)
    elif country == "MN":
        register = clean["register_number"].upper()
        clean["register_number"] = register
        if register and not mn_register_valid(register):
            errors["client_register_number"] = mn_register_message()
    if errors:
        raise ValidationError(errors)
    return clean
