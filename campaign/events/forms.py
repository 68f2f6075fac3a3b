from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from campaign.accounts.forms import optional_int
from campaign.campaigns.forms import TARGET_GROUP_LABELS
from campaign.core.forms import DateField, DateTimeField, EndAfterStart, IntegerField, MultiCheckboxField
from campaign.events.models import FORM_KINDS

EVENT_KIND_LABELS = {
    "launch_ceremony": _l("Launch ceremony"),
    "bridge_point": _l("Bridge point"),
    "national_day": _l("Digital learning day (10/10)"),
    "national_day_activity": _l("10/10 day activity"),
    "workshop": _l("Workshop"),
    "talk": _l("Talk"),
    "hands_on": _l("Hands-on experience"),
    "class_session": _l("Community class session"),
    "door_to_door": _l("Door-to-door drive"),
    "other": _l("Other"),
}

STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
}

REGISTRATION_STATUS_LABELS = {
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("Waiting list"),
    "cancelled": _l("Cancelled"),
}

GENDER_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": _l("Other")}
VISIBILITY_LABELS = {"public": _l("Public (anyone can see and register)"),
                     "internal": _l("Internal (staff only)")}
FREQ_LABELS = {"weekly": _l("Every week"), "monthly": _l("Every month")}
# Which occurrences of a series a change, publication or cancellation applies to.
SERIES_SCOPE_CHOICES = [("this", _l("This occurrence only")),
                        ("following", _l("This and the following occurrences")),
                        ("all", _l("The whole series"))]


def _int_message():
    return _l("Enter a whole number.")


class EventForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[(k, EVENT_KIND_LABELS[k]) for k in FORM_KINDS], validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter the event's title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    commune_code = SelectField(_l("Commune or ward"), validate_choice=False)
    starts_at = DateTimeField(_l("Starts"), validators=[InputRequired(_l("Enter when the event starts."))])
    ends_at = DateTimeField(_l("Ends"), validators=[InputRequired(_l("Enter when the event ends.")),
                                                     EndAfterStart("starts_at", same_allowed=True)])
    all_day = BooleanField(_l("All day"))
    place = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    directions = TextAreaField(_l("How to get there"), validators=[Optional(), Length(max=2000)])
    online_url = StringField(_l("Online link (optional)"), validators=[Optional(), Length(max=500)])
    capacity = IntegerField(_l("Capacity (empty: no limit)"),
                            validators=[Optional(), NumberRange(min=0, message=_l("The capacity cannot be negative."))])
    target_groups = MultiCheckboxField(_l("Target groups"), choices=list(TARGET_GROUP_LABELS.items()))
    organiser_unit = StringField(_l("Organising unit"), validators=[Optional(), Length(max=200)])
    visibility = SelectField(_l("Who can see it"), choices=list(VISIBILITY_LABELS.items()), validate_choice=False)
    registration_open = BooleanField(_l("Registration open"), default=True)
    parent_id = HiddenField()
    scope = RadioField(_l("Apply the changes to"), choices=SERIES_SCOPE_CHOICES, default="this")
    submit = SubmitField(_l("Save"))

    def clean_values(self) -> dict:
        return dict(kind=self.kind.data, title=self.title.data, description=self.description.data or "",
                    starts_at=self.starts_at.data, ends_at=self.ends_at.data, all_day=bool(self.all_day.data),
                    place=self.place.data or "", address=self.address.data or "",
                    directions=self.directions.data or "", online_url=self.online_url.data or "",
                    capacity=self.capacity.data, target_groups=self.target_groups.data or [],
                    organiser_unit=self.organiser_unit.data or "", visibility=self.visibility.data,
                    registration_open=bool(self.registration_open.data))


class SeriesForm(EventForm):
    publish = BooleanField(_l("Publish every occurrence now (otherwise they are saved as drafts)"))
    freq = SelectField(_l("Repeats"), choices=list(FREQ_LABELS.items()), validate_choice=False)
    interval = IntegerField(_l("Every how many weeks or months"), default=1,
                            validators=[InputRequired(_int_message()),
                                        NumberRange(min=1, max=12, message=_l("Enter a number from 1 to 12."))])
    count = IntegerField(_l("Number of occurrences"), validators=[
        Optional(), NumberRange(min=1, max=104, message=_l("Enter a number from 1 to 104."))])
    until = DateField(_l("Or until (date)"), validators=[Optional()])


class RegistrationForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter your full name.")), Length(max=120)],
                            render_kw={"autocomplete": "name"})
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=30)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    birth_year = IntegerField(_l("Year of birth (optional)"), validators=[
        Optional(), NumberRange(min=1900, max=datetime.now().year, message=_l("Enter a birth year between 1900 and "
                                                                              "this year."))],
        render_kw={"inputmode": "numeric"})
    gender = SelectField(_l("Gender (optional)"), choices=[("", _l("— not given —"))] + list(GENDER_LABELS.items()), validate_choice=False)
    target_groups = MultiCheckboxField(_l("You are (optional)"), choices=list(TARGET_GROUP_LABELS.items()))
    commune_code = SelectField(_l("Commune or ward where you live"), coerce=optional_int, validate_choice=False)
    village_id = SelectField(_l("Village or urban quarter (optional)"), coerce=optional_int, validate_choice=False)
    needs = TextAreaField(_l("Needs (optional): wheelchair access, sign language, large print..."),
                          validators=[Optional(), Length(max=1000)])
    consent = BooleanField(_l("I agree that the organisers use these data to manage my registration for this "
                              "event. They are not shared for any other purpose."),
                           validators=[DataRequired(_l("Please agree to the use of your data for this event."))])
    submit = SubmitField(_l("Register"))


RELATION_LABELS = {
    "relative": _l("A relative"),
    "neighbour": _l("A neighbour"),
    "steward": _l("A steward or helper of the event"),
    "other": _l("Someone else they asked"),
}


class MemberForm(Form):
    """One person registered on their behalf (a row of the group form; blank rows are ignored)."""
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=120)])
    birth_year = IntegerField(_l("Year of birth (optional)"), validators=[
        Optional(), NumberRange(min=1900, max=datetime.now().year, message=_l("Enter a birth year between 1900 and "
                                                                              "this year."))],
        render_kw={"inputmode": "numeric"})


class GroupRegistrationForm(FlaskForm):
    """Registering one or several people on their behalf, with the contact's own phone."""
    contact_name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your own name, as the contact.")),
                                                            Length(max=120)], render_kw={"autocomplete": "name"})
    contact_phone = StringField(_l("Your phone"), validators=[
        DataRequired(_l("Enter your phone number: confirmations are sent to it.")), Length(max=30)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    relation = SelectField(_l("You are"), choices=list(RELATION_LABELS.items()), validate_choice=False)
    people = FieldList(FormField(MemberForm), min_entries=3, max_entries=6)
    commune_code = SelectField(_l("Commune or ward where they live"), coerce=optional_int, validate_choice=False)
    village_id = SelectField(_l("Village or urban quarter (optional)"), coerce=optional_int, validate_choice=False)
    consent = BooleanField(_l("They agree to be registered, and I agree on their behalf that the organisers use "
                              "these data to manage their registration for this event."),
                           validators=[DataRequired(_l("Please confirm that they agree, and agree on their behalf to "
                                                       "the use of their data for this event."))])
    submit = SubmitField(_l("Register them"))


class RegistrantSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name or phone (accents optional)"))
    status = SelectField(_l("Status"), choices=[("", _l("All"))] + list(REGISTRATION_STATUS_LABELS.items()))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=list(REGISTRATION_STATUS_LABELS.items()), validate_choice=False)
    submit = SubmitField(_l("Change"))


class LaunchCeremonyForm(FlaskForm):
    campaign_id = SelectField(_l("Campaign"), coerce=optional_int, validate_choice=False)
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=200)])
    starts_at = DateTimeField(_l("Starts"), validators=[InputRequired(_l("Enter when the event starts."))])
    ends_at = DateTimeField(_l("Ends"), validators=[InputRequired(_l("Enter when the event ends.")),
                                                     EndAfterStart("starts_at", same_allowed=True)])
    place = StringField(_l("Provincial venue"), validators=[Optional(), Length(max=200)])
    online_url = StringField(_l("Online link (optional)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Create the ceremony and the bridge points"))


class NationalDayForm(FlaskForm):
    province_code = SelectField(_l("Province"), coerce=optional_int, validate_choice=False)
    year = IntegerField(_l("Year"), validators=[InputRequired(_int_message()),
                                                NumberRange(min=2020, max=2100,
                                                            message=_l("Enter a year between 2020 and 2100."))])
    submit = SubmitField(_l("Create the day"))


class BridgePointForm(FlaskForm):
    place = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    host_username = StringField(_l("Host (username, optional)"), validators=[Optional(), Length(max=80)])
    submit = SubmitField(_l("Save"))
