"""After every ordinary edit by an organiser, five readers (ical.js, libical, `ical`,
recurring-ical-events, `icalendar`) agree with each other and with the database on every occurrence
of every feed: UID, start and end in UTC, summary, status. Every change a subscriber can see moves
the entry's SEQUENCE or LAST-MODIFIED.

The edits: move the first, a middle and the last occurrence of a weekly series; cancel the first;
make one occurrence internal and one a draft; change the whole series' time; promote a volunteer from
a shift's waiting list. Each runs on its own and all of them one after the other."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from campaign.calendars import event_feed
from campaign.core.timeutil import to_local
from campaign.courses.models import Course
from campaign.events import services as ev
from campaign.events.models import Event
from campaign.extensions import db
from campaign.volunteers import services as vol
from campaign.volunteers.models import Signup
from tests.calendars.parsers import agreed, check_bytes
from tests.conftest import DONG_NAI, TRAN_BIEN
from tests.courses.conftest import create_course

READ = (datetime.now(UTC) - timedelta(days=70), datetime.now(UTC) + timedelta(days=800))
STATUS = {"published": "CONFIRMED", "cancelled": "CANCELLED", "draft": "TENTATIVE"}


# --- what the database says a feed holds ---------------------------------------------------------

def _when(event: Event, moment: datetime, end: bool = False) -> str:
    if event.all_day:
        day = to_local(moment).date()
        return (day + timedelta(days=1) if end else day).isoformat()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected(ids: set[int], until: datetime | None = None) -> list[tuple]:
    """The occurrences a feed of these events holds: every event in the window (cancelled ones until
    they have passed) as itself; a series it touches whole, each shown occurrence under the series'
    UID, cancelled ones skipped unless the whole series is; never a course's parent event."""
    now = datetime.now(UTC)
    start, end = now - timedelta(days=60), until or now + timedelta(days=365)
    parents = set(db.session.scalars(select(Course.event_id)))
    events = [e for e in db.session.scalars(select(Event).where(Event.id.in_(ids))) if e.id not in parents]

    def in_window(e: Event) -> bool:
        return e.ends_at >= start and e.starts_at <= end and (e.status != "cancelled" or e.ends_at >= now)

    rows = []
    series = defaultdict(list)
    for e in events:
        if e.series_id is None:
            if in_window(e):
                rows.append((e.uid, _when(e, e.starts_at), _when(e, e.ends_at, True), e.title, STATUS[e.status]))
        else:
            series[e.series_id].append(e)
    for occs in series.values():
        if not any(in_window(e) for e in occs):
            continue
        shown = [e for e in occs if e.status != "cancelled"] or occs
        for e in shown:
            rows.append((e.series.uid, _when(e, e.starts_at), _when(e, e.ends_at, True), e.title, STATUS[e.status]))
    return sorted(rows)


def public_ids() -> set[int]:
    """What the public pages show in Trấn Biên: public published or cancelled events of the commune,
    and the province's launch ceremony and 10/10 days."""
    return {e.id for e in db.session.scalars(select(Event)) if e.is_public and (
        e.commune_code == TRAN_BIEN
        or (e.commune_code is None and e.province_code == DONG_NAI and e.kind in ("launch_ceremony", "national_day")))}


def revisions(body: bytes) -> dict[str, tuple]:
    """Per UID, the highest SEQUENCE and the latest LAST-MODIFIED of its components."""
    out: dict[str, tuple] = {}
    for comp in Calendar.from_ical(body).walk("VEVENT"):
        uid = str(comp["UID"])
        seq, modified = int(comp.get("SEQUENCE", 0)), comp["LAST-MODIFIED"].dt
        old = out.get(uid, (-1, modified))
        out[uid] = (max(old[0], seq), max(old[1], modified))
    return out


