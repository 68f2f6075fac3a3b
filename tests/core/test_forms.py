"""The shared form fields: dates as dd/mm/yyyy or ISO, one translated message per kind of field,
several choices as checkboxes, and the end-after-start rule."""

from datetime import date, datetime, time

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.validators import Optional

from campaign.core.forms import (
    DateField,
    DateTimeField,
    EndAfterStart,
    IntegerField,
    MultiCheckboxField,
    NumberField,
    TimeField,
)


class Sample(FlaskForm):
    class Meta:
        csrf = False

    first = DateField("First", validators=[Optional()])
    last = DateField("Last", validators=[Optional(), EndAfterStart("first", same_allowed=True)])
    opens = TimeField("Opens", validators=[Optional()])
    closes = TimeField("Closes", validators=[Optional(), EndAfterStart("opens")])
    at = DateTimeField("At", validators=[Optional()])
    count = IntegerField("Count", validators=[Optional()])
    amount = NumberField("Amount", validators=[Optional()])
    tags = MultiCheckboxField("Tags", choices=[("a", "A"), ("b", "B")])


def _form(**data) -> Sample:
    form = Sample(formdata=MultiDict(data))
    form.validate()
    return form


def test_dates_times_and_numbers_are_read_as_people_type_them(app):
    with app.test_request_context():
        form = _form(first="31/12/2026", last="2027-01-02", opens="08:30", closes="17:00:00",
                     at="10/10/2026 08:00", count="12", amount="12,5", tags=["a", "zz"])
        assert not form.errors, form.errors
        assert (form.first.data, form.last.data) == (date(2026, 12, 31), date(2027, 1, 2))
        assert (form.opens.data, form.closes.data) == (time(8, 30), time(17, 0))
        assert form.at.data == datetime(2026, 10, 10, 8, 0)
        assert (form.count.data, form.amount.data) == (12, 12.5)
        assert form.tags.data == ["a", "zz"]  # unknown values are the service's to refuse
        assert 'value="31/12/2026"' in form.first() and 'type="text"' in form.first()  # never the native picker
        assert 'type="checkbox"' in form.tags()
        assert _form(at="2026-10-10T08:00").at.data == datetime(2026, 10, 10, 8, 0)


def test_parse_errors_are_one_translated_sentence_per_kind(app):
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        form = _form(first="32/13/2026", opens="25:99", at="tomorrow", count="1.5", amount="abc")
        assert form.first.errors == ["Nhập ngày, ví dụ 31/12/2026."]
        assert form.opens.errors == ["Nhập giờ, ví dụ 08:30."]
        assert form.at.errors == ["Nhập ngày giờ, ví dụ 10/10/2026 08:00."]
        assert form.count.errors == ["Nhập một số nguyên."]
        assert form.amount.errors == ["Nhập một số."]


def test_end_after_start(app):
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        assert not _form(first="01/01/2027", last="01/01/2027").errors  # the same day is allowed for dates
        assert _form(first="02/01/2027", last="01/01/2027").last.errors == [
            "Thời điểm kết thúc không được trước thời điểm bắt đầu."]
        assert _form(opens="08:00", closes="08:00").closes.errors == ["Giờ kết thúc phải sau giờ bắt đầu."]
        assert not _form(opens="08:00", closes="08:01").errors
        assert not _form(closes="08:00").errors  # nothing to compare: the start's own validators speak
        form = _form(first="garbage", last="01/01/2027")
        assert form.first.errors and not form.last.errors  # one message, on the broken field


def test_dates_and_times_are_text_inputs_in_vietnamese_order(app):
    """No native picker (mm/dd/yyyy and 12-hour times in an English browser): a text input that shows
    dd/mm/yyyy and HH:MM, with a placeholder, a pattern and a numeric keyboard."""
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        form = _form(first="1.2.2026", opens="8h30", at="2026-10-10T18:05")
        html = form.first()
        assert 'type="text"' in html and 'value="01/02/2026"' in html and 'inputmode="numeric"' in html
        assert 'placeholder="nn/tt/nnnn"' in html and "pattern=" in html and 'autocomplete="off"' in html
        assert 'value="08:30"' in form.opens() and 'placeholder="GG:PP"' in form.opens()
        assert 'value="10/10/2026 18:05"' in form.at() and 'type="text"' in form.at()
        assert 'title="Nhập ngày, ví dụ 31/12/2026."' in html
        for widget in (form.first(), form.opens(), form.at()):
            assert 'type="date' not in widget and 'type="time' not in widget


def test_what_people_type_is_read_in_several_spellings(app):
    with app.test_request_context():
        for typed in ("31/12/2026", "31-12-2026", "31.12.2026", "31122026", " 31/12/2026 ", "2026-12-31"):
            assert _form(first=typed).first.data == date(2026, 12, 31), typed
        for typed in ("08:30", "8:30", "8h30", "8.30", "0830", "08:30:00"):
            assert _form(opens=typed).opens.data == time(8, 30), typed
        assert _form(opens="17h").opens.data == time(17, 0)
        for typed in ("10/10/2026 18:05", "10/10/2026 18h05", "2026-10-10T18:05", "2026-10-10 18:05"):
            assert _form(at=typed).at.data == datetime(2026, 10, 10, 18, 5), typed
        # Not a date: the one clear sentence, never a guess (13 is no month; 2/3 digits are no year).
        for typed in ("12/31/2026", "31/12/26", "31122", "2026/12/31"):
            assert _form(first=typed).first.errors, typed
        assert _form(opens="25:00").opens.errors and _form(opens="8 pm").opens.errors
