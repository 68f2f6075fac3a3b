"""Home cards of the classes: a trainer's sessions today (one tap to the roll call), else the next one."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from campaign.core.cards import Card
from campaign.core.timeutil import day_end, day_start, format_date, format_time
from campaign.courses.models import Course, course_trainers
from campaign.events.models import Event
from campaign.extensions import db


def _sessions(user, lo, hi=None, limit: int = 10):
    stmt = (select(Event, Course.id).join(Course, Course.event_id == Event.parent_id)
            .join(course_trainers, course_trainers.c.course_id == Course.id)
            .where(course_trainers.c.user_id == user.id, Event.status != "cancelled", Event.ends_at > lo))
    if hi is not None:
        stmt = stmt.where(Event.starts_at < hi)
    return db.session.execute(stmt.order_by(Event.starts_at, Event.id).limit(limit)).all()


def cards(user, today: date) -> list[Card]:
    """Two queries at most: today's sessions of the classes the user teaches, else the next one."""
    out = []
    for session, course_id in _sessions(user, day_start(today), day_end(today)):
        out.append(Card(
            title=_("Class today at %(time)s: %(title)s", time=format_time(session.starts_at), title=session.title),
            detail=session.place or "", action=_("Roll call"), priority=5, kind="roll_call",
            url=url_for("courses.roll_call", course_id=course_id, session_id=session.id)))
    if not out:
        for session, course_id in _sessions(user, day_end(today), limit=1):
            out.append(Card(
                title=_("Next class: %(title)s", title=session.title),
                detail=f"{format_date(session.starts_at)} {format_time(session.starts_at)} · {session.place or ''}",
                action=_("Open the class"), priority=40, kind="next_session",
                url=url_for("courses.detail", course_id=course_id)))
    return out