def assert_changes_are_announced(before: tuple, after: tuple) -> None:
    """Every UID whose occurrences changed has a higher SEQUENCE or a later LAST-MODIFIED."""
    (rows_a, body_a), (rows_b, body_b) = before, after
    by_uid_a, by_uid_b = defaultdict(set), defaultdict(set)
    for r in rows_a:
        by_uid_a[r[0]].add(r)
    for r in rows_b:
        by_uid_b[r[0]].add(r)
    rev_a, rev_b = revisions(body_a), revisions(body_b)
    for uid in set(by_uid_a) & set(by_uid_b):
        if by_uid_a[uid] != by_uid_b[uid]:
            assert rev_b[uid][0] > rev_a[uid][0] or rev_b[uid][1] > rev_a[uid][1], uid


# --- the world and its feeds ----------------------------------------------------------------------

@pytest.fixture
def world(factory, make_profile, make_shift):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    first = (now + timedelta(days=3)).replace(hour=11, minute=0)  # 18:00 in Vietnam
    series = ev.create_series(officer, freq="weekly", count=6, province_code=DONG_NAI, commune_code=TRAN_BIEN,
                              title="Lớp kỹ năng số hằng tuần", starts_at=first, ends_at=first + timedelta(hours=2),
                              kind="class_session", status="published", place="Nhà văn hóa khu phố 1")
    talk = ev.create_event(officer, province_code=DONG_NAI, commune_code=TRAN_BIEN, kind="talk", status="published",
                           title="Tọa đàm an toàn trên mạng", starts_at=now + timedelta(days=10, hours=2),
                           ends_at=now + timedelta(days=10, hours=4))
    ev.cancel_event(officer, talk, "mưa bão")
    ev.create_event(officer, province_code=DONG_NAI, commune_code=TRAN_BIEN, kind="workshop", status="published",
                    title="Hội thảo chính quyền số", starts_at=now + timedelta(days=20),
                    ends_at=now + timedelta(days=20, hours=3))
    ev.create_event(officer, province_code=DONG_NAI, commune_code=TRAN_BIEN, kind="other", status="draft",
                    title="Bản nháp", starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=5, hours=1))
    for year in (now.year - 1, now.year, now.year + 1):
        ev.create_national_day(officer, DONG_NAI, year)
    course = create_course(sessions=3, first_day=4, title="Lớp tin học cho người cao tuổi")
    volunteer, other = make_profile(), make_profile()
    shift = make_shift(title="Hỗ trợ VNeID ấp 1", max_needed=1)
    db.session.add_all([Signup(shift_id=shift.id, volunteer_id=other.id, status="confirmed"),
                        Signup(shift_id=shift.id, volunteer_id=volunteer.id, status="waitlisted")])
    db.session.commit()
    occurrences = sorted(series.occurrences, key=lambda e: e.recurrence_id)
    return dict(officer=officer, series=series, occurrences=occurrences, course=course, shift=shift,
                volunteer=volunteer, other=other)


class Feeds:
    """The feeds under test, fetched over HTTP as a calendar app does."""

    def __init__(self, client, login_as, world):
        self.client = client
        self.world = world
        self.private = {}
        for user, scope in ((world["officer"], "organiser"), (world["officer"], "my_events"),
                            (world["volunteer"].user, "my_shifts")):
            resp = login_as(user).post("/calendars/", data={"scope": scope, "action": "issue"})
            assert resp.status_code == 200, resp.text
            start = resp.text.index("/calendars/private/")
            self.private[scope] = resp.text[start:resp.text.index(".ics", start) + 4]

    def body(self, path: str) -> bytes:
        resp = self.client.get(path)
        assert resp.status_code == 200
        check_bytes(resp.data)
        return resp.data

    def read(self) -> dict[str, tuple]:
        """Each feed's agreed occurrences (and its bytes), checked against the database."""
        officer = self.world["officer"]
        out = {}
        public = self.body(f"/calendars/communes/{TRAN_BIEN}.ics")
        out["commune"] = (agreed(public, *READ), public)
        assert out["commune"][0] == expected(public_ids())
        organiser = self.body(self.private["organiser"])
        out["organiser"] = (agreed(organiser, *READ), organiser)
        managed = set(db.session.scalars(ev.managed_events_query(officer).with_only_columns(Event.id).order_by(None)))
        assert out["organiser"][0] == expected(managed)
        mine = self.body(self.private["my_events"])
        out["my_events"] = (agreed(mine, *READ), mine)
        created = set(db.session.scalars(select(Event.id).where(Event.created_by_id == officer.id)))
        assert out["my_events"][0] == expected(created)
        shifts = self.body(self.private["my_shifts"])
        out["my_shifts"] = (agreed(shifts, *READ), shifts)
        return out


