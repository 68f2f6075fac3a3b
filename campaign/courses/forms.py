from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.accounts.forms import optional_int
from campaign.core.forms import DateField, EndAfterStart, IntegerField, MultiCheckboxField, TimeField

AUDIENCE_LABELS = {
    "civil_servants": _l("Civil servants and public employees"),
    "community_digital_team": _l("Community digital team members"),
    "residents": _l("Residents"),
    "elderly": _l("The elderly"),
    "disabilities": _l("People with disabilities"),
    "workers": _l("Workers in firms and cooperatives"),
    "pupils": _l("Pupils and students"),
}
FORMAT_LABELS = {"in_person": _l("In person"), "online": _l("Online"), "mixed": _l("Mixed")}
ASSESSMENT_LABELS = {"none": _l("No assessment (attendance only)"), "pass_fail": _l("Passed / failed"),
                     "score": _l("Score out of 100")}
ATTENDANCE_LABELS = {"present": _l("Present"), "late": _l("Late"), "excused": _l("Excused"), "absent": _l("Absent")}
SOURCE_LABELS = {"roll_call": _l("Roll call"), "paper": _l("Paper sheet"), "checkin": _l("Check-in")}
OUTCOME_LABELS = {"passed": _l("Passed"), "failed": _l("Failed")}
CERTIFICATE_STATUS_LABELS = {"valid": _l("Valid"), "revoked": _l("Revoked"), "superseded": _l("Replaced")}


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter the course's title.")), Length(max=200)])
    audience = SelectField(_l("Audience"), choices=list(AUDIENCE_LABELS.items()))
    commune_code = SelectField(_l("Commune or ward"), coerce=optional_int, validate_choice=False)
    format = SelectField(_l("Format"), choices=list(FORMAT_LABELS.items()))
    capacity = IntegerField(_l("Places"), default=50, validators=[
        DataRequired(_l("Enter the number of places.")),
        NumberRange(min=1, max=2000, message=_l("Between 1 and 2000 places."))])
    place = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    online_url = StringField(_l("Online link (optional)"), validators=[Optional(), Length(max=500)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    accessibility_notes = TextAreaField(_l("Accessibility notes"), validators=[Optional(), Length(max=2000)])
    topic_ids = MultiCheckboxField(_l("Topics (national digital skills framework)"), coerce=int, validate_choice=False)
    trainer_ids = MultiCheckboxField(_l("Trainers"), coerce=int, validate_choice=False)
    issuing_unit = StringField(_l("Issuing unit (printed on certificates)"),
                               validators=[DataRequired(_l("Enter the unit that issues the certificates.")),
                                           Length(max=200)])
    min_attendance_pct = IntegerField(_l("Minimum attendance (%)"), default=80, validators=[
        DataRequired(_l("Enter the minimum attendance.")),
        NumberRange(min=0, max=100, message=_l("Between 0 and 100."))])
    assessment = SelectField(_l("Assessment"), choices=list(ASSESSMENT_LABELS.items()))
    pass_score = IntegerField(_l("Pass mark (for scores)"), validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("Between 0 and 100."))])
    first_date = DateField(_l("Date of the first session"), validators=[DataRequired(_l("Enter a date."))])
    start_time = TimeField(_l("Start time"), validators=[DataRequired(_l("Enter a time."))])
    end_time = TimeField(_l("End time"), validators=[DataRequired(_l("Enter a time.")),
                                                      EndAfterStart("start_time")])
    weeks = IntegerField(_l("Number of weekly sessions"), default=4, validators=[
        DataRequired(_l("Enter the number of sessions.")),
        NumberRange(min=1, max=60, message=_l("Between 1 and 60 sessions."))])
    submit = SubmitField(_l("Create the course"))


class CourseEditForm(CourseForm):
    """The course's fields without its commune and first sessions (sessions are added on its page)."""

    commune_code = first_date = start_time = end_time = weeks = None
    submit = SubmitField(_l("Save"))


class SessionForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    start_time = TimeField(_l("Start time"), validators=[DataRequired(_l("Enter a time."))])
    end_time = TimeField(_l("End time"), validators=[DataRequired(_l("Enter a time.")),
                                                      EndAfterStart("start_time")])
    title = StringField(_l("Title (optional)"), validators=[Optional(), Length(max=200)])
    weeks = IntegerField(_l("Repeat weekly, number of sessions"), default=1, validators=[
        DataRequired(_l("Enter the number of sessions.")),
        NumberRange(min=1, max=60, message=_l("Between 1 and 60 sessions."))])
    submit = SubmitField(_l("Add sessions"))


class EnrolForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter your full name.")), Length(max=120)],
                            render_kw={"autocomplete": "name"})
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=20)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    birth_year = IntegerField(_l("Year of birth (optional)"), validators=[Optional()],
                              render_kw={"inputmode": "numeric"})
    needs = TextAreaField(_l("Needs for taking part (optional)"), validators=[Optional(), Length(max=1000)])
    consent = BooleanField(_l("I agree that my name and phone are used to organise this class."))
    submit = SubmitField(_l("Enrol"))


class StaffEnrolForm(EnrolForm):
    consent = BooleanField(_l("The learner agreed that their name and phone are used to organise this class."))
    submit = SubmitField(_l("Enrol the learner"))


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give the reason for the revocation.")),
                                                   Length(max=300)])
    submit = SubmitField(_l("Revoke the certificate"))


class ReissueForm(FlaskForm):
    learner_name = StringField(_l("Name as it should be printed"),
                               validators=[DataRequired(_l("Enter the learner's name as it should be printed.")),
                                           Length(max=120)])
    submit = SubmitField(_l("Issue a corrected certificate"))
