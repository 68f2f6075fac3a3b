"""The anonymous home page ("/"): a resident picks their commune (province → commune, accents
optional) and sees what is coming there — events, classes, the 10/10 activities — soonest first.

The commune is remembered on the device in a cookie holding only its code (no personal data).
``core.views.index`` asks each feature's ``home`` module (``features.modules("home")``) for a page;
this one answers for visitors without an account and leaves logged-in people to the others.
"""

from __future__ import annotations

from flask import current_app, make_response, request
from flask_login import current_user
from sqlalchemy import select

from campaign.core import requests
from campaign.core.text import like_pattern
from campaign.core.types import utcnow
from campaign.events import services
from campaign.events.models import Event
from campaign.events.views import render
from campaign.extensions import db
from campaign.units.models import Commune, Province

COOKIE = "commune"
COOKIE_AGE = 365 * 24 * 3600
UPCOMING_LIMIT = 30


def _remembered() -> int | None:
    raw = request.cookies.get(COOKIE, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _picker(province_code: int, q: str) -> dict:
    provinces = db.session.execute(select(Province.code, Province.name).order_by(Province.name)).all()
    stmt = select(Commune).where(Commune.province_code == province_code).order_by(Commune.name, Commune.code)
    if q.strip():
        stmt = stmt.where(Commune.search_name.like(like_pattern(q), escape="\\"))
    return dict(provinces=provinces, province_code=province_code, q=q,
                choices=db.session.scalars(stmt).all())


def upcoming(commune_code: int, limit: int = UPCOMING_LIMIT) -> tuple[list[Event], dict[int, list[Event]]]:
    """What is coming in a commune, soonest first (a class once, with its next sessions): two queries."""
    now = utcnow()
    stmt = (services.public_events_query(commune_code=commune_code)
            .where(Event.ends_at >= now, Event.kind != "bridge_point", Event.status == "published").limit(limit))
    items = db.session.scalars(stmt).all()
    return items, services.class_sessions([e.id for e in items], now)


def home():
    """The resident's home, or None for a logged-in person (another home answers)."""
    if current_user.is_authenticated:
        return None
    chosen = requests.int_arg("commune")
    commune = db.session.get(Commune, chosen) if chosen else None
    if commune is None and request.args.get("change") != "1" and "province" not in request.args:
        remembered = _remembered()
        commune = db.session.get(Commune, remembered) if remembered else None
    if commune is not None:
        items, sessions = upcoming(commune.code)
        resp = make_response(render("events/resident_home.html", commune=commune, items=items, sessions=sessions))
        if chosen:
            resp.set_cookie(COOKIE, str(commune.code), max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                            secure=request.is_secure)
        return resp
    province = requests.int_arg("province") or current_app.config["DEFAULT_PROVINCE_CODE"]
    if db.session.get(Province, province) is None:
        province = current_app.config["DEFAULT_PROVINCE_CODE"]
    return render("events/resident_home.html", commune=None,
                  **_picker(province, request.args.get("q", "")[:100]))
