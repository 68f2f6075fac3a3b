from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class StewardForm(FlaskForm):
    username = StringField(_l("Username of the volunteer or staff member"),
                           validators=[DataRequired(_l("Enter a username.")), Length(max=80)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"})
    submit = SubmitField(_l("Make check-in steward"))


class SelfCheckinForm(FlaskForm):
    code = StringField(_l("The short code under the QR on your ticket"),
                       description=_l("All 8 characters, e.g. AB12-CD34. Or only the last 4 characters together "
                                      "with your phone number below."),
                       validators=[DataRequired(_l("Enter the short code printed on your ticket.")), Length(max=40)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    phone = StringField(_l("Your phone number (only with the last 4 characters)"),
                        validators=[Optional(), Length(max=40)],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    uuid = HiddenField()
    submit = SubmitField(_l("Check me in"))


class DeviceForm(FlaskForm):
    label = StringField(_l("Name of the device"),
                        description=_l("Where it is used and whose phone it is, e.g. “Gate 1 – Lan's phone”."),
                        validators=[DataRequired(_l("Give the device a name, e.g. the gate and whose phone it is.")),
                                    Length(max=80)],
                        render_kw={"autocomplete": "off"})
    submit = SubmitField(_l("Add a device"))
