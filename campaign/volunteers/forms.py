from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from campaign.accounts.forms import optional_int
from campaign.campaigns.forms import TARGET_GROUP_LABELS
from campaign.campaigns.models import TARGET_GROUPS
from campaign.core.forms import (
    DateField,
    DateTimeField,
    EndAfterStart,
    IntegerField,
    MultiCheckboxField,
    NumberField,
    TimeField,
)

SKILL_LABELS = {
    "vneid": _l("VNeID set-up and verification"),
    "public_services": _l("Online public services"),
    "cashless_payment": _l("Cashless payment"),
    "teaching_elderly": _l("Teaching the elderly"),
    "sign_language": _l("Sign language"),
    "smartphone_basics": _l("Smartphone basics"),
    "online_safety": _l("Online safety and personal data"),
    "ai_tools": _l("AI tools"),
}
LANGUAGE_LABELS = {
    "vi": _l("Vietnamese"),
    "en": _l("English"),
    "khmer": _l("Khmer"),
    "hoa": _l("Chinese (Hoa)"),
    "stieng": _l("S'tiêng"),
    "choro": _l("Chơ Ro"),
    "ma": _l("Mạ"),
    "nung": _l("Nùng"),
    "tay": _l("Tày"),
    "cham": _l("Chăm"),
}
ROLE_LABELS = {
    "door_to_door": _l("Door-to-door guide"),
    "class_assistant": _l("Class assistant"),
    "help_desk": _l("Event help desk"),
    "vneid_support": _l("VNeID support"),
    "other": _l("Other"),
}
STATUS_LABELS = {
    "pending": _l("Waiting for approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("On the waiting list"),
    "cancelled": _l("Signed out"),
    "no_show": _l("Absent"),
}
GROUP_LABELS = TARGET_GROUP_LABELS  # one list of target groups, from campaigns
WEEKDAY_LABELS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")),
                  (4, _l("Friday")), (5, _l("Saturday")), (6, _l("Sunday"))]


def _skill_choices():
    return list(SKILL_LABELS.items())


class ProfileFields:
    phone = StringField(_l("Phone number"), validators=[DataRequired(_l("Enter your phone number.")), Length(max=30)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    school = StringField(_l("School or university"), validators=[Optional(), Length(max=200)])
    youth_branch = StringField(_l("Youth union branch"), validators=[Optional(), Length(max=200)])
    home_commune_code = SelectField(_l("Home commune or ward"), coerce=optional_int, validate_choice=False,
                                    validators=[DataRequired(_l("Choose your commune or ward."))])
    skills = MultiCheckboxField(_l("Skills"), choices=_skill_choices, validate_choice=False)
    languages = MultiCheckboxField(_l("Languages you speak"), choices=lambda: list(LANGUAGE_LABELS.items()),
                                   validate_choice=False)
    availability = TextAreaField(_l("When are you available?"), validators=[Optional(), Length(max=1000)])


class RegisterForm(FlaskForm, ProfileFields):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter your full name.")), Length(max=120)],
                            render_kw={"autocomplete": "name"})
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Email(_l("Enter a valid email address.")),
                                                           Length(max=254)])
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter a username.")), Length(max=80)],
                           render_kw={"autocapitalize": "none", "autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter a password."))],
                             render_kw={"autocomplete": "new-password"})
    consent = BooleanField(_l("I agree that the campaign keeps my name, phone and profile to organise volunteer "
                              "shifts, and deletes them when the campaign ends."))
    submit = SubmitField(_l("Send my registration"))


class MyProfileForm(FlaskForm, ProfileFields):
    """A volunteer's own profile: everything but the home commune (its organisers manage them)."""

    home_commune_code = None
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter your full name.")), Length(max=120)],
                            render_kw={"autocomplete": "name"})
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Email(_l("Enter a valid email address.")),
                                                           Length(max=254)])
    submit = SubmitField(_l("Save"))


class ShiftNeeds:
    """What a shift needs, in the shift form and in the bulk creation form."""

    role = SelectField(_l("Role"), choices=lambda: list(ROLE_LABELS.items()), validate_choice=False)
    location = StringField(_l("Place or address"), validators=[Optional(), Length(max=300)])
    min_needed = IntegerField(_l("Volunteers needed (minimum)"), validators=[Optional(), NumberRange(min=0, max=500)])
    max_needed = IntegerField(_l("Volunteers needed (maximum)"),
                              validators=[DataRequired(_l("Enter how many volunteers are needed.")),
                                          NumberRange(min=1, max=500)])
    required_skill = SelectField(_l("Required skill"), choices=lambda: [("", "—")] + _skill_choices(),
                                 validate_choice=False)


