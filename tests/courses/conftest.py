"""Fixtures of the courses feature: make_course(**overrides) with sessions, enrol(course, n)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from campaign.courses import services
from campaign.courses.models import Course
from campaign.extensions import db
from tests.conftest import DONG_NAI, TRAN_BIEN

_seq = itertools.count(1)



def create_course(sessions: int = 4, first_day: int | None = None, commit: bool = True, **overrides) -> Course:
    """A course in Trấn Biên with ``sessions`` weekly sessions. By default the last one starts in
    an hour (the class is under way: enrolment open, attendance recordable for every session);
    ``first_day`` puts the first one that many days from now instead."""
    n = next(_seq)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    if first_day is None:
        start = now + timedelta(hours=1) - timedelta(weeks=max(sessions - 1, 0))
    else:
        start = now + timedelta(days=first_day)
    values = dict(province_code=DONG_NAI, commune_code=TRAN_BIEN, title=f"Kỹ năng số cơ bản {n}",
                  starts_at=start, ends_at=start + timedelta(hours=2), audience="residents", capacity=50,
                  place="Nhà văn hóa khu phố 1", issuing_unit="UBND phường Trấn Biên", min_attendance_pct=75)
    values.update(overrides)
    course = services.create_course(None, **values)
    if sessions:
        services.add_weekly_sessions(None, course, start, start + timedelta(hours=2), sessions)
    if commit:
        db.session.commit()
    return course


def enrol(course: Course, n: int = 1, prefix: str = "Học viên", actor=None):
    regs = []
    for i in range(n):
        reg, _token = services.enrol(course, full_name=f"{prefix} {i + 1:03d}", consent=True, actor=actor,
                                     phone=None)
        regs.append(reg)
    db.session.commit()
    return regs


@pytest.fixture
def make_course():
    return create_course