def _move(officer, occ: Event, days: int = 1, place: str = "") -> None:
    values = dict(starts_at=occ.starts_at + timedelta(days=days), ends_at=occ.ends_at + timedelta(days=days))
    if place:
        values["place"] = place
    ev.update_event(officer, occ, **values)


def move_first(w):
    _move(w["officer"], w["occurrences"][0], place="Hội trường UBND")


def move_middle(w):
    _move(w["officer"], w["occurrences"][2], days=2)


def move_last(w):
    _move(w["officer"], w["occurrences"][-1], days=-1)


def cancel_first(w):
    ev.cancel_event(w["officer"], w["occurrences"][0], "trùng lịch")


def internal_and_draft(w):
    ev.update_event(w["officer"], w["occurrences"][1], visibility="internal", title="Buổi nội bộ của cán bộ")
    ev.update_event(w["officer"], w["occurrences"][3], status="draft", title="Buổi chưa chốt")


def whole_series_time(w):
    first = w["occurrences"][0]
    ev.update_following(w["officer"], first, starts_at=first.starts_at + timedelta(hours=1),
                        ends_at=first.ends_at + timedelta(hours=1, minutes=30))


def promote(w):
    signup = db.session.scalar(select(Signup).where(Signup.shift_id == w["shift"].id,
                                                    Signup.volunteer_id == w["other"].id))
    vol.cancel_signup(w["other"].user, signup)


EDITS = [move_first, move_middle, move_last, cancel_first, internal_and_draft, whole_series_time, promote]


def _edit_and_read(feeds, world, edit):
    before = feeds.read()
    edit(world)
    db.session.commit()
    after = feeds.read()
    for name in after:
        assert_changes_are_announced(before[name], after[name])
    return before, after


@pytest.mark.parametrize("edit", EDITS, ids=lambda f: f.__name__)
def test_every_reader_agrees_with_the_database_after_an_edit(client, login_as, world, edit):
    feeds = Feeds(client, login_as, world)
    before, after = _edit_and_read(feeds, world, edit)
    series_uid = world["series"].uid
    if edit is move_first:
        # the rule still describes the series: the other five stay on their weekday and time
        body = after["commune"][1].decode()
        dtstart = body[body.index(f"UID:{series_uid}"):].split("DTSTART;", 1)[1][:40]
        first_slot = to_local(world["occurrences"][0].recurrence_id).strftime("%Y%m%dT%H%M%S")
        assert dtstart.startswith(f"TZID=Asia/Ho_Chi_Minh:{first_slot}")
        assert f"RECURRENCE-ID;TZID=Asia/Ho_Chi_Minh:{first_slot}" in body
    if edit is internal_and_draft:
        public = after["commune"][1].decode()
        assert "Buổi nội bộ" not in public and "Buổi chưa chốt" not in public
        assert len([r for r in after["commune"][0] if r[0] == series_uid]) == 4
        organiser = {r[3]: r[4] for r in after["organiser"][0]}
        assert organiser["Buổi nội bộ của cán bộ"] == "CONFIRMED" and organiser["Buổi chưa chốt"] == "TENTATIVE"
    if edit is promote:
        shift = world["shift"]
        assert [r[0] for r in before["my_shifts"][0]] == [shift.uid]
        assert before["my_shifts"][0][0][3:] == ("Hỗ trợ VNeID ấp 1 (danh sách chờ)", "TENTATIVE")
        assert after["my_shifts"][0][0][3:] == ("Hỗ trợ VNeID ấp 1", "CONFIRMED")
        assert_changes_are_announced(before["my_shifts"], after["my_shifts"])  # (the helper checks it)
        assert revisions(after["my_shifts"][1])[shift.uid][0] > revisions(before["my_shifts"][1])[shift.uid][0]


def test_all_edits_one_after_the_other(client, login_as, world):
    feeds = Feeds(client, login_as, world)
    for edit in EDITS:
        _edit_and_read(feeds, world, edit)


