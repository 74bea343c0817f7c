"""The translations (ru, mn, ta, te): who gets them, what they cover, and how money, numbers
and dates read in each locale."""

import datetime as dt
import gettext
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation

from crm.accounts.api import UserSerializer
from crm.accounts.forms import ProfileForm, WorkspaceForm
from crm.accounts.services import tenant_create
from crm.tenancy.context import tenant_scope
from crm.web.l10n import format_day, format_money
from crm.web.templatetags.money import money, number
from deals import board
from pipelines.models import Pipeline
from tests.conftest import add_member, make_user

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
# Each UI locale and the Plural-Forms its catalogue must declare.
PLURAL_FORMS = {
    # Django's own for ru: the 4th form is for fractions.
    "ru": (
        "nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<12 || n%100>14) ? 1 : n%10==0 || (n%10>=5 && n%10<=9) || "
        "(n%100>=11 && n%100<=14)? 2 : 3);"
    ),
    "mn": "nplurals=2; plural=(n != 1);",
    "ta": "nplurals=2; plural=(n != 1);",
    "te": "nplurals=2; plural=(n != 1);",
}
UI_LOCALES = list(PLURAL_FORMS)
MIN_TRANSLATED = 0.97
# What must survive translation unchanged: %(name)s, %s, %%, {name} and HTML tags.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf%]|\{\w*\}|</?[a-zA-Z][^>]*>")
ENGLISH_NAV = ("Members", "Deals", "Contacts", "Companies", "Tasks", "Settings", "Log out")
# The navigation and settings words each language must show instead.
NAV_WORDS = {
    "ru": ("Участники", "Сделки", "Контакты", "Компании", "Задачи", "Настройки", "Выйти"),
    "mn": ("Гишүүд", "Хэлцлүүд", "Харилцагчид", "Компаниуд", "Даалгаврууд", "Тохиргоо", "Гарах"),
    "ta": ("உறுப்பினர்கள்", "ஒப்பந்தங்கள்", "தொடர்புகள்", "நிறுவனங்கள்", "பணிகள்", "அமைப்புகள்",
           "வெளியேறு"),
    "te": ("సభ్యులు", "డీల్స్", "పరిచయాలు", "కంపెనీలు", "పనులు", "సెట్టింగ్‌లు", "లాగ్ అవుట్"),
}  # fmt: skip


def text(response) -> str:
    return response.content.decode()


def spaces(value: str) -> str:
    """Babel separates groups and symbols with (narrow) no-break spaces."""
    return value.replace("\xa0", " ").replace("\u202f", " ")


def member(workspace, language: str):
    tenant, _ = workspace
    return add_member(tenant, "manager", user=make_user(language=language))


