"""A commune officer registers a village team with members and records a communications activity on a
phone (360×740); the province's coordinator sees the commune's coverage change."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.conftest import TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login, watch_csp


def _png() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, format="PNG")
    return {"name": "loa.png", "mimeType": "image/png", "buffer": out.getvalue()}


def _row(page, code: int) -> str:
    return page.locator(f"#coverage tr[data-commune='{code}']").inner_text()


def test_officer_registers_a_team_and_records_communications_on_a_phone(browser, page, live_server, factory):
    officer = factory.user("commune_officer", commune=TRAN_BIEN)
    coordinator = factory.user("province_coordinator", province=75)
    for name in ("Khu phố An Bình", "Khu phố Hòa Hưng", "Khu phố Tân Mai"):
        factory.village(TRAN_BIEN, name=name, kind="khu_pho")

    browser_login(page, live_server, coordinator, factory.PASSWORD)
    page.goto(live_server + "/teams/?province=75")
    before = _row(page, TRAN_BIEN)
    assert "0/3" in before

    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    phone = ctx.new_page()
    phone.set_default_timeout(10_000)
    violations = watch_csp(phone)
    try:
        browser_login(phone, live_server, officer, factory.PASSWORD)
        phone.goto(live_server + f"/teams/commune/{TRAN_BIEN}")
        phone.get_by_role("link", name=re.compile("Đăng ký tổ.*Khu phố An Bình")).click()
        phone.get_by_role("button", name="Đăng ký tổ").click()
        assert phone.get_by_text("Đã đăng ký tổ của Khu phố An Bình").is_visible()
        for name, role, number in (("Nguyễn Thị Lan", "leader", "0912 345 678"), ("Phạm Văn Tâm", "member", "")):
            phone.get_by_label("Họ và tên").fill(name)
            phone.get_by_label("Vai trò trong tổ").select_option(role)
            phone.get_by_label("Số điện thoại").fill(number)
            phone.get_by_role("button", name="Thêm thành viên", exact=True).click()
            assert phone.get_by_text(f"{name} đã là thành viên của tổ.").is_visible()
        members = phone.locator("#members")
        assert "Tổ trưởng" in members.inner_text() and "0912345678" in members.inner_text()
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
        assert axe_violations(phone) == []

        phone.get_by_role("link", name="Khu phố An Bình").click()
        phone.get_by_role("link", name="Ghi nhận hoạt động tuyên truyền").click()
        phone.get_by_label("Nội dung tuyên truyền").fill("Phát thanh hướng dẫn cài VNeID")
        phone.get_by_label("Kênh").select_option("loudspeaker")
        phone.locator("#language").select_option("stieng")
        phone.get_by_label("Khu phố An Bình").check()
        phone.get_by_label("Khu phố Tân Mai").check()
        phone.get_by_label("Số người được tiếp cận (nếu biết)").fill("300")
        phone.get_by_label("Ảnh (JPEG hoặc PNG, tối đa 3 MB)").set_input_files(_png())
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
        assert axe_violations(phone) == []
        phone.get_by_role("button", name="Ghi nhận hoạt động").click()
        assert phone.get_by_text("Đã ghi nhận hoạt động tuyên truyền.").is_visible()
        activity = phone.locator("#activities li").first.inner_text()
        assert "Phát thanh hướng dẫn cài VNeID" in activity and "Tiếng S'tiêng" in activity
        assert phone.locator("#commune-coverage [data-figure=active]").inner_text().startswith("1/3")
        photo = phone.locator("#activities a", has_text="Ảnh").get_attribute("href")
        assert phone.request.get(live_server + photo).headers["content-type"] == "image/png"
    finally:
        ctx.close()
    assert not violations

    page.reload()
    after = _row(page, TRAN_BIEN)
    cells = page.locator(f"#coverage tr[data-commune='{TRAN_BIEN}'] td")
    assert cells.nth(0).inner_text().startswith("1/3")  # a team
    assert cells.nth(1).inner_text().startswith("1/3")  # active (the communications reached its village)
    assert cells.nth(3).inner_text().startswith("2/3")  # villages reached
    assert after != before
    page.locator(f"#coverage tr[data-commune='{TRAN_BIEN}'] a").click()
    page.get_by_role("link", name="Tổ Công nghệ số cộng đồng Khu phố An Bình").click()
    assert "091•••678" in page.locator("#members").inner_text()  # the coordinator does not need to call
    assert page.get_by_role("button", name="Thêm thành viên", exact=True).count() == 0
