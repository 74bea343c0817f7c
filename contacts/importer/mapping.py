"""Which column goes to which field: the catalogue of importable fields, automatic mapping by
header names (English and Russian), and mappings saved as ImportTemplate.

A mapping is {column index: field name}; a field name is one of FIELDS or
`custom.<key>` for an admin-defined field. Columns left out are ignored. emails, phones and
tags may take several columns (their values are united); any other field takes one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import CustomField, ImportTemplate

CUSTOM_PREFIX = "custom."


@dataclass(frozen=True)
class Field:
    name: str
    label: object  # a lazy translation
    kind: str  # text, name, emails, phones, phone, company, website, date, owner, tags, custom
    max_length: int = 0
    multi: bool = False


CONTACT_FIELDS: dict[str, Field] = {
    f.name: f
    for f in [
        Field("first_name", gettext_lazy("First name"), "text", 100),
        Field("last_name", gettext_lazy("Last name"), "text", 100),
        Field("middle_name", gettext_lazy("Middle name"), "text", 100),
        Field("full_name", gettext_lazy("Full name (split into parts)"), "name", 300),
        Field("emails", gettext_lazy("Email"), "emails", 254, multi=True),
        Field("phones", gettext_lazy("Phone"), "phones", 20, multi=True),
        Field("company", gettext_lazy("Company"), "company", 200),
        Field("company_website", gettext_lazy("Company website or domain"), "website", 250),
        Field("position", gettext_lazy("Position"), "text", 120),
        Field("telegram", gettext_lazy("Telegram"), "text", 64),
        Field("whatsapp", gettext_lazy("WhatsApp"), "phone", 20),
        Field("birthday", gettext_lazy("Birthday"), "date"),
        Field("owner", gettext_lazy("Owner (a member's email)"), "owner", 254),
        Field("tags", gettext_lazy("Tags"), "tags", 50, multi=True),
        Field("source", gettext_lazy("Lead source"), "text", 80),
        Field("utm_source", "utm_source", "text", 200),
        Field("utm_medium", "utm_medium", "text", 200),
        Field("utm_campaign", "utm_campaign", "text", 200),
        Field("utm_term", "utm_term", "text", 200),
        Field("utm_content", "utm_content", "text", 200),
    ]
}

# Header names, normalised by `norm` (lower case, ё as е, punctuation as single spaces).
SYNONYMS: dict[str, list[str]] = {
    "first_name": ["first name", "firstname", "first", "given name", "forename", "name first",
                   "имя", "имя клиента", "имя контакта"],
    "last_name": ["last name", "lastname", "surname", "family name", "second name", "фамилия"],
    "middle_name": ["middle name", "middlename", "patronymic", "отчество"],
    "full_name": ["name", "full name", "fullname", "contact", "contact name", "contact person",
                  "client", "customer", "person", "фио", "ф и о", "полное имя", "контакт",
                  "контактное лицо", "клиент", "имя фамилия", "фамилия имя",
                  "фамилия имя отчество", "покупатель"],
    "emails": ["email", "e mail", "emails", "email address", "e mail address", "mail",
               "work email", "personal email", "эл почта", "электронная почта", "почта",
               "e mail адрес", "адрес почты", "адрес электронной почты", "емейл", "имейл",
               "емэйл", "мейл", "email адрес"],
    "phones": ["phone", "phones", "phone number", "telephone", "tel", "mobile", "mobile phone",
               "cell", "cell phone", "work phone", "home phone", "телефон", "телефоны", "тел",
               "номер телефона", "мобильный", "мобильный телефон", "моб телефон", "сотовый",
               "рабочий телефон", "контактный телефон"],
    "company": ["company", "company name", "organization", "organisation", "account",
                "employer", "business", "компания", "название компании", "организация",
                "фирма", "юрлицо", "место работы", "работодатель"],
    "company_website": ["website", "web site", "site", "web", "url", "domain", "company website",
                        "company domain", "company site", "homepage", "сайт", "веб сайт",
                        "домен", "сайт компании"],
    "position": ["position", "title", "job title", "job", "role", "occupation", "должность",
                 "позиция", "роль"],
    "telegram": ["telegram", "tg", "telegram username", "телеграм", "телеграмм", "тг"],
    "whatsapp": ["whatsapp", "whats app", "wa", "вотсап", "ватсап", "уатсап", "вацап"],
    "birthday": ["birthday", "birth date", "birthdate", "date of birth", "dob", "born",
                 "день рождения", "дата рождения", "др"],
    "owner": ["owner", "owner email", "responsible", "manager", "assigned to", "assignee",
              "account manager", "sales rep", "ответственный", "менеджер", "владелец",
              "ответственный менеджер"],
    "tags": ["tags", "tag", "labels", "label", "теги", "тег", "метки", "метка"],
    "source": ["source", "lead source", "channel", "источник", "источник лида",
               "источник клиента", "канал"],
    "utm_source": ["utm source"],
    "utm_medium": ["utm medium"],
    "utm_campaign": ["utm campaign"],
    "utm_term": ["utm term"],
    "utm_content": ["utm content"],
}  # fmt: skip

# Header words that still mark a column when the whole name is not a synonym ("Email 2",
# "Телефон (рабочий)").
CONTAINS = [
    ("emails", ("email", "e mail", "почта", "емейл", "имейл")),
    ("phones", ("phone", "телефон", "mobile", "мобильн")),
]

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def norm(header: str) -> str:
    return " ".join(_PUNCT.sub(" ", str(header).lower().replace("ё", "е")).split())


_BY_SYNONYM = {norm(s): field for field, names in SYNONYMS.items() for s in names}


def custom_fields(object_type: str = "contact") -> dict[str, CustomField]:
    return {f.key: f for f in CustomField.objects.filter(object_type=object_type)}


def field_choices(custom: dict[str, CustomField]) -> list[tuple[str, str]]:
    """(name, label) of every field a column may go to, for the mapping form."""
    out = [(f.name, str(f.label)) for f in CONTACT_FIELDS.values()]
    out += [(f"{CUSTOM_PREFIX}{key}", field.label) for key, field in custom.items()]
    return out


def _guess(header: str, custom: dict[str, CustomField]) -> str | None:
    name = norm(header)
    if not name:
        return None
    for key, field in custom.items():
        if name in (norm(key), norm(field.label)):
            return f"{CUSTOM_PREFIX}{key}"
    if name in _BY_SYNONYM:
        return _BY_SYNONYM[name]
    if name.replace(" ", "_") in CONTACT_FIELDS:
        return name.replace(" ", "_")
    padded = f" {name} "
    for field, words in CONTAINS:
        if any(f" {w}" in padded for w in words):
            return field
    return None


def auto_map(
    headers: list[str],
    custom: dict[str, CustomField] | None = None,
    template: dict[str, str] | None = None,
) -> dict[int, str]:
    """{column index: field} guessed from the header names. A saved template (header →
    field) is applied first; single-value fields go to their first matching column."""
    custom = custom_fields() if custom is None else custom
    known = {norm(h): f for h, f in (template or {}).items()}
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for source in ("template", "guess"):
        for index, header in enumerate(headers):
            if index in mapping:
                continue
            field = known.get(norm(header)) if source == "template" else _guess(header, custom)
            if not field or not _is_field(field, custom):
                continue
            if field in taken and not _multi(field):
                continue
            mapping[index] = field
            taken.add(field)
    return mapping


def _is_field(name: str, custom: dict[str, CustomField]) -> bool:
    if name.startswith(CUSTOM_PREFIX):
        return name.removeprefix(CUSTOM_PREFIX) in custom
    return name in CONTACT_FIELDS


def _multi(name: str) -> bool:
    field = CONTACT_FIELDS.get(name)
    return bool(field and field.multi)


def clean_mapping(raw: dict, headers: list[str], custom: dict[str, CustomField]) -> dict[int, str]:
    """A mapping from a form or the API, checked: {column index: field}, empty values
    dropped. ValidationError names every problem."""
    if not isinstance(raw, dict):
        raise ValidationError({"mapping": _("The mapping must be an object.")})
    errors, mapping, seen = [], {}, {}
    for key, field in raw.items():
        if field in (None, "", "-"):
            continue
        try:
            index = int(key)
        except (TypeError, ValueError):
            errors.append(_("“%(key)s” is not a column number.") % {"key": key})
            continue
        if not 0 <= index < len(headers):
            errors.append(_("There is no column %(n)s.") % {"n": index})
            continue
        if not isinstance(field, str) or not _is_field(field, custom):
            errors.append(_("“%(field)s” is not a field you can import into.") % {"field": field})
            continue
        if field in seen and not _multi(field):
            errors.append(
                _("“%(a)s” and “%(b)s” both go to the same field.")
                % {"a": headers[seen[field]], "b": headers[index]}
            )
            continue
        seen.setdefault(field, index)
        mapping[index] = field
    fields = set(mapping.values())
    identity = {"first_name", "last_name", "middle_name", "full_name", "emails", "phones"}
    if not errors and not fields & identity:
        errors.append(_("Choose a column for the name, the email or the phone."))
    if errors:
        raise ValidationError({"mapping": errors})
    return dict(sorted(mapping.items()))


# --- templates ---------------------------------------------------------------------------


def to_template(mapping: dict[int, str], headers: list[str]) -> dict[str, str]:
    return {headers[index]: field for index, field in sorted(mapping.items())}


def best_template(headers: list[str], object_type: str = "contact") -> ImportTemplate | None:
    """The saved template that knows most of these header names (at least half of its own)."""
    names = {norm(h) for h in headers}
    best, best_score = None, 0
    for template in ImportTemplate.objects.filter(object_type=object_type):
        known = {norm(h) for h in template.mapping}
        score = len(known & names)
        if score and score * 2 >= len(known) and score > best_score:
            best, best_score = template, score
    return best


def template_save(
    name: str, mapping: dict[int, str], headers: list[str], object_type: str = "contact"
) -> ImportTemplate:
    template, _created = ImportTemplate.objects.update_or_create(
        object_type=object_type,
        name=name.strip()[:120],
        defaults={"mapping": to_template(mapping, headers)},
    )
    return template


def stored(mapping: dict[int, str]) -> dict[str, str]:
    """As kept in ImportJob.mapping (JSON object keys are strings)."""
    return {str(k): v for k, v in sorted(mapping.items())}


def loaded(mapping: dict) -> dict[int, str]:
    return {int(k): v for k, v in (mapping or {}).items()}
