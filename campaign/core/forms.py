"""The form fields and validators every feature shares.

- Fields whose parse error is one translated sentence (WTForms' own messages are English only), and
  which accept what people type: dates as dd/mm/yyyy or the ISO yyyy-mm-dd an ``<input type=date>``
  sends, times as hh:mm, numbers with a comma or a dot for decimals.
- ``MultiCheckboxField``: several choices shown as checkboxes.
- ``EndAfterStart``: on an end field, the end must come after the start field (or on the same day for
  dates, with ``same_allowed``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField as _DateField
from wtforms import DateTimeLocalField as _DateTimeLocalField
from wtforms import FloatField as _FloatField
from wtforms import IntegerField as _IntegerField
from wtforms import SelectField, SelectMultipleField
from wtforms import TimeField as _TimeField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

# The first format is the one a field renders (what <input type=date|time|datetime-local> expects).
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"]

DATE_MESSAGE = _l("Enter a date, e.g. 31/12/2026.")
TIME_MESSAGE = _l("Enter a time, e.g. 08:30.")
DATETIME_MESSAGE = _l("Enter a date and time, e.g. 10/10/2026 08:00.")
WHOLE_MESSAGE = _l("Enter a whole number.")
NUMBER_MESSAGE = _l("Enter a number.")
CHOICE_MESSAGE = _l("Choose from the list.")


class _RendersFirstFormat:
    """A date or time read from any accepted format is shown back in the first one (the one the browser's
    date, time and datetime-local inputs understand), not as it was typed."""

    def _value(self):
        if self.data is not None:
            return self.data.strftime(self.format[0])
        return super()._value()


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
    """A date: dd/mm/yyyy or yyyy-mm-dd."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", DATE_FORMATS)
        super().__init__(label, validators, **kwargs)


class TimeField(_RendersFirstFormat, translated(_TimeField, TIME_MESSAGE)):
    """A 24-hour time, hh:mm."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", TIME_FORMATS)
        super().__init__(label, validators, **kwargs)


class DateTimeField(_RendersFirstFormat, translated(_DateTimeLocalField, DATETIME_MESSAGE)):
    """A local wall time (``<input type=datetime-local>``), also typed as dd/mm/yyyy hh:mm."""

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
