from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class StewardForm(FlaskForm):
    username = StringField(_l("Username of the volunteer or staff member"),
                           validators=[DataRequired(_l("Enter a username.")), Length(max=80)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"})
    submit = SubmitField(_l("Make check-in steward"))
