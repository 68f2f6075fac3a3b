from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from campaign.accounts.forms import optional_int
from campaign.core.forms import DateField, EndAfterStart, IntSelectField

AWARD_LABELS = {"certificate_of_merit": _l("Certificate of merit (bằng khen)"),
                "commendation": _l("Commendation (giấy khen)"),
                "letter_of_thanks": _l("Letter of thanks (thư cảm ơn)")}
SUBJECT_LABELS = {"volunteer": _l("Volunteer"), "commune": _l("Commune"), "team": _l("Community digital team")}


class RoundForm(FlaskForm):
    campaign_id = IntSelectField(_l("Campaign"), coerce=optional_int, validate_choice=False)
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter the round's title.")), Length(max=200)])
    starts_on = DateField(_l("From"), validators=[InputRequired(_l("Enter the start date."))])
    ends_on = DateField(_l("To"), validators=[InputRequired(_l("Enter the end date.")),
                                              EndAfterStart("starts_on", _l("The period must not end before it starts."),
                                                            same_allowed=True)])
    submit = SubmitField(_l("Open the round"))


class DecisionForm(FlaskForm):
    subject = SelectField(_l("Candidate"), validate_choice=False,
                          validators=[DataRequired(_l("Choose a candidate of this province."))])
    award = IntSelectField(_l("Form of recognition"), choices=list(AWARD_LABELS.items()))
    decided_by = StringField(_l("Decided by"), validators=[DataRequired(_l("Enter who decided (e.g. the Chairman of the provincial People's Committee).")), Length(max=200)])
    decision_number = StringField(_l("Decision number"), validators=[DataRequired(_l("Enter the decision's number.")),
                                                                     Length(max=40)])
    decided_on = DateField(_l("Decision date"), validators=[InputRequired(_l("Enter the decision's date (not in the future)."))])
    reason = TextAreaField(_l("Achievement"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Record the decision and issue the document"))
