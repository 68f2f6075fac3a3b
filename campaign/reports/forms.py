from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from campaign.accounts.forms import optional_int
from campaign.core.forms import DateField, NumberField


class ManualValueForm(FlaskForm):
    """The value of an indicator entered by hand, for a commune or the whole province, as of a date."""

    indicator_id = SelectField(_l("Indicator"), coerce=optional_int, validate_choice=False,
                               validators=[InputRequired(_l("Choose an indicator."))])
    place = SelectField(_l("Commune or whole province"), validate_choice=False, validators=[InputRequired(_l("Choose where the value is for."))])
    as_of = DateField(_l("As of"), validators=[InputRequired(_l("Enter a date, e.g. 31/12/2026."))])
    value = NumberField(_l("Value"), validators=[InputRequired(_l("Enter a number."))],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    source = StringField(_l("Source (who reported it)"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save the value"))
