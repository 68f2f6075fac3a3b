"""The scanner in Chromium: a fake camera showing a ticket's QR, a keyboard-wedge scanner, lookup,
and the ticket pages; nothing is fetched from outside the app (the decoder's WebAssembly is ours)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from campaign.checkin import qr
from campaign.checkin.models import CheckIn
from campaign.checkin.services import poster_token
from campaign.extensions import db
from tests.checkin.conftest import CheckinFactory
from tests.conftest import LONG_THANH
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, axe_violations, browser_login


def write_y4m(image: Image.Image, path: Path, width: int = 640, height: int = 480) -> None:
    """A one-frame YUV4MPEG2 video (Chromium loops it as the fake camera): the image, grey, centred."""
    frame = Image.new("L", (width, height), 255)
    side = min(width, height) - 40
    frame.paste(image.convert("L").resize((side, side), Image.NEAREST), ((width - side) // 2, (height - side) // 2))
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        fh.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


@pytest.fixture
def scene(factory):
    cf = CheckinFactory()
    event = cf.event(title="Ngày hội học tập số")
    steward = factory.user("volunteer", commune=LONG_THANH, full_name="Tình nguyện viên An")
    cf.steward(event, steward)
    ticket = cf.ticket(event, name="Lê Thị Ánh", phone="+84987654321")
    return event, steward, ticket


@pytest.fixture
def camera_browser(tmp_path, scene, playwright_instance):
    _event, _steward, ticket = scene
    video = tmp_path / "ticket.y4m"
    write_y4m(Image.open(io.BytesIO(qr.png(ticket.code))), video)
    args = CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                            f"--use-file-for-fake-video-capture={video}"]
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    yield browser
    browser.close()


def test_fake_camera_scans_a_ticket_and_the_checkin_is_recorded(camera_browser, live_server, scene, factory):
    event, steward, ticket = scene
    context = camera_browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                         locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(20_000)
    outside = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(live_server) else None)
    browser_login(page, live_server, steward, factory.PASSWORD)
    page.goto(f"{live_server}/checkin/events/{event.id}/scan")
    page.wait_for_function("() => document.getElementById('scanner').dataset.ready === '1'")
    page.get_by_role("button", name="Bật camera").click()
    result = page.locator("#scan-result[data-result]")
    result.wait_for(state="visible")
    assert result.get_attribute("data-result") == "accepted"
    assert "Lê Thị Ánh" in page.locator("#scan-result-detail").inner_text()
    assert page.locator("#checked-in-count").inner_text() == "1"
    rows = db.session.scalars(select(CheckIn)).all()
    assert [(r.result, r.method, r.steward_id) for r in rows] == [("accepted", "camera", steward.id)]
    assert rows[0].device_id and rows[0].device_time is not None
    # The same QR held in front of the camera is not scanned again and again.
    page.wait_for_timeout(2500)
    assert len(db.session.scalars(select(CheckIn)).all()) == 1
    assert outside == [], outside
    context.close()


def test_keyboard_wedge_typed_codes_and_lookup(page, live_server, scene, factory):
    event, steward, ticket = scene
    browser_login(page, live_server, steward, factory.PASSWORD)
    page.goto(f"{live_server}/checkin/events/{event.id}/scan")
    page.wait_for_function("() => document.getElementById('scanner').dataset.ready === '1'")
    page.locator("#rapid-mode").uncheck()
    # A USB scanner "types" the whole code and presses Enter, wherever the focus was left.
    assert page.evaluate("() => document.activeElement.id") == "rapid-mode"
    page.keyboard.type(ticket.code + "\n", delay=1)
    result = page.locator("#scan-result")
    page.wait_for_function("() => document.getElementById('scan-result').dataset.result === 'accepted'")
    assert "Đã check-in" in result.inner_text()
    page.get_by_role("button", name="Người tiếp theo").click()
    # Typed again as the short code: already checked in, by whom and when.
    page.locator("#code-input").fill(ticket.short_code.lower())
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('scan-result').dataset.result === 'duplicate'")
    assert "Tình nguyện viên An" in result.inner_text()
    assert [(r.result, r.method) for r in db.session.scalars(select(CheckIn).order_by(CheckIn.id))] == [
        ("accepted", "typed"), ("duplicate", "typed")]
    # A forged code: red.
    page.get_by_role("button", name="Người tiếp theo").click()
    page.locator("#code-input").fill(ticket.code[:-4] + "AAAA")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('scan-result').dataset.result === 'invalid'")
    # Manual lookup by a name typed without accents, then check in from the list.
    other = CheckinFactory().ticket(event, name="Phạm Văn Đông", phone="+84911222333")
    page.get_by_role("button", name="Người tiếp theo").click()
    page.get_by_placeholder("Họ tên hoặc các số cuối điện thoại").fill("pham van dong")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("button", name="Check-in: Phạm Văn Đông").click()
    page.wait_for_function("() => document.getElementById('scan-result').dataset.result === 'accepted'")
    assert db.session.scalar(select(CheckIn.method).where(CheckIn.ticket_id == other.id)) == "lookup"
    # A family registered together by one person: found by one name, checked in all at once.
    parent = factory.user("volunteer", full_name="Người đăng ký giúp")
    family = [CheckinFactory().ticket(event, name=n, registered_by=parent) for n in ("Võ Văn Ba", "Võ Thị Tư")]
    page.get_by_role("button", name="Người tiếp theo").click()
    page.get_by_placeholder("Họ tên hoặc các số cuối điện thoại").fill("vo thi tu")
    page.get_by_role("button", name="Tìm").click()
    page.get_by_role("button", name="Check-in cả nhóm (2)").click()
    page.wait_for_function("() => document.querySelectorAll('#lookup-results .badge').length === 2")
    assert sorted(db.session.scalars(select(CheckIn.ticket_id).where(
        CheckIn.ticket_id.in_([t.id for t in family]), CheckIn.result == "accepted"))) == sorted(t.id for t in family)


def test_ticket_page_on_a_phone_shows_a_readable_qr(phone, live_server, scene):
    _event, _steward, ticket = scene
    phone.goto(f"{live_server}/tickets/{ticket.token}")
    assert phone.get_by_text(ticket.short_code).is_visible()
    shot = phone.locator(".ticket-qr").screenshot()
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))] == [ticket.code]
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360


def test_checkin_pages_have_no_serious_accessibility_violations(page, live_server, scene, factory):
    event, _steward, ticket = scene
    admin = factory.user("admin")
    browser_login(page, live_server, admin, factory.PASSWORD)
    problems = {}
    for path in ["/checkin/", f"/checkin/events/{event.id}/scan", f"/checkin/events/{event.id}/stewards",
                 f"/checkin/events/{event.id}/print?all=1", f"/tickets/{ticket.token}",
                 f"/checkin/events/{event.id}/counts", f"/checkin/events/{event.id}/poster",
                 f"/self/{event.id}/{poster_token(event.id)}"]:
        assert page.goto(live_server + path).status == 200, path
        problems[path] = axe_violations(page)
    assert not any(problems.values()), problems
