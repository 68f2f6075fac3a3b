from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class StewardForm(FlaskForm):
    username = StringField(_l("Username of the volunteer or staff member"),
                           validators=[DataRequired(_l("Enter a username.")), Length(max=80)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"})
    submit = SubmitField(_l("Make check-in steward"))


class SelfCheckinForm(FlaskForm):
    code = StringField(_l("The short code under the QR on your ticket, or your phone number"),
                       validators=[DataRequired(_l("Enter your ticket's short code or your phone number.")),
                                   Length(max=40)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    uuid = HiddenField()
    submit = SubmitField(_l("Check me in"))


class DeviceForm(FlaskForm):
    label = StringField(_l("Name of the device"),
                        description=_l("Where it is used and whose phone it is, e.g. “Gate 1 – Lan's phone”."),
                        validators=[DataRequired(_l("Give the device a name, e.g. the gate and whose phone it is.")),
                                    Length(max=80)],
                        render_kw={"autocomplete": "off"})
    submit = SubmitField(_l("Add a device"))
