"""An amount in words, with its currency's forms ("одна тысяча двести рублей, пятьдесят
копеек"), in the five languages of invoices.

num2words is right for English and Russian with the currencies it knows (dollars, euros,
pounds, roubles with рубль / рубля / рублей and копейка / копейки / копеек, rupees and
paise); for the pairs it lacks (tögrög in English, rupees and tögrög in Russian) its bare
numbers are used with our own currency forms. It has no Mongolian and no Tamil, and its
Telugu says "ఒకటి వంద" for 100 and English currency names, so those three have small
spellers of their own here: Mongolian with the attributive forms a number takes before a
noun (таван зуун төгрөг), Tamil and Telugu in the Indian system (thousand, lakh, crore)
with the joining forms (நூற்று, వందల). `tests/invoices/test_words.py` holds them to a
table from 0 to billions.
"""

from __future__ import annotations

from decimal import Decimal

from num2words import num2words

from .money import cents

# --- Mongolian -----------------------------------------------------------------------------

_MN_ONES = ["тэг", "нэг", "хоёр", "гурав", "дөрөв", "тав", "зургаа", "долоо", "найм", "ес"]
# Before a noun or a larger unit a number takes its attributive form: гурван зуу, таван төгрөг.
_MN_ONES_ATTR = ["тэг", "нэг", "хоёр", "гурван", "дөрвөн", "таван", "зургаан", "долоон",
                 "найман", "есөн"]  # fmt: skip
_MN_TENS = ["", "арав", "хорь", "гуч", "дөч", "тавь", "жар", "дал", "ная", "ер"]
_MN_TENS_ATTR = ["", "арван", "хорин", "гучин", "дөчин", "тавин", "жаран", "далан", "наян",
                 "ерэн"]  # fmt: skip
# (scale, word, its attributive form before a noun)
_MN_SCALES = [(10**12, "их наяд", "их наяд"), (10**9, "тэрбум", "тэрбум"),
              (10**6, "сая", "сая"), (10**3, "мянга", "мянган")]  # fmt: skip


def _mn_below_thousand(n: int, attributive: bool) -> list[str]:
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    words = []
    if hundreds:
        words += [_MN_ONES_ATTR[hundreds], "зуун" if rest or attributive else "зуу"]
    if tens:
        words.append(_MN_TENS_ATTR[tens] if ones or attributive else _MN_TENS[tens])
    if ones:
        words.append(_MN_ONES_ATTR[ones] if attributive else _MN_ONES[ones])
    return words


def mn_number(n: int, attributive: bool = False) -> str:
    """1234 -> "нэг мянга хоёр зуун гучин дөрөв"; attributive (before a noun):
    "... гучин дөрвөн"."""
    if n == 0:
        return _MN_ONES[0]
    words: list[str] = []
    for scale, word, word_attr in _MN_SCALES:
        count, n = divmod(n, scale)
        if count:
            words += _mn_below_thousand(count, True) if count < 1000 else [mn_number(count, True)]
            words.append(word_attr if attributive and n == 0 else word)
    words += _mn_below_thousand(n, attributive)
    return " ".join(words)


# --- Tamil ---------------------------------------------------------------------------------

_TA_ONES = ["பூஜ்ஜியம்", "ஒன்று", "இரண்டு", "மூன்று", "நான்கு", "ஐந்து", "ஆறு", "ஏழு",
            "எட்டு", "ஒன்பது"]  # fmt: skip
_TA_TEENS = ["பத்து", "பதினொன்று", "பன்னிரண்டு", "பதின்மூன்று", "பதினான்கு", "பதினைந்து",
             "பதினாறு", "பதினேழு", "பதினெட்டு", "பத்தொன்பது"]  # fmt: skip
# (alone, joined to what follows): இருபது, இருபத்து ஒன்று
_TA_TENS = {2: ("இருபது", "இருபத்து"), 3: ("முப்பது", "முப்பத்து"), 4: ("நாற்பது", "நாற்பத்து"),
            5: ("ஐம்பது", "ஐம்பத்து"), 6: ("அறுபது", "அறுபத்து"), 7: ("எழுபது", "எழுபத்து"),
            8: ("எண்பது", "எண்பத்து"), 9: ("தொண்ணூறு", "தொண்ணூற்று")}  # fmt: skip
