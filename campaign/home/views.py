"""/today: the home of a signed-in person."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from campaign.core.timeutil import local_today
from campaign.home import services

bp = Blueprint("home", __name__)


@bp.get("/today")
@login_required
def today():
    day = local_today()
    cards = services.collect(current_user, day)
    return render_template("home/today.html", day=day, groups=services.grouped(cards), total=len(cards))
