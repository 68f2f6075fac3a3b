"""The form fields and validators every feature shares.

- Fields whose parse error is one translated sentence (WTForms' own messages are English only), and
  which accept what people type: dates as dd/mm/yyyy (also 31-12-2026, 31.12.2026, 31122026, or the
  ISO yyyy-mm-dd that older pages and scripts send), times as 24-hour HH:MM (also 8h30, 0830), numbers
  with a comma or a dot for decimals.
- Dates and times are **text inputs** showing dd/mm/yyyy and HH:MM whatever the browser's language
  (the native date and time pickers show mm/dd/yyyy and 12-hour times in an English browser), with a
  placeholder, a ``pattern`` and the keyboard that suits them (``inputmode``).
- ``MultiCheckboxField``: several choices shown as checkboxes.
- ``EndAfterStart``: on an end field, the end must come after the start field (or on the same day for
  dates, with ``same_allowed``).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField as _DateField
from wtforms import DateTimeLocalField as _DateTimeLocalField
from wtforms import FloatField as _FloatField
from wtforms import IntegerField as _IntegerField
from wtforms import SelectField, SelectMultipleField
from wtforms import TimeField as _TimeField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from campaign.core.timeutil import normalise_date

# The first format is the one a field renders: dd/mm/yyyy and 24-hour HH:MM.
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
DATETIME_FORMATS = ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]

# What the browser lets through before sending (the server's check is the real one).
DATE_PATTERN = r"\s*(\d{1,2}[\/.\-]\d{1,2}[\/.\-]\d{4}|\d{8}|\d{4}-\d{2}-\d{2})\s*"
TIME_PATTERN = r"\s*\d{1,2}([:hH.]\d{2})?(:\d{2})?\s*|\s*\d{4}\s*"
DATETIME_PATTERN = r"\s*\S+[ T]\S+\s*"

DATE_MESSAGE = _l("Enter a date, e.g. 31/12/2026.")
TIME_MESSAGE = _l("Enter a time, e.g. 08:30.")
DATETIME_MESSAGE = _l("Enter a date and time, e.g. 10/10/2026 08:00.")
WHOLE_MESSAGE = _l("Enter a whole number.")
NUMBER_MESSAGE = _l("Enter a number.")
CHOICE_MESSAGE = _l("Choose from the list.")


class _RendersFirstFormat:
    """A date or time read from any accepted format is shown back in the first one (dd/mm/yyyy, HH:MM),
    not as it was typed; before parsing, the typed text is put in a standard form (``normalise``)."""

    def _value(self):
        if self.data is not None:
            return self.data.strftime(self.format[0])
        return super()._value()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [self.normalise(str(valuelist[0]))] + list(valuelist[1:])
        super().process_formdata(valuelist)

    @staticmethod
    def normalise(text: str) -> str:
        return text.strip()


_TIME = re.compile(r"^(\d{1,2})(?:[:hH.](\d{2}))?(?::(\d{2}))?[hH]?$")


def normalise_time(text: str) -> str:
    """8h30, 8.30, 8:30, 0830 and 8 as HH:MM; anything else unchanged."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        text = f"{text[:2]}:{text[2:]}"
    match = _TIME.match(text)
    if match:
        return f"{int(match[1]):02d}:{match[2] or '00'}" + (f":{match[3]}" if match[3] else "")
    return text


def normalise_datetime(text: str) -> str:
    """A date and a time separated by a space (dd/mm/yyyy HH:MM); the ISO forms unchanged."""
    parts = text.strip().split()
    if len(parts) == 2 and "T" not in parts[0]:
        return f"{normalise_date(parts[0])} {normalise_time(parts[1])}"
    return text.strip()


def text_widget(placeholder, pattern: str, inputmode: str, size: int):
    """A text input for a date or time: a translated placeholder (e.g. dd/mm/yyyy), a pattern, the
    keyboard to show; no autocomplete (a remembered date is never the one wanted)."""

    class Widget(TextInput):
        def __call__(self, field, **kwargs):
            kwargs.setdefault("placeholder", str(placeholder))
            kwargs.setdefault("pattern", pattern)
            kwargs.setdefault("inputmode", inputmode)
            kwargs.setdefault("autocomplete", "off")
            kwargs.setdefault("size", size)
            kwargs.setdefault("title", str(field.parse_message))
            return super().__call__(field, **kwargs)

    return Widget()


def translated(field_class, message):
    """``field_class`` whose parse error is ``message`` (a lazy translated sentence)."""

    class Field(field_class):
        def process_formdata(self, valuelist):
            try:
                super().process_formdata(valuelist)
            except ValueError as exc:
                raise ValueError(str(message)) from exc

    Field.__name__ = Field.__qualname__ = field_class.__name__.lstrip("_")
    return Field


class DateField(_RendersFirstFormat, translated(_DateField, DATE_MESSAGE)):
    """A date: dd/mm/yyyy (or yyyy-mm-dd), typed in a text input."""

    widget = text_widget(_l("dd/mm/yyyy"), DATE_PATTERN, "numeric", 10)
    parse_message = DATE_MESSAGE
    normalise = staticmethod(normalise_date)

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", DATE_FORMATS)
        super().__init__(label, validators, **kwargs)


class TimeField(_RendersFirstFormat, translated(_TimeField, TIME_MESSAGE)):
    """A 24-hour time, HH:MM, typed in a text input."""

    widget = text_widget(_l("HH:MM"), TIME_PATTERN, "numeric", 5)
    parse_message = TIME_MESSAGE
    normalise = staticmethod(normalise_time)

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", TIME_FORMATS)
        super().__init__(label, validators, **kwargs)


class DateTimeField(_RendersFirstFormat, translated(_DateTimeLocalField, DATETIME_MESSAGE)):
    """A local wall time typed as dd/mm/yyyy HH:MM in a text input (the ISO forms are accepted too)."""

    widget = text_widget(_l("dd/mm/yyyy HH:MM"), DATETIME_PATTERN, "text", 16)
    parse_message = DATETIME_MESSAGE
    normalise = staticmethod(normalise_datetime)

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", DATETIME_FORMATS)
        super().__init__(label, validators, **kwargs)


IntegerField = translated(_IntegerField, WHOLE_MESSAGE)


class NumberField(translated(_FloatField, NUMBER_MESSAGE)):
    """A number; a comma is read as the decimal point (12,5)."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [str(valuelist[0]).replace(",", ".").strip()]
        super().process_formdata(valuelist)


IntSelectField = translated(SelectField, CHOICE_MESSAGE)
IntSelectMultipleField = translated(SelectMultipleField, CHOICE_MESSAGE)


class MultiCheckboxField(translated(SelectMultipleField, CHOICE_MESSAGE)):
    """Several choices as a list of checkboxes. Values outside the choices are left to the service
    (which answers with its own clear message) unless ``validate_choice=True``."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)


class EndAfterStart:
    """On an end field: the end comes after the field named ``start`` (on the same day or later with
    ``same_allowed``, e.g. for the last day of a period). Either one empty: nothing to compare (their own
    validators say they are missing)."""

    def __init__(self, start: str, message=None, same_allowed: bool = False):
        self.start = start
        self.message = message
        self.same_allowed = same_allowed

    def __call__(self, form, field):
        start = form[self.start].data
        end = field.data
        if start is None or end is None or form[self.start].errors:
            return
        if end < start or (end == start and not self.same_allowed):
            message = self.message or (_l("The end must not be before the start.") if self.same_allowed
                                       else _l("The end must be after the start."))
            raise StopValidation(str(message))
