from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from campaign.accounts.forms import optional_int
from campaign.core.forms import DateField, EndAfterStart, IntegerField, NumberField

CAMPAIGN_KIND_LABELS = {
    "digital_literacy": _l("Digital literacy for all"),
    "summer": _l("Summer volunteer campaign"),
    "competition": _l("Competition"),
    "other": _l("Other"),
}

TARGET_GROUP_LABELS = {
    "civil_servants": _l("Civil servants and public employees"),
    "pupils_students": _l("Pupils and students"),
    "adults": _l("Adult residents"),
    "workers": _l("Workers in firms and cooperatives"),
    "elderly": _l("The elderly"),
    "disabilities": _l("People with disabilities"),
    "ethnic_minorities": _l("Ethnic minorities"),
    "remote_areas": _l("Remote areas"),
    "poor_households": _l("Poor households"),
    "traders_farmers": _l("Small traders and farmers"),
    "community_digital_team": _l("Community digital team members"),
}

UNIT_LABELS = {
    "people": _l("people"),
    "households": _l("households"),
    "classes": _l("classes"),
    "activities": _l("activities"),
    "hours": _l("hours"),
    "percent": _l("%"),
    "communes": _l("communes"),
    "entries": _l("entries"),
}

METRIC_LABELS = {
    "people_trained": _l("People trained"),
    "households_trained": _l("Households with a trained member"),
    "classes_held": _l("Classes held"),
    "certificates_issued": _l("Certificates issued"),
    "people_helped": _l("People helped by volunteers"),
    "vneid_assisted": _l("VNeID verifications helped"),
    "public_service_accounts": _l("Online public service accounts"),
    "households_reached": _l("Households reached"),
    "national_day_activities": _l("10/10 day activities"),
    "bridge_points_connected": _l("Bridge points connected"),
    "volunteer_hours": _l("Volunteer hours"),
    "shifts_filled": _l("Shifts filled"),
    "registrations": _l("Registrations"),
    "remote_communes_supported": _l("Remote communes supported directly"),
    "manual": _l("Entered by hand"),
}

# The populations of the percentage indicators (campaigns.models.BASELINE_GROUPS).
BASELINE_LABELS = {
    "civil_servants": _l("Civil servants and public employees"),
    "pupils": _l("Pupils from primary school"),
    "adults": _l("Adult residents"),
    "workers": _l("Workers in firms and cooperatives"),
    "households": _l("Households"),
    "residents_16": _l("Residents aged 16 and over"),
}


def metric_labels() -> dict:
    """METRIC_LABELS with the metrics other features contribute (features.extra_metrics)."""
    from campaign.features import extra_metrics

    return {**METRIC_LABELS, **extra_metrics()}


class CampaignForm(FlaskForm):
    province_code = SelectField(_l("Province"), coerce=optional_int, validate_choice=False)
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the campaign's name.")), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=list(CAMPAIGN_KIND_LABELS.items()), validate_choice=False)
    owner_unit = StringField(_l("Owner unit"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(_l("Enter the start date."))])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired(_l("Enter the end date.")),
                                                   EndAfterStart("starts_on", _l("The campaign must not end before it starts."),
                                                                 same_allowed=True)])
    parent_id = SelectField(_l("Part of (optional)"), coerce=optional_int, validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save"))


class IndicatorForm(FlaskForm):
    code = StringField(_l("Number or code"), validators=[DataRequired(_l("Enter the indicator's number or code.")),
                                                        Length(max=20)])
    name = TextAreaField(_l("Indicator"), validators=[DataRequired(_l("Enter the indicator's name.")),
                                                      Length(max=400)])
    unit = SelectField(_l("Unit"), choices=list(UNIT_LABELS.items()), validate_choice=False)
    target_value = NumberField(_l("Overall target"), validators=[InputRequired(_l("Enter a number."))])
    metric = SelectField(_l("Measured by"), choices=lambda: list(metric_labels().items()), validate_choice=False)
    target_group = SelectField(_l("Target group (optional)"), validate_choice=False)
    lead_unit = StringField(_l("Lead unit"), validators=[Optional(), Length(max=200)])
    partner_units = StringField(_l("Partner units"), validators=[Optional(), Length(max=2000)])
    measurement = TextAreaField(_l("How it is measured"), validators=[Optional(), Length(max=2000)])
    position = IntegerField(_l("Position in the list"), validators=[Optional()])
    submit = SubmitField(_l("Save"))
