from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from campaign.core.forms import DateField, EndAfterStart
from campaign.filings.services import MAX_TEXT


class PeriodForm(FlaskForm):
    """A report period of a campaign (e.g. a quarter) and the last day to submit."""

    name = StringField(_l("Name of the period"), validators=[InputRequired(_l("Give the period a name.")),
                                                             Length(max=120)])
    starts_on = DateField(_l("First day"), validators=[InputRequired(_l("Enter a date, e.g. 31/12/2026."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(_l("Enter a date, e.g. 31/12/2026.")),
                                                   EndAfterStart("starts_on", same_allowed=True)])
    due_on = DateField(_l("Reports due by (last day to submit)"),
                       validators=[InputRequired(_l("Enter a date, e.g. 31/12/2026."))])
    submit = SubmitField(_l("Add the period"))


class DeadlineForm(FlaskForm):
    due_on = DateField(_l("Reports due by (last day to submit)"),
                       validators=[InputRequired(_l("Enter a date, e.g. 31/12/2026."))])
    submit = SubmitField(_l("Change the deadline"))


class ReportForm(FlaskForm):
    """The plans' text sections of a commune's report; "save" keeps a draft, "send" submits it."""

    results = TextAreaField(_l("Results achieved"), validators=[Optional(), Length(max=MAX_TEXT)],
                            render_kw={"rows": 6})
    difficulties = TextAreaField(_l("Difficulties and obstacles"), validators=[Optional(), Length(max=MAX_TEXT)],
                                 render_kw={"rows": 4})
    proposals = TextAreaField(_l("Proposals and recommendations"), validators=[Optional(), Length(max=MAX_TEXT)],
                              render_kw={"rows": 4})
    save = SubmitField(_l("Save the draft"))
    send = SubmitField(_l("Submit the report"))


class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("What needs correcting"), validators=[InputRequired(_l("Say what needs correcting.")),
                                                                      Length(max=MAX_TEXT)], render_kw={"rows": 3})
    submit = SubmitField(_l("Return the report"))