def test_classes_show_as_their_sessions(client, world):
    course = world["course"]
    body = client.get(f"/calendars/communes/{TRAN_BIEN}.ics").data
    assert f"UID:{course.event.uid}".encode() not in body
    rows = [r for r in agreed(body, *READ) if r[3] == "Lớp tin học cho người cao tuổi"]
    assert len(rows) == 3  # the three sessions, none longer than a day
    for _uid, start, end, _title, _status in rows:
        assert datetime.fromisoformat(end) - datetime.fromisoformat(start) <= timedelta(hours=24)
    download = client.get(f"/calendars/events/{course.event_id}.ics")
    assert download.status_code == 200 and len(agreed(download.data, *READ)) == 3


def test_the_national_day_is_each_year_as_stored(client, world):
    body = client.get(f"/calendars/communes/{TRAN_BIEN}.ics").data
    assert b"FREQ=YEARLY" not in body
    days = [r for r in agreed(body, *READ) if r[3].startswith("Ngày hội toàn dân học tập số")]
    stored = db.session.scalars(select(Event).where(Event.kind == "national_day")).all()
    now = datetime.now(UTC)
    in_window = [d for d in stored if now - timedelta(days=60) <= d.ends_at and d.starts_at <= now + timedelta(days=365)]
    assert sorted((r[0], r[3]) for r in days) == sorted((d.uid, d.title) for d in in_window)
    # a day leaving the window does not change the UIDs of the others
    assert all(r[1][5:] == "10-10" for r in days)


def test_a_series_that_fits_no_rule_is_written_occurrence_by_occurrence(client, world):
    """An occurrence whose slot the rule cannot produce (a stored slot off the weekly grid) makes
    each occurrence an event of its own, under its own UID: still what the database holds."""
    occ = world["occurrences"][2]
    occ.recurrence_id = occ.recurrence_id + timedelta(hours=5)
    db.session.commit()
    body = client.get(f"/calendars/communes/{TRAN_BIEN}.ics").data
    rows = agreed(body, *READ)
    assert sorted(r[1:] for r in rows) == sorted(r[1:] for r in expected(public_ids()))
    uids = {r[0] for r in rows if r[3] == "Lớp kỹ năng số hằng tuần"}
    assert uids == {o.uid for o in world["occurrences"]}


def test_feed_items_hide_what_the_statement_does_not_select(world):
    """A series' occurrence outside the feed's statement is an excluded slot, not a leak."""
    occ = world["occurrences"][1]
    ev.update_event(world["officer"], occ, visibility="internal", title="Riêng cán bộ")
    db.session.commit()
    stmt = select(Event).where(event_feed.public_condition(), Event.commune_code == TRAN_BIEN)
    items = event_feed.feed_items(stmt, *READ, lambda e: f"https://example.test/{e.id}")
    assert all(it.summary != "Riêng cán bộ" for it in items)
    master = next(it for it in items if it.uid == world["series"].uid and it.rrule)
    assert occ.recurrence_id in master.exdates


def test_a_monthly_series_with_its_first_moved_and_one_hidden(client, world):
    officer = world["officer"]
    first = (datetime.now(UTC) + timedelta(days=2)).replace(hour=1, minute=30, second=0, microsecond=0)
    monthly = ev.create_series(officer, freq="monthly", count=5, province_code=DONG_NAI, commune_code=TRAN_BIEN,
                               title="Ngày hỗ trợ VNeID hằng tháng", starts_at=first,
                               ends_at=first + timedelta(hours=3), kind="hands_on", status="published")
    occ = sorted(monthly.occurrences, key=lambda e: e.recurrence_id)
    _move(officer, occ[0], days=3)
    ev.update_event(officer, occ[2], visibility="internal")
    db.session.commit()
    body = client.get(f"/calendars/communes/{TRAN_BIEN}.ics").data
    rows = agreed(body, *READ)
    assert rows == expected(public_ids())
    assert len([r for r in rows if r[0] == monthly.uid]) == 4
    assert b"RRULE:FREQ=MONTHLY;INTERVAL=1;UNTIL=" in body
