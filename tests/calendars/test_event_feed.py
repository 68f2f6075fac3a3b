"""Event feeds read by two independent parsers give exactly the events the app has."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from campaign.calendars import event_feed
from campaign.calendars.ical import render
from campaign.core.timeutil import to_local
from campaign.events import services as ev
from campaign.events.models import Event
from campaign.extensions import db
from tests.calendars.parsers import agreed, check_bytes, icalendar_errors
from tests.calendars.test_edits import expected, revisions


def link(event):
    return f"https://example.test/events/{event.id}"


def public_feed() -> bytes:
    start, end = datetime.now(UTC) - timedelta(days=60), datetime.now(UTC) + timedelta(days=800)
    stmt = select(Event).where(event_feed.public_condition())
    return render("Lịch xã", event_feed.feed_items(stmt, start, end, link))


def test_parsers_agree_with_the_app(calendar_world):
    body = public_feed()
    start, end = calendar_world["now"] - timedelta(days=1), calendar_world["now"] + timedelta(days=900)
    ids = set(db.session.scalars(select(Event.id).where(event_feed.public_condition())))
    rows = agreed(body, start, end)
    # 5 classes (one skipped), the cancelled talk, the workshop, the 10/10 days in the window
    in_window = [d for d in calendar_world["days"] if d.starts_at <= datetime.now(UTC) + timedelta(days=800)]
    assert len(rows) == 5 + 1 + 1 + len(in_window)
    assert rows == [r for r in expected(ids, datetime.now(UTC) + timedelta(days=800)) if r[1] >= start.isoformat()[:10]]
    check_bytes(body)
    assert icalendar_errors(body) == []


def test_series_is_one_rule_with_exdate_and_a_full_override(calendar_world):
    body = public_feed().decode()
    series = calendar_world["series"]
    occ = calendar_world["occurrences"]
    assert body.count(f"UID:{series.uid}") == 2  # the master and the moved occurrence
    rule = next(ln for ln in body.splitlines() if ln.startswith("RRULE:FREQ=WEEKLY"))
    last = max(o.recurrence_id for o in occ).strftime("%Y%m%dT%H%M%SZ")  # no rule beyond the last class
    assert set(rule[6:].split(";")) == {"FREQ=WEEKLY", "INTERVAL=1", f"UNTIL={last}"}
    skipped = to_local(occ[1].starts_at).strftime("%Y%m%dT%H%M%S")
    assert f"EXDATE;TZID=Asia/Ho_Chi_Minh:{skipped}" in body
    moved_rid = to_local(occ[2].recurrence_id).strftime("%Y%m%dT%H%M%S")
    blocks = body.split("BEGIN:VEVENT")
    override = next(b for b in blocks if f"RECURRENCE-ID;TZID=Asia/Ho_Chi_Minh:{moved_rid}" in b)
    revision = sum(o.sequence for o in occ)  # the series' revision: every occurrence's changes count
    for prop in ("SUMMARY:", "DTSTART;", "DTEND;", "LOCATION:Hội trường UBND", f"SEQUENCE:{revision}", "URL"):
        assert prop in override, prop
    assert all(e.uid not in body for e in occ)  # occurrences appear only through the series


def test_national_day_is_each_year_as_stored(calendar_world):
    """No yearly rule: each year's row is an all-day event of its own, under its own UID."""
    body = public_feed().decode()
    assert "RRULE:FREQ=YEARLY" not in body
    for day in calendar_world["days"]:
        y = to_local(day.starts_at).year
        assert f"UID:{day.uid}" in body
        assert f"DTSTART;VALUE=DATE:{y}1010" in body and f"DTEND;VALUE=DATE:{y}1011" in body
    assert "RECURRENCE-ID;VALUE=DATE" not in body


def test_drafts_and_internal_events_stay_out_of_public_feeds(calendar_world):
    body = public_feed().decode()
    assert "Bản nháp" not in body
    talk = calendar_world["talk"]
    assert f"UID:{talk.uid}" in body and "STATUS:CANCELLED" in body


def test_cancelled_events_leave_the_feed_once_passed(calendar_world):
    talk = calendar_world["talk"]
    talk.starts_at = datetime.now(UTC) - timedelta(days=3)
    talk.ends_at = talk.starts_at + timedelta(hours=2)
    db.session.commit()
    assert f"UID:{talk.uid}".encode() not in public_feed()


def test_a_visible_change_bumps_sequence_and_last_modified(calendar_world):
    workshop = calendar_world["workshop"]
    before = public_feed()
    ev.update_event(calendar_world["officer"], workshop, title="Hội thảo chính quyền số (đổi giờ)")
    db.session.commit()
    after = public_feed()
    assert before != after
    assert revisions(after)[workshop.uid][0] == revisions(before)[workshop.uid][0] + 1
    assert public_feed() == after  # stable when nothing changes


def test_uids_are_random_and_stored(calendar_world):
    uids = [e.uid for e in db.session.scalars(select(Event))]
    assert len(set(uids)) == len(uids)
    assert all(len(u.split("@")[0]) == 32 and int(u.split("@")[0], 16) >= 0 for u in uids)
