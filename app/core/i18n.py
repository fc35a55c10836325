"""Language choice, Japanese-era dates, fiscal years and Asia/Tokyo times.

Dates are stored in UTC and shown in Asia/Tokyo. Japanese pages write dates the way the city
does (令和6年(2024年)10月3日(木)); English pages write 3 Oct 2024.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import get_locale, get_translations

JST = ZoneInfo("Asia/Tokyo")
LANGUAGE_COOKIE = "lang"

# (first day, name). Checked newest first.
ERAS: tuple[tuple[date, str], ...] = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    (date(1868, 10, 23), "明治"),
)
WEEKDAYS_JA = "月火水木金土日"


def select_locale() -> str:
    """Babel's locale selector: the remembered choice, else Japanese."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        if chosen in languages:
            return chosen
    return languages[0]


def current_language() -> str:
    # In an app context too (cron's mail, with force_locale for the recipient's language): a
    # date in an English mail sent by `flask voice remind` is written the English way.
    locale = get_locale() if has_app_context() else None
    return locale.language if locale else "ja"


def era_year(day: date) -> str:
    """令和6年 for 2024-10-03; the first year of an era is 元年."""
    for start, name in ERAS:
        if day >= start:
            number = day.year - start.year + 1
            return f"{name}{'元' if number == 1 else number}年"
    return f"{day.year}年"


def to_jst(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST)


def jst_to_utc(day: date, at: time) -> datetime:
    """A wall-clock time entered in Asia/Tokyo, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=JST).astimezone(UTC)


def format_date(value: date | datetime | None, weekday: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_jst(value).date()
    if current_language() == "ja":
        text = f"{era_year(value)}({value.year}年){value.month}月{value.day}日"
        return f"{text}({WEEKDAYS_JA[value.weekday()]})" if weekday else text
    pattern = "EEE d MMM y" if weekday else "d MMM y"
    return babel_format_date(value, pattern, locale="en")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = to_jst(value)
    return f"{format_date(local.date())} {local:%H:%M}"


def fiscal_year(value: date | datetime) -> int:
    """The fiscal year (年度) runs from 1 April to 31 March."""
    if isinstance(value, datetime):
        value = to_jst(value).date()
    return value.year if value.month >= 4 else value.year - 1


def fiscal_year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of a fiscal year as UTC instants, for SQL range filters."""
    return jst_to_utc(date(year, 4, 1), time()), jst_to_utc(date(year + 1, 4, 1), time())


def format_fiscal_year(year: int | None) -> str:
    if year is None:
        return ""
    if current_language() == "ja":
        # The era is the one in force in May: FY2019 is 令和元年度, although it began in Heisei,
        # which is how the city (and the national government) name that year.
        return f"{era_year(date(year, 5, 1))[:-1]}年度({year}年度)"
    return f"FY{year}"


def list_separator() -> str:
    """Between items of a list within a sentence: 、 in Japanese, a comma in English."""
    return "、" if current_language() == "ja" else ", "


def join_list(items: Any) -> str:
    """Items of a list within a sentence: 区政推進課、市民協働課 or a, b."""
    return list_separator().join(str(item) for item in items)


def format_yen(amount: int | float | None) -> str:
    """1,000,000円 in Japanese pages, ¥1,000,000 in English ones."""
    if amount is None:
        return ""
    digits = f"{int(amount):,}"
    return f"{digits}円" if current_language() == "ja" else f"¥{digits}"


def form_to_utc(value: datetime | None) -> datetime | None:
    """A wall-clock time typed in a datetime-local field, read as Japan time."""
    return value.replace(tzinfo=JST) if value else None


def utc_to_form(value: datetime | None) -> datetime | None:
    """A stored moment as the Japan wall-clock time a datetime-local field shows."""
    return to_jst(value).replace(tzinfo=None) if value else None


def request_translations() -> Any:
    """The catalogue for the current locale, looked up once per request and locale.

    Flask-Babel looks the catalogue up again for each string (the domain, the locale, its name
    as a key): a page translating a few hundred strings spent several milliseconds there. The
    locale stays part of the key, so `force_locale` (mail in the recipient's language) still
    gets its own catalogue."""
    locale = get_locale()
    if locale is None:  # outside a request or app context
        return get_translations()
    found: dict[Any, Any] = g.setdefault("_sankaku_translations", {})
    translations = found.get(locale)
    if translations is None:
        translations = found[locale] = get_translations()
    return translations


def install_template_gettext(app: Flask) -> None:
    """Templates translate through `request_translations` (Flask-Babel installed the same
    callables, each looking the catalogue up anew)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )


_form_catalogues: dict[str, Any] = {}


def share_form_translations(app: Flask) -> None:
    """Flask-WTF reads WTForms' own catalogue (its built-in messages in Japanese) from disk
    once per request that validates a form; it looks for it on the request first, so the
    catalogue is read once per process and language and handed to each request."""

    @app.before_request
    def _form_translations() -> None:
        locale = get_locale()
        if locale is None:
            return
        key = str(locale)
        catalogue = _form_catalogues.get(key)
        if catalogue is None:
            from babel.support import Translations
            from wtforms.i18n import messages_path

            catalogue = _form_catalogues[key] = Translations.load(
                messages_path(), [locale], domain="wtforms"
            )
        request.wtforms_translations = catalogue  # type: ignore[attr-defined]
