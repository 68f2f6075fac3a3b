from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

CHANNEL_LABELS = {"email": _l("E-mail"), "zalo": _l("Zalo"), "sms": _l("SMS")}
REMINDER_LABELS = {"event": _l("Reminders before events"), "session": _l("Reminders before class sessions"),
                   "shift": _l("Reminders before volunteer shifts")}
# An account may also hold the reminders of its work (commune officers: a report's deadline).
ACCOUNT_REMINDER_LABELS = {**REMINDER_LABELS,
                           "report": _l("Reminders before a commune report's deadline (commune officers)")}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ContactForm(FlaskForm):
    contact = StringField(_l("Phone number or e-mail"), validators=[DataRequired(), Length(max=254)],
                          render_kw={"autocomplete": "username", "inputmode": "email"})
    submit = SubmitField(_l("Send"))


class CodeForm(FlaskForm):
    code = StringField(_l("The 6-digit code"), validators=[DataRequired(), Length(min=6, max=8)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    submit = SubmitField(_l("Continue"))


class ResetPasswordForm(FlaskForm):
    code = StringField(_l("The 6-digit code"), validators=[Optional(), Length(max=8)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set the new password"))


class OwnContactsForm(FlaskForm):
    person_id = HiddenField()
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=30)], render_kw={"inputmode": "tel"})
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)], render_kw={"inputmode": "email"})
    submit = SubmitField(_l("Save my contacts"))


class PreferencesForm(FlaskForm):
    person_id = HiddenField()
    channels = CheckboxesField(_l("Reach me by"), choices=list(CHANNEL_LABELS.items()))
    reminders = CheckboxesField(_l("Send me"), choices=list(REMINDER_LABELS.items()))
    language = SelectField(_l("Language of the messages"), choices=[("vi", "Tiếng Việt"), ("en", "English")],
                           default="vi")
    consent = BooleanField(_l("I agree to receive reminders (I can stop them at any time)"))
    submit = SubmitField(_l("Save my choices"))


class PersonActionForm(FlaskForm):
    person_id = HiddenField()
    submit = SubmitField(_l("Confirm"))


class AnnouncementForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=150)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 6})
    nonce = HiddenField()
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send to everyone registered"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))
