"""The renderer on its own: what both independent parsers read back, byte rules, stability."""

from datetime import UTC, date, datetime, timedelta

from campaign.calendars.ical import FeedItem, render
from tests.calendars.parsers import check_bytes, icalendar_errors, occurrences_ical, occurrences_icaljs

LM = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)
LONG = "Lớp kỹ năng số cho người cao tuổi tại Nhà văn hóa ấp Phước Hòa, xã Long Thành, tỉnh Đồng Nai"


def items():
    first = datetime(2026, 10, 6, 11, 0, tzinfo=UTC)  # 18:00 in Vietnam, Tuesdays
    return [
        FeedItem(uid="class@test", summary=LONG, start=first, end=first + timedelta(hours=2), last_modified=LM,
                 rrule={"FREQ": "WEEKLY", "UNTIL": first + timedelta(weeks=6)},
                 exdates=(first + timedelta(weeks=1),), location="Nhà văn hóa ấp Phước Hòa", geo=(10.78, 106.95),
                 url="https://example.test/e/1", description="Mang theo điện thoại thông minh.\nMiễn phí."),
        FeedItem(uid="class@test", summary=LONG + " (dời)", start=first + timedelta(weeks=2, days=1),
                 end=first + timedelta(weeks=2, days=1, hours=2), last_modified=LM, sequence=1,
                 recurrence_id=first + timedelta(weeks=2)),
        FeedItem(uid="day@test", summary="Ngày hội toàn dân học tập số", start=date(2026, 10, 10),
                 end=date(2026, 10, 11), last_modified=LM, rrule={"FREQ": "YEARLY"}),
        FeedItem(uid="cancelled@test", summary="Tọa đàm đã hủy", start=datetime(2026, 10, 15, 2, 0, tzinfo=UTC),
                 end=datetime(2026, 10, 15, 4, 0, tzinfo=UTC), last_modified=LM, status="CANCELLED", sequence=3),
    ]


WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 10, 31, tzinfo=UTC))
EXPECTED = sorted([
    ("class@test", "2026-10-06T11:00:00Z", LONG, "CONFIRMED"),
    # 13/10 skipped; 20/10 moved to 21/10
    ("class@test", "2026-10-21T11:00:00Z", LONG + " (dời)", "CONFIRMED"),
    ("class@test", "2026-10-27T11:00:00Z", LONG, "CONFIRMED"),
    ("class@test", "2026-11-03T11:00:00Z", LONG, "CONFIRMED"),
    ("class@test", "2026-11-10T11:00:00Z", LONG, "CONFIRMED"),
    ("class@test", "2026-11-17T11:00:00Z", LONG, "CONFIRMED"),
    ("day@test", "2026-10-10", "Ngày hội toàn dân học tập số", "CONFIRMED"),
    ("day@test", "2027-10-10", "Ngày hội toàn dân học tập số", "CONFIRMED"),
    ("cancelled@test", "2026-10-15T02:00:00Z", "Tọa đàm đã hủy", "CANCELLED"),
])


def test_two_independent_parsers_expand_the_same_occurrences():
    body = render("Lịch thử", items())
    assert occurrences_icaljs(body, *WINDOW) == EXPECTED
    assert occurrences_ical(body, *WINDOW) == EXPECTED


def test_bytes_follow_rfc5545():
    body = render("Lịch thử", items(), description="Mô tả", url="https://example.test/")
    check_bytes(body)
    assert icalendar_errors(body) == []
    text = body.decode()
    for needle in ("VERSION:2.0", "PRODID:", "NAME:Lịch thử", "X-WR-CALNAME:Lịch thử",
                   "X-WR-TIMEZONE:Asia/Ho_Chi_Minh", "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
                   "DTSTART;TZID=Asia/Ho_Chi_Minh:20261006T180000", "DTSTART;VALUE=DATE:20261010",
                   "DTEND;VALUE=DATE:20261011", "RRULE:FREQ=YEARLY", "EXDATE;TZID=Asia/Ho_Chi_Minh:20261013T180000",
                   "RECURRENCE-ID;TZID=Asia/Ho_Chi_Minh:20261020T180000", "STATUS:CANCELLED", "GEO:10.78;106.95",
                   "DTSTAMP:20260901T030000Z", "LAST-MODIFIED:20260901T030000Z"):
        assert needle in text, needle
    vtimezone = text[text.index("BEGIN:VTIMEZONE"):text.index("END:VTIMEZONE")]
    assert "COMMENT" not in vtimezone and "TZID:Asia/Ho_Chi_Minh" in vtimezone
    assert text.count("BEGIN:VTIMEZONE") == 1
    assert "UID:" not in text[:text.index("BEGIN:VTIMEZONE")]  # no random calendar UID


def test_output_is_byte_stable_whatever_the_order():
    assert render("Lịch", items()) == render("Lịch", list(reversed(items())))


def test_vietnamese_text_is_nfc():
    decomposed = "Nguye\u0302\u0303n Thi\u0323"
    body = render("Lịch", [FeedItem(uid="x@test", summary=decomposed, start=date(2026, 1, 1), end=date(2026, 1, 2),
                                    last_modified=LM)])
    assert "SUMMARY:Nguyễn Thị".encode() in body


def test_every_feed_has_a_component_even_an_empty_one():
    """RFC 5545's grammar needs one component in a VCALENDAR: the VTIMEZONE is always there."""
    for feed in ([], [items()[2]]):
        body = render("Lịch", feed)
        check_bytes(body)
        assert body.count(b"BEGIN:VTIMEZONE") == 1 and icalendar_errors(body) == []


def test_folding_never_splits_a_character():
    from campaign.calendars.ical import fold

    for n in range(60, 90):
        line = "SUMMARY:" + "a" * (n % 7) + "ỗ" * n
        raw = fold(line)
        physical = raw.split(b"\r\n")[:-1]
        assert all(len(p) <= 75 for p in physical)
        for p in physical:
            p.decode("utf-8")
        assert b"".join(p[1:] if i else p for i, p in enumerate(physical)).decode() == line


def test_links_take_the_address_of_the_request():
    from campaign.calendars.ical import BASE, with_base

    item = FeedItem(uid="x@test", summary="a", start=date(2026, 1, 1), end=date(2026, 1, 2), last_modified=LM,
                    url=BASE + "/events/1")
    body = render("Lịch", [item], url=BASE + "/")
    for base in ("https://lich.example.vn", "https://" + "rat-dai." * 12 + "vn"):
        out = with_base(body, base)
        check_bytes(out)
        from icalendar import Calendar

        cal = Calendar.from_ical(out)
        assert str(cal["URL"]) == base + "/" and str(cal.walk("VEVENT")[0]["URL"]) == base + "/events/1"
