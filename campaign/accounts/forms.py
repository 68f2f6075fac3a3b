from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from campaign.accounts.models import ROLES

ROLE_LABELS = {
    "admin": _l("System administrator"),
    "province_coordinator": _l("Province coordinator"),
    "commune_officer": _l("Commune officer"),
    "youth_organiser": _l("Youth union organiser"),
    "trainer": _l("Trainer"),
    "volunteer": _l("Volunteer"),
}


def role_choices():
    return [(r, ROLE_LABELS[r]) for r in ROLES]


def optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # an unknown code: the service answers "unknown province/commune"


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username.")), Length(max=80)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Log in"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password."))],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(_l("Repeat the new password.")),
                                        EqualTo("new_password", _l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))


class ScopeFields:
    # The views offer only the roles the actor may grant; a forged value gets the service's clear refusal.
    role = SelectField(_l("Role"), choices=role_choices, validators=[DataRequired()], validate_choice=False)
    province_code = SelectField(_l("Province"), coerce=optional_int, validators=[Optional()], validate_choice=False)
    commune_code = SelectField(_l("Commune or ward"), coerce=optional_int, validators=[Optional()], validate_choice=False)


class UserCreateForm(FlaskForm, ScopeFields):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter a username.")), Length(max=80)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"})
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the person's full name.")), Length(max=120)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(_l("Enter a password."))],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create account"))


class GrantForm(FlaskForm, ScopeFields):
    submit = SubmitField(_l("Grant role"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a password."))],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set password"))


class ConfirmForm(FlaskForm):
    """An empty form: a button that posts with a CSRF token."""

    submit = SubmitField(_l("Confirm"))
