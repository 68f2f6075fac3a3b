from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

SECTION_LABELS = {
    "communications": _l("Communications and spreading the campaign"),
    "training": _l("Training, courses and recognising digital skills"),
    "infrastructure": _l("Infrastructure and devices"),
    "platforms": _l("Platforms and digital services"),
    "emulation": _l("Emulation and recognition"),
    "other": _l("Other tasks"),
}
STATUS_LABELS = {
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "delayed": _l("Delayed"),
    "cancelled": _l("Cancelled"),
}
UNIT_KIND_LABELS = {
    "department": _l("Department (sở, ngành)"),
    "union": _l("Union or association (đoàn thể, hội)"),
    "youth_union": _l("Youth union"),
    "commune": _l("A commune's people's committee"),
    "communes": _l("All communes (collective)"),
    "agency": _l("Agency or newspaper"),
    "other": _l("Other"),
}


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=list(STATUS_LABELS.items()))
    note = TextAreaField(_l("Progress note"), validators=[Optional(), Length(max=1000)])
    link = StringField(_l("Link to evidence (optional)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save the status"))


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the unit's name.")), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[(k, v) for k, v in UNIT_KIND_LABELS.items() if k != "commune"])
    submit = SubmitField(_l("Add the unit"))


class MemberForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Give a username.")), Length(max=80)])
    submit = SubmitField(_l("Add the member"))
