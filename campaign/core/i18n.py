"""Language selection and the Jinja filters for dates, times and numbers (Babel: 1.234,5 in Vietnamese)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import format_decimal

from campaign.core import timeutil


def select_locale() -> Locale:
    """The ``lang`` cookie's language if it is one of ours, else the default (vi). A parsed Locale,
    made once per language: Flask-Babel parses a name given as text on every request."""
    lang = request.cookies.get("lang") if has_request_context() else None
    if lang not in current_app.config["LANGUAGES"]:
        lang = current_app.config["BABEL_DEFAULT_LOCALE"]
    return _locale(lang)


@lru_cache(maxsize=16)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def register_filters(app) -> None:
    app.jinja_env.filters["date"] = timeutil.format_date
    app.jinja_env.filters["time"] = timeutil.format_time
    app.jinja_env.filters["datetime"] = timeutil.format_datetime
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["percent"] = format_percent_of
    _install_number_aware_gettext(app)
    register_number_filters(app)


# --- numbers: Vietnamese grouping and decimal comma (1.234,5), through Babel ----------------------

# Placeholders that hold identifiers, not quantities: never grouped (error code 404, certificate number).
NOT_QUANTITIES = {"code", "number", "year", "id", "num_id"}


def format_number(value, digits: int = 1) -> str:
    """1234.5 → "1.234,5" in Vietnamese (at most ``digits`` decimals, none for whole numbers); None → "—"."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    return format_decimal(round(float(value), digits), format="#,##0" + ("." + "#" * digits if digits else ""))


def format_percent_of(value, digits: int = 1, fraction: bool = True) -> str:
    """A share as a percentage: 0.125 → "12,5%" (``fraction=False``: the value is already ×100)."""
    if value is None:
        return "—"
    number = float(value) * (100 if fraction else 1)
    return f"{format_number(number, digits)}%"


def format_hours(value) -> str:
    """Hours with at most two decimals: 2.5 → "2,5"."""
    return format_number(float(value or 0), 2)


def _localised(rv, variables: dict):
    """Numbers given to a translated sentence are shown in the locale's format: each int or float
    placeholder becomes text (``%(n)d`` is read as ``%(n)s``)."""
    changed = {}
    for key, value in variables.items():
        if key in NOT_QUANTITIES or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        changed[key] = format_decimal(value, format="#,##0.##")
        rv = rv.replace(f"%({key})d", f"%({key})s")
    return rv, {**variables, **changed} if changed else variables


def _install_number_aware_gettext(app) -> None:
    """Replace Jinja's newstyle gettext/ngettext (installed by Flask-Babel) with the same functions
    that format the numbers they are given, so every ``_("%(n)d events", n=...)`` on every page shows
    1.234, not 1234, without changing any message."""
    from flask_babel import get_translations
    from jinja2 import pass_context
    from markupsafe import Markup

    @pass_context
    def gettext(__context, __string, **variables):
        rv = __context.call(lambda s: get_translations().ugettext(s), __string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        rv, variables = _localised(rv, variables)
        return rv % variables

    @pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = __context.call(lambda s, p, n: get_translations().ungettext(s, p, n), __singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        rv, variables = _localised(rv, variables)
        return rv % variables

    app.jinja_env.globals.update(gettext=gettext, ngettext=ngettext)


def format_num(value, digits: int = 1) -> str:
    """A number in the user's language through Babel (Vietnamese: 1.234,5); whole numbers without
    decimals; None as "—"."""
    if value is None:
        return "—"
    from flask_babel import get_locale

    return _format_decimal(str(get_locale()), round(float(value), digits),
                           "#,##0." + "#" * digits if digits else "#,##0")


@lru_cache(maxsize=8192)
def _format_decimal(locale: str, value: float, pattern: str) -> str:
    """Babel's format_decimal, remembered: a dashboard shows thousands of numbers and Babel parses the
    pattern and looks up the locale on every call."""
    from babel.numbers import format_decimal

    return format_decimal(value, format=pattern, locale=locale)


def format_pct(value, digits: int = 1) -> str:
    """A percentage given in percent (12.34 → "12,3%" in Vietnamese); None as "—"."""
    if value is None:
        return "—"
    return format_share(float(value) / 100, digits)


def format_share(value, digits: int = 1) -> str:
    """A share 0..1 as a percentage (0.1234 → "12,3%" in Vietnamese); None as "—"."""
    if value is None:
        return "—"
    from flask_babel import get_locale

    return _format_percent(str(get_locale()), float(value), "#,##0." + "#" * digits + "%" if digits else "#,##0%")


@lru_cache(maxsize=8192)
def _format_percent(locale: str, value: float, pattern: str) -> str:
    """Babel's format_percent, remembered (as ``_format_decimal``)."""
    from babel.numbers import format_percent

    return format_percent(value, format=pattern, locale=locale)


def register_number_filters(app) -> None:
    app.jinja_env.filters["num"] = format_num
    app.jinja_env.filters["pct"] = format_pct
    app.jinja_env.filters["pct_share"] = format_share
