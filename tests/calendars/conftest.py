from datetime import UTC, datetime, timedelta

import pytest

from campaign.events import services as ev
from campaign.extensions import db
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.venues.conftest import make_booking, make_venue  # noqa: F401 - fixtures for the feed tests
from tests.volunteers.conftest import campaign, make_profile, make_shift  # noqa: F401


@pytest.fixture
def calendar_world(factory):
    """A weekly class series with one skipped and one moved occurrence, a cancelled talk, a
    published workshop, a draft, and the 10/10 day of two years. Times relative to now."""
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    first = (now + timedelta(days=3)).replace(hour=11, minute=0)  # 18:00 in Vietnam
    series = ev.create_series(officer, freq="weekly", count=6, province_code=DONG_NAI, commune_code=TRAN_BIEN,
                              title="Lớp kỹ năng số hằng tuần", starts_at=first, ends_at=first + timedelta(hours=2),
                              kind="class_session", status="published", place="Nhà văn hóa khu phố 1")
    occ = sorted(series.occurrences, key=lambda e: e.starts_at)
    ev.cancel_event(officer, occ[1], "trùng lịch")  # skipped
    ev.update_event(officer, occ[2], starts_at=occ[2].starts_at + timedelta(days=1),
                    ends_at=occ[2].ends_at + timedelta(days=1), place="Hội trường UBND")  # moved
    talk = ev.create_event(officer, province_code=DONG_NAI, commune_code=TRAN_BIEN, kind="talk", status="published",
                           title="Tọa đàm an toàn trên mạng", starts_at=now + timedelta(days=10, hours=2),
                           ends_at=now + timedelta(days=10, hours=4))
    ev.cancel_event(officer, talk, "mưa bão")
    workshop = ev.create_event(officer, province_code=DONG_NAI, commune_code=TRAN_BIEN, kind="workshop",
                               status="published", title="Hội thảo chính quyền số",
                               starts_at=now + timedelta(days=20), ends_at=now + timedelta(days=20, hours=3))
    draft = ev.create_event(officer, province_code=DONG_NAI, commune_code=TRAN_BIEN, kind="other", status="draft",
                            title="Bản nháp", starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=1))
    day = ev.create_national_day(officer, DONG_NAI, now.year + 1).parent
    day_next = ev.create_national_day(officer, DONG_NAI, now.year + 2).parent
    db.session.commit()
    return dict(officer=officer, series=series, occurrences=occ, talk=talk, workshop=workshop, draft=draft,
                days=[day, day_next], now=now)
