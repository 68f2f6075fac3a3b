from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from campaign.core.forms import IntegerField

VILLAGE_KIND_LABELS = {
    "thon": _l("Thôn (village)"),
    "ap": _l("Ấp (hamlet)"),
    "khu_pho": _l("Khu phố (urban quarter)"),
    "to_dan_pho": _l("Tổ dân phố (residential group)"),
    "ban": _l("Bản (mountain village)"),
    "other": _l("Other"),
}


class VillageForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the village's name.")), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=list(VILLAGE_KIND_LABELS.items()))
    households = IntegerField(_l("Households (optional)"),
                              validators=[Optional(), NumberRange(min=0, message=_l("This number cannot be negative."))])
    population = IntegerField(_l("Population (optional)"),
                              validators=[Optional(), NumberRange(min=0, message=_l("This number cannot be negative."))])
    submit = SubmitField(_l("Save"))