_TA_HUNDREDS = {1: ("நூறு", "நூற்று"), 2: ("இருநூறு", "இருநூற்று"), 3: ("முந்நூறு", "முந்நூற்று"),
                4: ("நானூறு", "நானூற்று"), 5: ("ஐநூறு", "ஐநூற்று"), 6: ("அறுநூறு", "அறுநூற்று"),
                7: ("எழுநூறு", "எழுநூற்று"), 8: ("எண்ணூறு", "எண்ணூற்று"),
                9: ("தொள்ளாயிரம்", "தொள்ளாயிரத்து")}  # fmt: skip
# 1000 to 10000 are written as one word: இரண்டாயிரம், ஐயாயிரம் (joined: ஐயாயிரத்து).
_TA_THOUSANDS = {1: "ஆயிரம்", 2: "இரண்டாயிரம்", 3: "மூவாயிரம்", 4: "நான்காயிரம்", 5: "ஐயாயிரம்",
                 6: "ஆறாயிரம்", 7: "ஏழாயிரம்", 8: "எட்டாயிரம்", 9: "ஒன்பதாயிரம்",
                 10: "பத்தாயிரம்"}  # fmt: skip


def _ta_below_hundred(n: int) -> list[str]:
    if n < 10:
        return [_TA_ONES[n]]
    if n < 20:
        return [_TA_TEENS[n - 10]]
    tens, ones = divmod(n, 10)
    return [_TA_TENS[tens][0]] if ones == 0 else [_TA_TENS[tens][1], _TA_ONES[ones]]


def _ta_attributive(words: list[str], before_vowel: bool = False) -> list[str]:
    """Before a noun, ஒன்று is ஒரு (ஓர் before a vowel): இருபத்து ஒரு ரூபாய், ஓர் ஆயிரம்."""
    if words and words[-1] == "ஒன்று":
        return [*words[:-1], "ஓர்" if before_vowel else "ஒரு"]
    return words


def _ta_scale(count: int, alone: str, joined: str, more: bool) -> list[str]:
    """ஒரு லட்சம் / ஒரு லட்சத்து ..., இரண்டு லட்சம்."""
    return [*_ta_attributive(ta_number(count).split()), joined if more else alone]


def ta_number(n: int) -> str:
    """In the Indian system: 1,25,000 -> "ஒரு லட்சத்து இருபத்து ஐந்து ஆயிரம்"."""
    if n == 0:
        return _TA_ONES[0]
    words: list[str] = []
    crores, n = divmod(n, 10**7)
    if crores:
        words += _ta_scale(crores, "கோடி", "கோடியே", n > 0)
    lakhs, n = divmod(n, 10**5)
    if lakhs:
        words += _ta_scale(lakhs, "லட்சம்", "லட்சத்து", n > 0)
    thousands, n = divmod(n, 1000)
    if thousands in _TA_THOUSANDS:
        word = _TA_THOUSANDS[thousands]
        words.append(word[: -len("ம்")] + "த்து" if n else word)
    elif thousands:
        head = _ta_attributive(ta_number(thousands).split(), before_vowel=True)
        words += [*head, "ஆயிரத்து" if n else "ஆயிரம்"]
    hundreds, n = divmod(n, 100)
    if hundreds:
        words.append(_TA_HUNDREDS[hundreds][1 if n else 0])
    if n:
        words += _ta_below_hundred(n)
    return " ".join(words)


# --- Telugu --------------------------------------------------------------------------------

_TE_ONES = ["సున్నా", "ఒకటి", "రెండు", "మూడు", "నాలుగు", "ఐదు", "ఆరు", "ఏడు", "ఎనిమిది",
            "తొమ్మిది"]  # fmt: skip
_TE_TEENS = ["పది", "పదకొండు", "పన్నెండు", "పదమూడు", "పద్నాలుగు", "పదిహేను", "పదహారు",
             "పదిహేడు", "పద్దెనిమిది", "పంతొమ్మిది"]  # fmt: skip
