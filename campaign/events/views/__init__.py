"""The events blueprint, in three modules on the one blueprint ``events``:

- :mod:`.public` — the public pages: campaign, event list, event page and registration, private link;
- :mod:`.manage` — the organisers' pages: events, series, registrants and their CSV;
- :mod:`.tree` — the event tree: the launch ceremony and the 10/10 day, their boards, bridge points.

This module holds the blueprint and the few helpers the three share.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _

from campaign.core import requests, timeutil
from campaign.core.timeutil import local_to_utc
from campaign.events.forms import (
    EVENT_KIND_LABELS,
    GENDER_LABELS,
    REGISTRATION_STATUS_LABELS,
    RELATION_LABELS,
    STATUS_LABELS,
    TARGET_GROUP_LABELS,
)
from campaign.events.models import Event
from campaign.extensions import db
from campaign.units import services as units

bp = Blueprint("events", __name__)

LABELS = dict(kinds=EVENT_KIND_LABELS, statuses=STATUS_LABELS, reg_statuses=REGISTRATION_STATUS_LABELS,
              groups=TARGET_GROUP_LABELS, genders=GENDER_LABELS, relations=RELATION_LABELS)


@bp.app_context_processor
def _labels():
    return {"event_labels": LABELS}


def render(template: str, **context):
    return render_template(template, **context)


def int_arg(name: str) -> int | None:
    return requests.int_arg(name)


def date_arg(name: str):
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return timeutil.parse_local_date(value)
    except ValueError:
        flash(_("A date was not understood and was ignored; use dd/mm/yyyy."), "warning")
        return None


def province_communes(province_code: int) -> list[tuple[int, str]]:
    return units.commune_choices(units.communes(province_code=province_code))


def event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


def form_times(form) -> tuple[datetime, datetime]:
    """The form's local start and end, in UTC."""
    return local_to_utc(form.starts_at.data), local_to_utc(form.ends_at.data)


def next_or(default: str) -> str:
    """The form's ``next`` when it is one of the organiser pages, else ``default``."""
    target = request.form.get("next", "")
    return target if target.startswith("/manage/") else default


from campaign.events.views import manage, public, tree  # noqa: E402,F401  (their routes join bp)