class ShiftForm(FlaskForm, ShiftNeeds):
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=200)])
    commune_code = SelectField(_l("Commune or ward"), coerce=optional_int, validate_choice=False,
                               validators=[DataRequired(_l("Choose a commune or ward."))])
    village_id = SelectField(_l("Village (optional)"), coerce=optional_int, validate_choice=False,
                             validators=[Optional()])
    starts_at = DateTimeField(_l("Starts"), validators=[DataRequired(_l("Enter when the shift starts."))])
    ends_at = DateTimeField(_l("Ends"), validators=[DataRequired(_l("Enter when the shift ends.")),
                                                    EndAfterStart("starts_at", _l("The shift must end after it starts."))])
    preferred_skills = MultiCheckboxField(_l("Preferred skills"), choices=_skill_choices, validate_choice=False)
    signup_opens_at = DateTimeField(_l("Sign-up opens (optional)"), validators=[Optional()])
    signup_closes_at = DateTimeField(_l("Sign-up closes (optional)"), validators=[Optional()])
    signout_cutoff_at = DateTimeField(_l("Sign-out cut-off (optional, default 12 hours before)"),
                                      validators=[Optional()])
    notes = TextAreaField(_l("Notes for volunteers"), validators=[Optional(), Length(max=2000)])
    move_to_waitlist = SelectMultipleField(_l("Move to the waiting list"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Save"))


class BulkForm(FlaskForm, ShiftNeeds):
    communes = MultiCheckboxField(_l("Communes"), coerce=int, validate_choice=False)
    date_from = DateField(_l("First day"), validators=[DataRequired(_l("Enter the first day."))])
    date_to = DateField(_l("Last day"), validators=[DataRequired(_l("Enter the last day.")),
                                                    EndAfterStart("date_from", _l("The last day must not be before the first day."),
                                                                  same_allowed=True)])
    weekdays = MultiCheckboxField(_l("Days of the week"), coerce=int, choices=WEEKDAY_LABELS, validate_choice=False)
    start_time = TimeField(_l("From"), validators=[DataRequired(_l("Enter the start time."))])
    end_time = TimeField(_l("To"), validators=[DataRequired(_l("Enter the end time.")),
                                                     EndAfterStart("start_time", _l("The shift must end after it starts."))])
    skip_holidays = BooleanField(_l("Skip public holidays"), default=True)
    preview = SubmitField(_l("Preview"))
    confirm = SubmitField(_l("Create these shifts"))


class AssignForm(FlaskForm):
    volunteer = SelectField(_l("Volunteer"), coerce=optional_int, validate_choice=False,
                            validators=[DataRequired(_l("Choose a volunteer."))])
    overbook = BooleanField(_l("Overbook deliberately (beyond the maximum)"))
    lead = BooleanField(_l("Shift lead"))
    submit = SubmitField(_l("Assign"))


class HoursForm(FlaskForm):
    hours = NumberField(_l("Hours"), validators=[DataRequired(_l("Enter the hours.")), NumberRange(min=0, max=24)])
    reason = StringField(_l("Reason for the correction"), validators=[DataRequired(_l("Give a reason for the correction.")),
                                                                      Length(max=300)])
    submit = SubmitField(_l("Correct hours"))


class OutcomeForm(FlaskForm):
    households_visited = IntegerField(_l("Households visited"), default=0, validators=[Optional(), NumberRange(0, 10000)])
    vneid_installed = IntegerField(_l("VNeID installations assisted"), default=0,
                                   validators=[Optional(), NumberRange(0, 10000)])
    vneid_verified = IntegerField(_l("VNeID verifications assisted"), default=0,
                                  validators=[Optional(), NumberRange(0, 10000)])
    public_service_accounts = IntegerField(_l("Online public service accounts set up"), default=0,
                                           validators=[Optional(), NumberRange(0, 10000)])
    submit = SubmitField(_l("Save outcomes"))


for _group in TARGET_GROUPS:
    setattr(OutcomeForm, f"helped_{_group}", IntegerField(GROUP_LABELS[_group], default=0,
                                                          validators=[Optional(), NumberRange(0, 10000)]))