_TE_TENS = ["", "", "ఇరవై", "ముప్పై", "నలభై", "యాభై", "అరవై", "డెబ్బై", "ఎనభై", "తొంభై"]


def _te_below_hundred(n: int) -> list[str]:
    if n < 10:
        return [_TE_ONES[n]]
    if n < 20:
        return [_TE_TEENS[n - 10]]
    tens, ones = divmod(n, 10)
    return [_TE_TENS[tens]] if ones == 0 else [_TE_TENS[tens], _TE_ONES[ones]]


def _te_attributive(words: list[str]) -> list[str]:
    """Before a noun, ఒకటి is ఒక: ఇరవై ఒక వేలు, ఒక రూపాయి."""
    return [*words[:-1], "ఒక"] if words and words[-1] == "ఒకటి" else words


def _te_scale(count: int, one: str, many: str, many_joined: str, more: bool) -> list[str]:
    """ఒక లక్ష, రెండు లక్షలు, రెండు లక్షల యాభై వేలు."""
    if count == 1:
        return ["ఒక", one]
    return [*_te_attributive(te_number(count).split()), many_joined if more else many]


def te_number(n: int) -> str:
    """In the Indian system: 2,50,000 -> "రెండు లక్షల యాభై వేలు"; 101 -> "నూట ఒకటి"."""
    if n == 0:
        return _TE_ONES[0]
    words: list[str] = []
    crores, n = divmod(n, 10**7)
    if crores:
        words += _te_scale(crores, "కోటి", "కోట్లు", "కోట్ల", n > 0)
    lakhs, n = divmod(n, 10**5)
    if lakhs:
        words += _te_scale(lakhs, "లక్ష", "లక్షలు", "లక్షల", n > 0)
    thousands, n = divmod(n, 1000)
    if thousands == 1:
        words.append("వెయ్యి")
    elif thousands:
        words += _te_scale(thousands, "వెయ్యి", "వేలు", "వేల", n > 0)
    hundreds, n = divmod(n, 100)
    if hundreds == 1:
        words.append("నూట" if n else "వంద")
    elif hundreds:
        words += [_TE_ONES[hundreds], "వందల" if n else "వందలు"]
    if n:
        words += _te_below_hundred(n)
    return " ".join(words)


# --- currencies ----------------------------------------------------------------------------

# Mongolian and Tamil nouns keep one form after a number.
_MN_CURRENCY = {"MNT": ("төгрөг", "мөнгө"), "USD": ("ам.доллар", "цент"), "EUR": ("евро", "цент"),
                "RUB": ("рубль", "копейк"), "INR": ("рупи", "пайс"), "GBP": ("фунт", "пенс"),
                "KZT": ("тэнгэ", "тийн"), "CNY": ("юань", "фэн")}  # fmt: skip
_TA_CURRENCY = {"INR": ("ரூபாய்", "பைசா"), "USD": ("டாலர்", "சென்ட்"), "EUR": ("யூரோ", "சென்ட்"),
                "RUB": ("ரூபிள்", "கோபெக்"), "MNT": ("துக்ரிக்", "மோங்கோ"),
                "GBP": ("பவுண்டு", "பென்ஸ்"), "KZT": ("டெங்கே", "டியின்"),
                "CNY": ("யுவான்", "ஃபென்")}  # fmt: skip
