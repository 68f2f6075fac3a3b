from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
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


class BaselineForm(FlaskForm):
    """A commune's population of one group as of a date (the denominator of percentage indicators)."""

    commune = SelectField(_l("Commune or ward"), coerce=optional_int, validate_choice=False,
                          validators=[InputRequired(_l("Choose a commune."))])
    kind = SelectField(_l("Population"), validate_choice=False, validators=[InputRequired(_l("Choose a population group."))])
    as_of = DateField(_l("As of"), validators=[InputRequired(_l("Enter a date, e.g. 31/12/2026."))])
    value = NumberField(_l("Number of people (households)"), validators=[InputRequired(_l("Enter a number."))],
                        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    source = StringField(_l("Source"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Save the baseline"))


class RemoteForm(FlaskForm):
    remote = BooleanField(_l("Remote commune (vùng sâu, vùng xa)"))
