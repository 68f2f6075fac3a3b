from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from campaign.core.forms import (
    DateField,
    EndAfterStart,
    IntegerField,
    IntSelectField,
    IntSelectMultipleField,
    NumberField,
    TimeField,
)
from campaign.venues.models import EQUIPMENT

KIND_LABELS = {
    "cultural_house": _l("Cultural house"),
    "commune_hall": _l("Commune hall"),
    "computer_room": _l("School computer room"),
    "community_point": _l("Community digital point"),
    "other": _l("Other"),
}
EQUIPMENT_LABELS = {
    "projector": _l("Projector"),
    "speakers": _l("Speakers"),
    "wifi": _l("Wi-Fi"),
    "computers": _l("Computers"),
    "microphone": _l("Microphone"),
    "screen": _l("Large screen"),
}
WEEKDAY_LABELS = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
                  _l("Sunday")]
STATUS_LABELS = {
    "pending": _l("Waiting for approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}

NONNEG = NumberRange(min=0, message=_l("This number cannot be negative."))


class VenueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the venue's name.")), Length(max=160)])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()), validate_choice=False)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    capacity = IntegerField(_l("Capacity (people)"), validators=[
        InputRequired(_l("Give the capacity.")), NumberRange(min=1, message=_l("The capacity must be at least 1."))])
    latitude = NumberField(_l("Latitude (optional)"), validators=[Optional(), NumberRange(min=-90, max=90)])
    longitude = NumberField(_l("Longitude (optional)"), validators=[Optional(), NumberRange(min=-180, max=180)])
    step_free = BooleanField(_l("Step-free access"))
    accessible_toilet = BooleanField(_l("Accessible toilet"))
    needs_approval = BooleanField(_l("Bookings need approval"), default=True)
    allow_outside = BooleanField(_l("Accept requests from other communes"))
    min_notice_hours = IntegerField(_l("Minimum notice (hours)"), default=24,
                                    validators=[InputRequired(_l("Give the minimum notice.")), NONNEG])
    max_duration_hours = IntegerField(_l("Longest booking (hours)"), default=8, validators=[
        InputRequired(_l("Give the longest booking.")),
        NumberRange(min=1, message=_l("The longest booking must be at least one hour."))])
    managers = IntSelectMultipleField(_l("Managers (approve requests)"), coerce=int, validators=[Optional()],
                                      validate_choice=False)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    active = BooleanField(_l("Open for bookings"), default=True)
    submit = SubmitField(_l("Save"))

    def equipment_fields(self):
        return [self[f"eq_{item}"] for item in EQUIPMENT]

    def hours_fields(self):
        return [(label, self[f"opens_{i}"], self[f"closes_{i}"]) for i, label in enumerate(WEEKDAY_LABELS)]


for _item in EQUIPMENT:
    setattr(VenueForm, f"eq_{_item}", IntegerField(EQUIPMENT_LABELS[_item], validators=[Optional(), NONNEG]))
for _i, _label in enumerate(WEEKDAY_LABELS):
    setattr(VenueForm, f"opens_{_i}", TimeField(_l("%(day)s opens", day=_label), validators=[Optional()]))
    setattr(VenueForm, f"closes_{_i}", TimeField(_l("%(day)s closes", day=_label), validators=[Optional()]))


def _optional_id(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not one of the choices: the service says so


class BookingForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    start = TimeField(_l("From"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("To"), validators=[InputRequired(_l("Give the end time.")), EndAfterStart("start")])
    purpose = StringField(_l("Purpose"), validators=[DataRequired(_l("Say what the venue is for.")), Length(max=300)])
    expected_attendance = IntegerField(_l("Expected attendance"), validators=[
        InputRequired(_l("Give the number of people expected.")), NONNEG])
    event_id = SelectField(_l("For the event or class (optional)"), coerce=_optional_id, validate_choice=False)
    submit = SubmitField(_l("Send the request"))


class SeriesForm(FlaskForm):
    first = DateField(_l("First date"), validators=[InputRequired(_l("Choose a date."))])
    until = DateField(_l("Last date"), validators=[InputRequired(_l("Choose a date.")),
                                                   EndAfterStart("first", _l("The last date must not be before the first date."),
                                                                 same_allowed=True)])
    start = TimeField(_l("From"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("To"), validators=[InputRequired(_l("Give the end time.")), EndAfterStart("start")])
    purpose = StringField(_l("Purpose"), validators=[DataRequired(_l("Say what the venue is for.")), Length(max=300)])
    expected_attendance = IntegerField(_l("Expected attendance"), validators=[
        InputRequired(_l("Give the number of people expected.")), NONNEG])
    skip_conflicts = BooleanField(_l("Skip conflicting dates"))
    preview = SubmitField(_l("Show the dates"))
    submit = SubmitField(_l("Send the requests"))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    commune = IntSelectField(_l("Commune"), coerce=int, validators=[InputRequired(_l("Choose a commune."))],
                             validate_choice=False)
    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date."))])
    start = TimeField(_l("From"), validators=[InputRequired(_l("Give the start time."))])
    end = TimeField(_l("To"), validators=[InputRequired(_l("Give the end time.")), EndAfterStart("start")])
    capacity = IntegerField(_l("At least this many seats"), validators=[Optional(), NONNEG])
    equipment = SelectMultipleField(_l("Equipment needed"), choices=list(EQUIPMENT_LABELS.items()),
                                    validators=[Optional()], validate_choice=False)


class RejectForm(FlaskForm):
    reason = StringField(_l("Reason for the rejection"), validators=[
        DataRequired(_l("Give the reason for the rejection.")), Length(max=300)])
    submit = SubmitField(_l("Reject"))


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Cancel the booking"))


class ClosureForm(FlaskForm):
    start_day = DateField(_l("From date"), validators=[InputRequired(_l("Choose a date."))])
    start = TimeField(_l("From time"), validators=[InputRequired(_l("Give the start time."))])
    end_day = DateField(_l("To date"), validators=[InputRequired(_l("Choose a date.")),
                                                   EndAfterStart("start_day", same_allowed=True)])
    end = TimeField(_l("To time"), validators=[InputRequired(_l("Give the end time."))])
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give the reason for the closure.")),
                                                   Length(max=300)])
    on_conflict = RadioField(_l("Bookings in this period"), choices=[
        ("notify", _l("Keep them and notify the requesters")),
        ("cancel", _l("Cancel them and notify the requesters"))], validators=[Optional()], validate_choice=False)
    submit = SubmitField(_l("Close the venue"))


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 5 MB)"))
    caption = StringField(_l("Caption (optional)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Upload"))
