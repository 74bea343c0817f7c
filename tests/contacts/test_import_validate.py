"""The importer's fast cleaners give exactly what contacts/normalize.py gives."""

import random

import pytest
from django.core.exceptions import ValidationError

from contacts import normalize
from contacts.importer.validate import DateCleaner, EmailCleaner, PhoneCleaner

REGIONS = ["RU", "US", "GB", "DE", "FR", "IT", "MN", "KZ", "IN", "BR", "CN", "AU", "AR", "MX"]


def phone_corpus(rnd: random.Random, n: int = 1500) -> list[str]:
    shapes = [
        lambda d: f"+{d[:1]} ({d[1:4]}) {d[4:7]}-{d[7:9]}-{d[9:11]}",
        lambda d: f"+{d}",
        lambda d: f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:10]}",
        lambda d: f"8{d[:10]}",
        lambda d: f"7{d[:10]}",
        lambda d: f"1{d[:10]}",
        lambda d: f"0{d[:10]}",
        lambda d: f"00{d[:12]}",
        lambda d: f"810{d[:11]}",
        lambda d: f"011{d[:11]}",
        lambda d: f"({d[:3]}) {d[3:6]}-{d[6:10]}",
        lambda d: d[: rnd.randint(3, 16)],
        lambda d: f"+{d[: rnd.randint(2, 18)]}",
        lambda d: f"+0{d[:10]}",
        lambda d: f"{d[:3]}.{d[3:6]}.{d[6:10]}",
        lambda d: f"+976 {d[:8]}",
        lambda d: f"+44 (0) {d[:10]}",
        lambda d: f"+39 0{d[:9]}",
        lambda d: f"+7 {d[:3]} {d[3:10]} ext. 12",
        lambda d: f"{d[:5]}x{d[5:8]}",
        lambda d: f"+{d[:11]}\u00a0",
    ]
    out = []
    for _ in range(n):
        digits = "".join(rnd.choice("0123456789") for _ in range(20))
        if rnd.random() < 0.5:
            digits = rnd.choice("9495786") + digits[1:]
        out.append(rnd.choice(shapes)(digits))
    return out


@pytest.mark.parametrize("region", REGIONS)
def test_phone_cleaner_agrees_with_normalize(region):
    rnd = random.Random(region)
    cleaner = PhoneCleaner(region)
    for raw in phone_corpus(rnd) * 2:  # twice: the second time from the memo
        expected = normalize.phone_or_none(raw, region)
        try:
            got = cleaner(raw)
        except ValidationError as exc:
            assert expected is None, (raw, expected)
            assert exc.messages == [f"“{raw}” is not a phone number."]
            continue
        assert got == expected, (raw, region)


def test_phone_cleaner_takes_the_short_path_for_usual_input():
    cleaner = PhoneCleaner("RU")
    cleaner("+7 916 000-00-00")  # the first of its shape learns "possible" the long way
    for raw in ["+7 (916) 123-45-67", "8 916 123 45 68", "89161234569", "79161234560",
                "+1 202 555 0100", "+44 20 7946 0958"]:  # fmt: skip
        assert cleaner._fast(PhoneCleaner.key(raw)) is not None or raw
    assert cleaner._fast("89161234569") == "+79161234569"


EMAILS = [
    "a@b.co", "Ivan.Petrov@Example.COM", " spaced@example.com ", "a..b@example.com",
    ".a@example.com", "a@-example.com", "a@example", "a@localhost", "a@[127.0.0.1]",
    "a@[::1]", '"quoted name"@example.com', "иван@пример.рф", "a@xn--e1afmkfd.xn--p1ai",
    "a+tag@example.com", "a@b.c", "no-at-sign", "@example.com", "a@", "a@b@c.com",
    "x" * 250 + "@example.com", "a@" + "b" * 64 + ".com", "user@sub.domain.example.co.uk",
    "a@exa_mple.com", "a@example.c0m", "a@example.com.", "UPPER@EXAMPLE.ORG",
]  # fmt: skip


@pytest.mark.parametrize("raw", EMAILS)
def test_email_cleaner_agrees_with_normalize(raw):
    try:
        expected = normalize.email(raw)
        if len(expected) > 254:
            expected = "too long"
    except ValidationError as exc:
        expected = exc.messages
    try:
        got = EmailCleaner()(raw)
    except ValidationError as exc:
        got = "too long" if "Too long" in exc.messages[0] else exc.messages
    assert got == expected


@pytest.mark.parametrize(
    ("region", "raw", "iso"),
    [
        ("RU", "17.05.1990", "1990-05-17"),
        ("RU", "17/05/1990", "1990-05-17"),
        ("RU", "05/06/1990", "1990-06-05"),
        ("US", "05/06/1990", "1990-05-06"),
        ("US", "17.05.1990", "1990-05-17"),
        ("RU", "1990-05-17", "1990-05-17"),
        ("RU", "1990-5-7", "1990-05-07"),
        ("RU", "1990-05-17 00:00:00", "1990-05-17"),
        ("RU", "17.05.90", "1990-05-17"),
        ("RU", "31.02.2020", None),
        ("RU", "tomorrow", None),
        ("RU", "01.01.1800", None),
    ],
)
def test_dates(region, raw, iso):
    cleaner = DateCleaner(region)
    if iso is None:
        with pytest.raises(ValidationError):
            cleaner(raw)
    else:
        assert cleaner(raw) == iso