def catalogue(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").open("rb") as f:
        return read_po(f, locale=language)


def forms_of(message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(msgid and msgid_plural, the translated forms) of an entry, plural or not."""
    if message.pluralizable:
        return tuple(message.id), tuple(message.string)
    return (message.id,), (message.string,)


def is_translated(message) -> bool:
    return not message.fuzzy and all(s.strip() for s in forms_of(message)[1])


# --- who gets which language -----------------------------------------------------------------


def test_every_ui_language_is_offered_and_named():
    assert [code for code, _ in settings.LANGUAGES] == ["en", "ru", "mn", "ta", "te"]
    with translation.override("te"):
        assert dict(settings.LANGUAGES)["te"] == "తెలుగు"
    with translation.override("mn"):
        assert dict(settings.LANGUAGES)["mn"] == "Монгол"


@pytest.mark.parametrize("language", ["mn", "ta", "te"])
def test_the_new_languages_can_be_chosen_everywhere_a_language_is_chosen(language):
    codes = {"en", "ru", "mn", "ta", "te"}
    assert codes <= {value for value, _ in ProfileForm().fields["language"].choices}
    assert codes <= {value for value, _ in WorkspaceForm().fields["language"].choices}
    assert codes <= set(UserSerializer().fields["language"].choices)
    form = ProfileForm({"first_name": "A", "last_name": "B", "language": language, "time_zone": ""})
    assert form.is_valid(), form.errors
    serializer = UserSerializer(data={"first_name": "A", "language": language})
    assert serializer.is_valid(), serializer.errors


def test_a_member_picks_telugu_on_the_profile_page_and_the_next_page_is_in_telugu(
    client, workspace
):
    user = member(workspace, "").user
    client.force_login(user)
    data = {"first_name": "Ravi", "last_name": "K", "language": "te", "time_zone": ""}
    response = client.post(reverse("profile"), data)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "te"
    page = client.get(reverse("profile"))
    assert page["Content-Language"] == "te"
    assert "ప్రొఫైల్ సేవ్ చేయబడింది." in text(page)  # "Profile saved."


def test_an_admin_sets_the_workspace_language_to_tamil(client, workspace):
    tenant, owner = workspace
    client.force_login(owner.user)
    data = {"name": tenant.name, "currency": "INR", "time_zone": "Asia/Kolkata", "language": "ta"}
    response = client.post(reverse("workspace"), data)
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.language, tenant.currency) == ("ta", "INR")


@pytest.mark.parametrize(
    ("language", "funnel", "first_stage"),
    [("mn", "Борлуулалт", "Анхны холбоо"), ("ta", "விற்பனை", "முதல் தொடர்பு"),
     ("te", "అమ్మకాలు", "ప్రాథమిక సంప్రదింపు")],
)  # fmt: skip
def test_a_new_workspace_names_its_funnel_in_the_workspace_language(language, funnel, first_stage):
    tenant = tenant_create(owner=make_user(), name="Co", language=language)
    with tenant_scope(tenant):
        pipeline = Pipeline.objects.get()
        assert pipeline.name == funnel
        assert pipeline.stages.order_by("position").first().name == first_stage


@pytest.mark.parametrize("language", UI_LOCALES)
@pytest.mark.parametrize("page", ["members", "profile", "notification_settings"])
def test_a_member_whose_profile_says_so_sees_the_navigation_and_settings_in_that_language(
    client, workspace, language, page
):
    client.force_login(member(workspace, language).user)
    response = client.get(reverse(page), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response["Content-Language"] == language
    html = text(response)
    assert f'<html lang="{language}"' in html
    for word in NAV_WORDS[language]:
        assert word in html, word
    for word in ENGLISH_NAV:
        assert f">{word}<" not in html, word


def test_an_anonymous_visitor_whose_browser_asks_for_ru_gets_the_russian_login_page(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.8")
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    page = text(response)
    assert "Войти" in page
    assert "Забыли пароль?" in page
    assert "Log in" not in page


@pytest.mark.parametrize(
    ("browser", "language", "log_in"),
    [("mn-MN,mn;q=0.9", "mn", "Нэвтрэх"), ("ta-IN,ta;q=0.9,en;q=0.5", "ta", "உள்நுழை"),
     ("te-IN,te;q=0.9", "te", "లాగిన్")],
)  # fmt: skip
def test_the_browser_language_picks_the_new_languages_before_log_in(
    client, browser, language, log_in
):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=browser)
    assert response["Content-Language"] == language
    assert log_in in text(response)


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
        ("ta", "te-IN,te;q=0.9", "ta", "உறுப்பினர்கள்"),
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


# --- the catalogues ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", UI_LOCALES)
def test_the_catalogue_is_at_least_97_percent_translated(language):
    messages = [m for m in catalogue(language) if m.id]
    assert len(messages) > 800
    translated = sum(is_translated(m) for m in messages)
    missing = [m.id for m in messages if not is_translated(m)][:10]
    assert translated / len(messages) >= MIN_TRANSLATED, (language, translated, missing)


@pytest.mark.parametrize("language", UI_LOCALES)
def test_every_locale_has_the_same_messages_as_the_russian(language):
    assert {m.id for m in catalogue(language)} == {m.id for m in catalogue("ru")}


@pytest.mark.parametrize("language", UI_LOCALES)
def test_the_catalogue_header_and_plural_forms_are_right(language):
    po = catalogue(language)
    assert po.mime_headers and dict(po.mime_headers)["Plural-Forms"] == PLURAL_FORMS[language]
    assert dict(po.mime_headers)["Language"] == language
    assert not po.fuzzy
    assert not po.obsolete, "remove the obsolete (#~) entries"
    nplurals = int(PLURAL_FORMS[language].split(";")[0].split("=")[1])
    for message in po:
        if message.id and message.pluralizable:
            assert len(message.string) == nplurals, message.id


@pytest.mark.parametrize("language", UI_LOCALES)
def test_translations_keep_every_placeholder(language):
    for message in catalogue(language):
        if not message.id or not is_translated(message):
            continue
        ids, strings = forms_of(message)
        wanted = sorted({p for i in ids for p in PLACEHOLDER.findall(i)})
        for string in strings:
            assert sorted(set(PLACEHOLDER.findall(string))) == wanted, (language, ids, string)


@pytest.mark.parametrize("language", UI_LOCALES)
def test_the_compiled_catalogue_matches_the_po_file(language):
    po = catalogue(language)
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    plural = gettext.c2py(PLURAL_FORMS[language].split("plural=")[1].rstrip(";"))
    for message in po:
        if not message.id or not is_translated(message):
            continue
        if message.pluralizable:
            singular, many = message.id
            for n in (0, 1, 2, 5, 11, 21, 22):
                expected = message.string[plural(n)]
                assert compiled.ngettext(singular, many, n) == expected, (n, singular)
        else:
            assert compiled.gettext(message.id) == message.string, message.id
    assert all(compiled._catalog.values()), "an empty translation in django.mo"


@pytest.mark.parametrize("language", UI_LOCALES)
def test_django_serves_the_projects_strings(language):
    with translation.override(language):
        for message in catalogue(language):
            if not message.id or not is_translated(message):
                continue
            if message.pluralizable:
                singular, many = message.id
                assert translation.ngettext(singular, many, 1) == message.string[0], singular
            else:
                assert translation.gettext(message.id) == message.string, message.id


# --- money, numbers and dates ------------------------------------------------------------------


def test_money_is_formatted_for_the_locale():
    with translation.override("en"):
        assert money(1234.5, "USD") == "$1,234.50"
        assert Template('{% load money %}{{ v|money:"USD" }}').render(Context({"v": 1234.5})) == (
            "$1,234.50"
        )
        assert money(1234.5, "RUB") == "₽1,234.50"  # a sign, not "RUB1,234.50"
    with translation.override("ru"):
        assert spaces(money(1234.5, "RUB")) == "1 234,50 ₽"
        rendered = Template('{% load money %}{{ v|money:"RUB" }}').render(Context({"v": "1234.5"}))
        assert spaces(rendered) == "1 234,50 ₽"
    assert money("not a number", "USD") == ""
    assert money("NaN", "USD") == ""


@pytest.mark.parametrize("language", ["ta", "te"])
def test_rupees_are_grouped_the_indian_way_in_tamil_and_telugu(language):
    with translation.override(language):
        assert money(1234567, "INR") == "₹12,34,567.00"
        assert money(Decimal("-1234567.5"), "INR") == "-₹12,34,567.50"
        assert number(1234567.5) == "12,34,567.5"
        assert board.money(Decimal(1234567), "INR") == "₹12,34,567"  # the board: whole rupees


def test_the_tugrik_sign_follows_the_amount_in_mongolian():
    with translation.override("mn"):
        assert spaces(money(1234567, "MNT")) == "1,234,567.00 ₮"
        assert spaces(board.money(Decimal(1234567), "MNT")) == "1,234,567 ₮"
        assert spaces(money(1234.5, "USD")) == "1,234.50 $"
    with translation.override("en"):
        assert money(1234567, "MNT") == "₮1,234,567.00"


def test_the_board_writes_money_as_the_locale_does():
    with translation.override("ru"):
        assert spaces(board.money(Decimal("1234567.5"), "RUB")) == "1 234 567,50 ₽"
        assert spaces(board.totals_display({"RUB": Decimal(12000), "USD": Decimal(5)}, "RUB")) == (
            "12 000 ₽ + 5 $"
        )
    assert format_money(15, "", cents=False) == "15"  # no currency: the number alone


def test_the_workspace_page_shows_amounts_as_its_language_writes_them(client, workspace):
    tenant, owner = workspace
    tenant.currency = "MNT"
    tenant.save()
    owner.user.language = "mn"
    owner.user.save()
    client.force_login(owner.user)
    page = spaces(text(client.get(reverse("workspace"))))
    assert "1,234,567.50 ₮" in page


MOMENT = dt.datetime(2026, 3, 5, 14, 7, tzinfo=dt.UTC)


@pytest.mark.parametrize("language", ["mn", "ta", "te"])
def test_short_dates_and_times_follow_cldr(language):
    """Django's own formats for these languages are incomplete; crm/formats fills them in."""
    with translation.override(language):
        assert formats.date_format(MOMENT, "SHORT_DATE_FORMAT") == format_date(
            MOMENT, "short", locale=language
        )
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == format_datetime(
            MOMENT, "short", locale=language
        )


def test_django_numbers_are_grouped_per_locale():
    with translation.override("ta"):
        assert intcomma(1234567) == "12,34,567"
    with translation.override("te"):
        assert intcomma(1234567) == "12,34,567"
    with translation.override("mn"):
        assert intcomma(1234567) == "1,234,567"
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1  # Monday in Mongolia
    with translation.override("en"):
        assert intcomma(1234567) == "1,234,567"


def test_days_are_written_in_the_locales_order_and_words():
    day = dt.date(2026, 3, 5)
    expected = {"en": "Mar 5", "ru": "5 мар.", "mn": "3-р сарын 5", "te": "5 మార్చి"}
    for language, written in expected.items():
        with translation.override(language):
            assert format_day(day) == written
            rendered = Template('{% load dates %}{{ d|day:"MMMd" }}').render(Context({"d": day}))
            assert rendered == written
    assert Template("{% load dates %}{{ d|day }}").render(Context({"d": "soon"})) == ""


def test_a_cards_next_step_reads_today_tomorrow_or_a_short_day():
    today = dt.date(2026, 3, 5)
    with translation.override("ta"):
        assert board.next_label(today, today) == "இன்று"
        assert board.next_label(today + dt.timedelta(days=1), today) == "நாளை"
        assert board.next_label(dt.date(2026, 3, 9), today) == format_day(dt.date(2026, 3, 9))
