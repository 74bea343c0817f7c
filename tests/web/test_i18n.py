"""The Russian translation: who gets it, what it covers and how money reads in each locale."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from crm.web.templatetags.money import money
from tests.conftest import add_member, make_user

pytestmark = pytest.mark.django_db

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "ru" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def text(response) -> str:
    return response.content.decode()


def spaces(value: str) -> str:
    """Babel separates groups and symbols with (narrow) no-break spaces."""
    return value.replace("\xa0", " ").replace("\u202f", " ")


def member(workspace, language: str):
    tenant, _ = workspace
    return add_member(tenant, "manager", user=make_user(language=language))


def test_a_member_whose_profile_says_ru_sees_the_members_page_in_russian(client, workspace):
    client.force_login(member(workspace, "ru").user)
    response = client.get(reverse("members"))
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert '<html lang="ru"' in text(response)
    page = text(response)
    for word in ("Участники", "Сделки", "Контакты", "Компании", "Задачи", "Настройки", "Выйти"):
        assert word in page, word
    for word in ("Members", "Deals", "Settings", "Log out"):
        assert f">{word}<" not in page, word


def test_an_anonymous_visitor_whose_browser_asks_for_ru_gets_the_russian_login_page(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.8")
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    page = text(response)
    assert "Войти" in page
    assert "Забыли пароль?" in page
    assert "Log in" not in page


def test_english_stays_the_default_without_a_preference(client):
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "en"
    assert "Log in" in text(response)


@pytest.mark.parametrize(
    ("profile", "browser", "expected", "seen"),
    [
        ("ru", "en-US,en;q=0.9", "ru", "Участники"),
        ("en", "ru-RU,ru;q=0.9", "en", "Members"),
        ("", "ru-RU,ru;q=0.9", "ru", "Участники"),  # no preference: the browser decides
    ],
)
def test_the_profile_language_wins_over_the_browsers(
    client, workspace, profile, browser, expected, seen
):
    client.force_login(member(workspace, profile).user)
    response = client.get(reverse("members"), HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 200
    assert response["Content-Language"] == expected
    assert seen in text(response)


def test_money_is_formatted_for_the_locale():
    with translation.override("en"):
        assert money(1234.5, "USD") == "$1,234.50"
        assert Template('{% load money %}{{ v|money:"USD" }}').render(Context({"v": 1234.5})) == (
            "$1,234.50"
        )
    with translation.override("ru"):
        assert spaces(money(1234.5, "RUB")) == "1 234,50 ₽"
        rendered = Template('{% load money %}{{ v|money:"RUB" }}').render(Context({"v": "1234.5"}))
        assert spaces(rendered) == "1 234,50 ₽"
    assert money("not a number", "USD") == ""


def _catalogue():
    with (LC_MESSAGES / "django.po").open("rb") as f:
        return read_po(f, locale="ru")


def test_every_message_of_the_catalogue_is_translated():
    catalogue = _catalogue()
    assert catalogue.num_plurals == 4  # Django's own Plural-Forms for ru (the 4th: fractions)
    assert not catalogue.fuzzy
    assert not catalogue.obsolete, "remove the obsolete (#~) entries"
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 200
    for message in messages:
        assert not message.fuzzy, message.id
        ids = message.id if message.pluralizable else (message.id,)
        strings = message.string if message.pluralizable else (message.string,)
        assert len(strings) == (catalogue.num_plurals if message.pluralizable else 1), message.id
        wanted = {p for i in ids for p in PLACEHOLDER.findall(i)}
        for string in strings:
            assert string.strip(), f"untranslated: {message.id!r}"
            assert set(PLACEHOLDER.findall(string)) == wanted, (message.id, string)


def test_the_compiled_catalogue_matches_the_po_file():
    with (LC_MESSAGES / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in _catalogue():
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            for n, form in ((1, 0), (2, 1), (5, 2), (21, 0), (22, 1), (11, 2)):
                assert compiled.ngettext(singular, plural, n) == message.string[form], (n, singular)
        else:
            assert compiled.gettext(message.id) == message.string, message.id
    assert all(compiled._catalog.values()), "an empty translation in django.mo"


def test_django_serves_the_projects_russian_strings():
    catalogue = _catalogue()
    with translation.override("ru"):
        for message in catalogue:
            if message.id and not message.pluralizable:
                assert translation.gettext(message.id) == message.string, message.id
            elif message.id:
                singular, plural = message.id
                assert translation.ngettext(singular, plural, 3) == message.string[1], singular
