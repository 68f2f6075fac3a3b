"""Every feed over a real HTTP server, as calendar apps fetch it: RFC 5545 bytes (at least one
component, CRLF, 75-octet folding that never splits a character), exactly one Date header,
Last-Modified and ETag on a 304; the public cache does not depend on the Host header; subscribe pages
link every way in (webcal, Google, Outlook personal and work/school, a QR code of the https address)."""

from __future__ import annotations

import http.client
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from werkzeug.serving import make_server

from campaign.calendars.http import feed_cache
from campaign.extensions import db
from tests.calendars.parsers import check_bytes, icalendar_errors
from tests.conftest import TRAN_BIEN


@pytest.fixture(scope="module")
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_port
    srv.shutdown()


def fetch(port: int, path: str, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def private_path(login_as, user, scope: str) -> str:
    resp = login_as(user).post("/calendars/", data={"scope": scope, "action": "issue"})
    start = resp.text.index("/calendars/private/")
    return resp.text[start:resp.text.index(".ics", start) + 4]


@pytest.fixture
def every_feed(factory, login_as, calendar_world, make_venue, make_booking, make_profile):
    from campaign.campaigns.models import Campaign

    officer = calendar_world["officer"]
    camp = Campaign(province_code=75, name="Bình dân học vụ số (thử)", slug="bdhvs-http",
                    starts_on=datetime.now(UTC).date(), ends_on=datetime.now(UTC).date() + timedelta(days=400))
    db.session.add(camp)
    db.session.flush()
    calendar_world["workshop"].campaign_id = camp.id
    empty = Campaign(province_code=75, name="Chưa có sự kiện", slug="chua-co", starts_on=camp.starts_on,
                     ends_on=camp.ends_on)
    db.session.add(empty)
    db.session.commit()
    venue = make_venue(name="Nhà văn hóa khu phố 2")
    make_booking(venue, officer, status="approved", purpose="Họp")
    volunteer = make_profile()
    paths = [f"/calendars/communes/{TRAN_BIEN}.ics", "/calendars/campaigns/bdhvs-http.ics",
             "/calendars/campaigns/chua-co.ics", f"/calendars/venues/{venue.id}.ics",
             f"/calendars/events/{calendar_world['workshop'].id}.ics"]
    for scope in ("organiser", "my_events", "my_bookings", "my_classes"):
        paths.append(private_path(login_as, officer, scope))
    paths.append(private_path(login_as, volunteer.user, "my_shifts"))  # an empty one
    return paths


def test_every_feed_follows_rfc5545_and_http(server, every_feed):
    for path in every_feed:
        resp, body = fetch(server, path)
        assert resp.status == 200, path
        assert resp.getheader("Content-Type") == "text/calendar; charset=utf-8"
        check_bytes(body)  # CRLF, folding at 75 octets on character boundaries, at least one component
        assert icalendar_errors(body) == []
        dates = [v for k, v in resp.getheaders() if k.lower() == "date"]
        assert len(dates) == 1, (path, dates)
        etag, modified = resp.getheader("ETag"), resp.getheader("Last-Modified")
        assert etag and modified
        for condition in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
            again, rest = fetch(server, path, condition)
            assert again.status == 304 and rest == b"", (path, condition)
            assert again.getheader("Last-Modified") == modified and again.getheader("ETag") == etag
            assert len([k for k, _v in again.getheaders() if k.lower() == "date"]) == 1


def test_an_empty_feed_still_has_a_component(client):
    from campaign.campaigns.models import Campaign

    db.session.add(Campaign(province_code=75, name="Trống", slug="trong", starts_on=datetime.now(UTC).date(),
                            ends_on=datetime.now(UTC).date()))
    db.session.commit()
    body = client.get("/calendars/campaigns/trong.ics").data
    check_bytes(body)
    assert b"BEGIN:VTIMEZONE" in body and b"BEGIN:VEVENT" not in body


def test_the_public_cache_is_not_keyed_by_host(client, calendar_world, monkeypatch):
    from campaign.calendars import event_feed

    path = f"/calendars/communes/{TRAN_BIEN}.ics"
    feed_cache.clear()
    renders = []
    real = event_feed.feed_items
    monkeypatch.setattr(event_feed, "feed_items", lambda *a, **k: renders.append(1) or real(*a, **k))
    bodies = {}
    for host in ("lich.example.vn", "a.example", "b.example", "c.example"):
        resp = client.get(path, headers={"Host": host})
        assert resp.status_code == 200
        bodies[host] = resp.data
        assert f"URL;VALUE=URI:\r\n http://{host}\r\n /".encode() in resp.data
    assert len(renders) == 1  # one render, whatever the Host
    assert len({client.get(path, headers={"Host": h}).headers["ETag"] for h in bodies}) == len(bodies)
    # a change is seen at once by every host
    from campaign.events import services as ev

    ev.update_event(calendar_world["officer"], calendar_world["workshop"], title="Hội thảo đã đổi tên")
    db.session.commit()
    assert "Hội thảo đã đổi tên".encode() in client.get(path, headers={"Host": "a.example"}).data
    assert len(renders) == 2


def _decode_qr(svg: str) -> str:
    """Rasterise the inline SVG QR code (qrcode's path image) and decode it."""
    import re

    size = int(float(re.search(r'width="([\d.]+)mm"', svg).group(1)) * 10)
    path = re.search(r' d="([^"]+)"', svg).group(1)
    img = Image.new("L", (size + 20, size + 20), 255)
    from PIL import ImageDraw

    draw = ImageDraw.Draw(img)
    for square in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", path):
        x0, y0, x1, y1, _x2 = (float(v) * 10 for v in square)
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=0)
    results = zxingcpp.read_barcodes(img)
    assert results, "no QR code found"
    return results[0].text


def test_subscribe_pages_offer_every_way_in(client, calendar_world, make_venue, login_as):
    html = client.get(f"/calendars/communes/{TRAN_BIEN}").text
    assert "webcal://" in html and "calendar.google.com" in html
    assert "https://outlook.live.com/calendar/0/addfromweb?url=" in html
    assert "https://outlook.office.com/calendar/0/addfromweb?url=" in html
    svg = html[html.index("<svg"):html.index("</svg>") + 6]
    scanned = _decode_qr(svg)
    assert urlsplit(scanned).scheme in ("http", "https") and scanned.endswith(f"/calendars/communes/{TRAN_BIEN}.ics")
    venue = make_venue(name="Nhà văn hóa khu phố 5")
    page = login_as(calendar_world["officer"]).get(f"/venues/{venue.id}").text
    assert f"/calendars/venues/{venue.id}\"" in page  # the venue's public calendar is linked


def test_pages_carry_one_date_header(server):
    for path in ("/", f"/calendars/communes/{TRAN_BIEN}", "/calendars/communes/1.ics"):
        resp, _body = fetch(server, path)
        assert len([k for k, _v in resp.getheaders() if k.lower() == "date"]) == 1, path
