"""An amount in words, with its currency's forms ("одна тысяча двести рублей 50 копеек").

num2words writes the currency forms for Russian and English (roubles, dollars, euros,
rupees and paise) and bare numbers in Telugu; where it knows neither the currency nor the
language (Mongolian, Tamil, tögrög) the document leaves the line out rather than print a
wrong one."""

from __future__ import annotations

from decimal import Decimal

from num2words import num2words

from .money import cents


def amount_in_words(amount: Decimal, currency: str, language: str) -> str:
    amount = abs(cents(amount))
    try:
        text = num2words(amount, lang=language, to="currency", currency=currency)
    except (NotImplementedError, KeyError, AttributeError, TypeError, ValueError):
        return ""
    return text[:1].upper() + text[1:]
