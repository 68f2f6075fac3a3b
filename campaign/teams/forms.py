from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from campaign.accounts.forms import optional_int
from campaign.core.forms import DateField, IntegerField, IntSelectField, MultiCheckboxField

ROLE_LABELS = {"leader": _l("Team leader"), "deputy": _l("Deputy leader"), "member": _l("Member")}
CHANNEL_LABELS = {
    "loudspeaker": _l("Loudspeaker system"),
    "commune_page": _l("Commune web page"),
    "social_post": _l("Social network post"),
    "community_meeting": _l("Community meeting"),
    "printed": _l("Printed material"),
}
LANGUAGE_LABELS = {
    "vi": _l("Vietnamese"), "khmer": _l("Khmer"), "cham": _l("Cham"), "stieng": _l("S'tiêng"),
    "choro": _l("Chơ Ro"), "mnong": _l("M'nông"), "raglai": _l("Raglai"), "hoa": _l("Hoa (Chinese)"),
    "tay": _l("Tày"), "nung": _l("Nùng"), "other": _l("Another minority language"),
}


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[Optional(), Length(max=200)])
    founded_on = DateField(_l("Founded on"), validators=[Optional()])
    submit = SubmitField(_l("Register the team"))


class MemberForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=120)])
    role = IntSelectField(_l("Role in the team"), choices=list(ROLE_LABELS.items()), default="member")
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    person_id = IntSelectField(_l("Resident of the village (optional)"), coerce=optional_int, validate_choice=False)
    volunteer_id = IntSelectField(_l("Volunteer (optional)"), coerce=optional_int, validate_choice=False)
    submit = SubmitField(_l("Add the member"))


class ActivityForm(FlaskForm):
    title = StringField(_l("What was communicated"), validators=[DataRequired(_l("Say what was communicated.")),
                                                                Length(max=200)])
    channel = IntSelectField(_l("Channel"), choices=list(CHANNEL_LABELS.items()))
    language = IntSelectField(_l("Language"), choices=list(LANGUAGE_LABELS.items()), default="vi")
    held_on = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date."))])
    village_ids = MultiCheckboxField(_l("Villages reached"), coerce=int)
    team_id = IntSelectField(_l("By the team of (optional)"), coerce=optional_int, validate_choice=False)
    reach = IntegerField(_l("People reached (if known)"), validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    link = StringField(_l("Link (post, page, video)"), validators=[Optional(), Length(max=500)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record the activity"))


class UnitActivityForm(ActivityForm):
    """A communications activity of a provincial unit (no villages, no team)."""

    unit_name = StringField(_l("Unit that carried it out"), validators=[DataRequired(_l("Enter the unit that carried it out.")),
                                                   Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.village_ids
        del self.team_id
