"""Messages in the browser: lost links, forgotten password and a person's own page, with the messages
read from a real local SMTP server."""

from __future__ import annotations

import json
import re

from campaign.accounts.models import User
from campaign.extensions import db
from tests.e2e.conftest import axe_violations
from tests.messages.conftest import _message_settings, mailbox  # noqa: F401 - fixtures
from tests.messages.helpers import links, make_event, register, text_of


def _local(url: str, live_server: str) -> str:
    return url.replace("http://campaign.test", live_server)


def test_lost_link_on_a_phone(phone, live_server, app, mailbox):  # noqa: F811
    app.config["MESSAGES_BASE_URL"] = live_server + "/"
    event = make_event(title="Hướng dẫn dùng VNeID")
    register(event, name="Nguyễn Thị Hoa", email="hoa@example.vn")
    mailbox.wait_for(0)
    phone.goto(f"{live_server}/my/links")
    assert axe_violations(phone) == []
    phone.get_by_label("Số điện thoại hoặc thư điện tử").fill("hoa@example.vn")
    phone.get_by_role("button", name="Gửi").click()
    phone.get_by_text("Nếu số điện thoại hoặc thư điện tử này có trong hệ thống").wait_for()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert "/r/" not in phone.content()
    mails = mailbox.wait_for(1)
    [mail] = [m for m in mails if "lượt đăng ký" in m["Subject"]]
    link = [u for u in links(text_of(mail)) if "/r/" in u][0]
    phone.goto(link)
    phone.get_by_text("Hướng dẫn dùng VNeID").first.wait_for()
    assert phone.locator("#registration-status").inner_text().startswith("Đã xác nhận")


def test_forgotten_password_in_the_browser(page, live_server, app, factory, mailbox):  # noqa: F811
    app.config["MESSAGES_BASE_URL"] = live_server + "/"
    user = factory.user("volunteer", commit=False)
    user.email = "tnv@example.vn"
    db.session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    assert axe_violations(page) == []
    page.get_by_label("Số điện thoại hoặc thư điện tử").fill("tnv@example.vn")
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_url(lambda url: url.endswith("/password/reset"))
    [mail] = mailbox.wait_for(1)
    code = re.search(r"\b(\d{6})\b", text_of(mail)).group(1)
    page.get_by_label("Mã 6 chữ số").fill(code)
    page.get_by_label("Mật khẩu mới", exact=True).fill("mat-khau-moi-2026")
    page.get_by_label("Nhập lại mật khẩu mới").fill("mat-khau-moi-2026")
    page.get_by_role("button", name="Đặt mật khẩu mới này").click()
    page.wait_for_url(lambda url: url.endswith("/login"))
    assert page.get_by_text("Đã đổi mật khẩu").is_visible()
    page.locator("#username").fill(user.username)
    page.locator("#password").fill("mat-khau-moi-2026")
    page.locator("main form [type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("mat-khau-moi-2026")


def test_own_page_with_a_one_time_code(page, live_server, app, mailbox):  # noqa: F811
    app.config["MESSAGES_BASE_URL"] = live_server + "/"
    event = make_event(title="Lớp kỹ năng số cho người cao tuổi")
    register(event, name="Phạm Văn Năm", email="nam@example.vn")
    register(event, name="Người Khác", email="khac@example.vn")
    page.goto(f"{live_server}/me")
    page.get_by_label("Số điện thoại hoặc thư điện tử").fill("nam@example.vn")
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_url(lambda url: url.endswith("/me/code"))
    mails = mailbox.wait_for(1)
    [mail] = [m for m in mails if "Mã để mở trang" in m["Subject"]]
    code = re.search(r"\b(\d{6})\b", text_of(mail)).group(1)
    page.get_by_label("Mã 6 chữ số").fill(code)
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url(lambda url: url.endswith("/me/page"))
    page.get_by_role("heading", name="Phạm Văn Năm").wait_for()
    assert page.get_by_text("Lớp kỹ năng số cho người cao tuổi").is_visible()
    assert "Người Khác" not in page.content()
    assert axe_violations(page) == []
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải dữ liệu của tôi (một tệp)").click()
    data = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert [p["person"]["full_name"] for p in data["persons"]] == ["Phạm Văn Năm"]
    assert "khac@example.vn" not in json.dumps(data)
    page.get_by_label("Lời nhắc trước sự kiện").uncheck()
    page.get_by_role("button", name="Lưu lựa chọn").click()
    page.get_by_text("Đã lưu lựa chọn của bạn.").wait_for()
    assert not page.get_by_label("Lời nhắc trước sự kiện").is_checked()
