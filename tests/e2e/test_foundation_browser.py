import pytest

from tests.conftest import TRAN_BIEN
from tests.e2e.conftest import axe_violations, browser_login


def test_login_switch_language_and_logout(page, live_server, factory):
    user = factory.user("commune_officer", commune=TRAN_BIEN, full_name="Trần Thị Bích")
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    browser_login(page, live_server, user, factory.PASSWORD)
    assert page.get_by_text("Xin chào, Trần Thị Bích.").is_visible()

    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Log out").is_visible()
    page.goto(live_server + f"/units/communes/{TRAN_BIEN}")
    assert page.get_by_role("heading", name="Villages and urban quarters").is_visible()

    page.get_by_role("link", name="Tiếng Việt").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Thôn, ấp, khu phố, tổ dân phố").is_visible()
    page.get_by_role("button", name="Đăng xuất").click()
    assert page.get_by_text("Bạn đã đăng xuất.").is_visible()


def test_wrong_password_in_the_browser(page, live_server, factory):
    user = factory.user()
    page.goto(live_server + "/login")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert page.get_by_text("Sai tên đăng nhập hoặc mật khẩu.").first.is_visible()


def test_officer_adds_a_village_on_a_phone(phone, live_server, factory):
    user = factory.user("commune_officer", commune=TRAN_BIEN)
    browser_login(phone, live_server, user, factory.PASSWORD)
    phone.goto(live_server + f"/units/communes/{TRAN_BIEN}")
    phone.get_by_role("link", name="Thêm thôn/ấp/khu phố").click()
    phone.get_by_label("Tên").fill("Khu phố Hòa Bình")
    phone.get_by_label("Loại").select_option("khu_pho")
    phone.get_by_label("Số hộ (không bắt buộc)").fill("350")
    phone.get_by_role("button", name="Lưu").click()
    assert phone.get_by_text("Đã thêm thôn/ấp/khu phố.").is_visible()
    assert phone.get_by_role("cell", name="Khu phố Hòa Bình", exact=True).is_visible()
    # nothing overflows the phone's width
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360


def test_keyboard_user_reaches_main_content_by_skip_link(page, live_server):
    page.goto(live_server + "/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua, đến nội dung chính")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"


PUBLIC_PAGES = ["/", "/login", "/khong-co-trang-nay"]
STAFF_PAGES = ["/units/provinces/75", f"/units/communes/{TRAN_BIEN}", f"/units/communes/{TRAN_BIEN}/villages/new",
               "/users", "/users/new", "/account/password", "/notifications"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_main_pages_have_no_serious_accessibility_violations(page, live_server, factory, lang):
    factory.village(TRAN_BIEN, name="Khu phố 1", households=120)
    admin = factory.user("admin")
    factory.user("volunteer", commune=TRAN_BIEN)
    problems = {}
    page.goto(f"{live_server}/lang/{lang}")
    for path in PUBLIC_PAGES:
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    browser_login(page, live_server, admin, factory.PASSWORD)
    for path in STAFF_PAGES:
        page.goto(live_server + path)
        problems[path] = axe_violations(page)
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(live_server + "/users")
    problems["/users (phone)"] = axe_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems


def test_the_accessibility_audit_does_catch_violations(page):
    """The audit above is only worth something if it finds real problems."""
    page.set_content('<html lang="vi"><body><main><input type="text"><img src="x.png">'
                     '<p style="color:#bbb;background:#fff">mờ</p></main></body></html>')
    ids = {v["id"] for v in axe_violations(page)}
    assert {"label", "image-alt", "color-contrast"} <= ids


def test_content_security_policy_blocks_injected_script(context, live_server):
    """Markup that slipped through would not run: Chromium refuses inline handlers and scripts under
    the app's policy (and the fixtures' watcher sees the refusal), while our own scripts run."""
    from tests.e2e.conftest import watch_csp

    page = context.new_page()
    violations = watch_csp(page)
    page.goto(live_server + "/")
    page.evaluate("""() => {
        window.__ran = false;
        document.body.insertAdjacentHTML('beforeend', '<img src="/nothing.png" onerror="window.__ran = true">');
        const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.append(s);
    }""")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__ran") is False
    assert violations, "the inline handler and script were refused with a console report"
    # our own script (static/js/app.js) is loaded and works: data-print buttons call window.print
    page.evaluate("""() => { window.print = () => { window.__printed = true; };
        const b = document.createElement('button'); b.dataset.print = ''; b.id = 'p'; document.body.append(b); }""")
    page.locator("#p").click()
    assert page.evaluate("window.__printed") is True