# Telugu: ((one, many), (one, many)) for the unit and the hundredth.
_TE_CURRENCY = {
    "INR": (("రూపాయి", "రూపాయలు"), ("పైసా", "పైసలు")),
    "USD": (("డాలర్", "డాలర్లు"), ("సెంట్", "సెంట్లు")),
    "EUR": (("యూరో", "యూరోలు"), ("సెంట్", "సెంట్లు")),
    "RUB": (("రూబుల్", "రూబుళ్లు"), ("కోపెక్", "కోపెక్‌లు")),
    "MNT": (("టుగ్రిక్", "టుగ్రిక్‌లు"), ("మోంగో", "మోంగోలు")),
    "GBP": (("పౌండ్", "పౌండ్లు"), ("పెన్నీ", "పెన్స్")),
    "KZT": (("టెంగే", "టెంగేలు"), ("టియిన్", "టియిన్‌లు")),
    "CNY": (("యువాన్", "యువాన్‌లు"), ("ఫెన్", "ఫెన్‌లు")),
}
# Where num2words knows the language but not the currency: (forms, gender) per part;
# Russian forms for 1, 2-4 and 5 (рупия / рупии / рупий), English for 1 and many.
_RU_CURRENCY = {
    "MNT": ((("тугрик", "тугрика", "тугриков"), "m"), (("мунгу", "мунгу", "мунгу"), "m")),
    "INR": ((("рупия", "рупии", "рупий"), "f"), (("пайса", "пайсы", "пайс"), "f")),
    "KZT": ((("тенге", "тенге", "тенге"), "m"), (("тиын", "тиына", "тиынов"), "m")),
    "GBP": ((("фунт", "фунта", "фунтов"), "m"), (("пенс", "пенса", "пенсов"), "m")),
    "CNY": ((("юань", "юаня", "юаней"), "m"), (("фэнь", "фэня", "фэней"), "m")),
}
_EN_CURRENCY = {
    "MNT": (("tugrik", "tugriks"), ("mongo", "mongo")),
    "KZT": (("tenge", "tenge"), ("tiyn", "tiyn")),
    "CNY": (("yuan", "yuan"), ("fen", "fen")),
}


def _ru_form(n: int, forms: tuple[str, str, str]) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def _spell(units: int, hundredths: int, currency: str, language: str) -> str:
    if language == "mn":
        unit, sub = _MN_CURRENCY.get(currency, (currency, ""))
        text = f"{mn_number(units, True)} {unit}"
        return f"{text}, {mn_number(hundredths, True)} {sub}" if hundredths and sub else text
    if language == "ta":
        unit, sub = _TA_CURRENCY.get(currency, (currency, ""))
        text = " ".join([*_ta_attributive(ta_number(units).split()), unit])
        if hundredths and sub:
            text += ", " + " ".join([*_ta_attributive(ta_number(hundredths).split()), sub])
        return text
    if language == "te":
        (one, many), (sub_one, sub_many) = _TE_CURRENCY.get(currency, ((currency,) * 2, ("",) * 2))
        text = " ".join(_te_attributive(te_number(units).split()))
        text = f"{text} {one if units == 1 else many}"
        if hundredths and sub_one:
            sub_words = " ".join(_te_attributive(te_number(hundredths).split()))
            text += f", {sub_words} {sub_one if hundredths == 1 else sub_many}"
        return text
    if language == "ru" and currency in _RU_CURRENCY:
        (forms, gender), (sub_forms, sub_gender) = _RU_CURRENCY[currency]
        return (
            f"{num2words(units, lang='ru', gender=gender)} {_ru_form(units, forms)}, "
            f"{num2words(hundredths, lang='ru', gender=sub_gender)} "
            f"{_ru_form(hundredths, sub_forms)}"
        )
    if language == "en" and currency in _EN_CURRENCY:
        (one, many), (sub_one, sub_many) = _EN_CURRENCY[currency]
        return (
            f"{num2words(units, lang='en')} {one if units == 1 else many}, "
            f"{num2words(hundredths, lang='en')} {sub_one if hundredths == 1 else sub_many}"
        )
    amount = Decimal(units) + Decimal(hundredths) / 100
    return num2words(amount, lang=language, to="currency", currency=currency)


def amount_in_words(amount: Decimal, currency: str, language: str) -> str:
    """The amount (its absolute value: a credit note says "minus" by its title) in words,
    capitalised; "" for a language none of the spellers knows."""
    amount = abs(cents(amount))
    units = int(amount)
    hundredths = int((amount - units) * 100)
    try:
        text = _spell(units, hundredths, currency, language)
    except (NotImplementedError, KeyError, AttributeError, TypeError, ValueError, OverflowError):
        return ""
    return text[:1].upper() + text[1:]
