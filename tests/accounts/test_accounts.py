import pytest
from sqlalchemy import select

from campaign.accounts.models import RoleGrant, User
from campaign.extensions import db
from tests.conftest import DONG_NAI, KHANH_HOA, LONG_THANH, TRAN_BIEN, csrf_token, login


def test_login_and_logout(client, factory):
    user = factory.user("commune_officer", commune=TRAN_BIEN, full_name="Trần Thị Bích")
    resp = client.post("/login", data={"username": user.username.upper(), "password": factory.PASSWORD},
                       follow_redirects=True)
    assert "Xin chào, Trần Thị Bích." in resp.text
    assert db.session.get(User, user.id).last_login_at is not None
    resp = client.post("/logout", follow_redirects=True)
    assert "Bạn đã đăng xuất." in resp.text
    assert client.get("/notifications").status_code == 302


def test_wrong_login_is_a_clear_message(client, factory):
    user = factory.user()
    for username in (user.username, "nobody"):
        resp = client.post("/login", data={"username": username, "password": "wrong-password"})
        assert resp.status_code == 200
        assert "Sai tên đăng nhập hoặc mật khẩu." in resp.text


def test_deactivated_user_cannot_log_in_and_is_logged_out(client, factory, login_as):
    user = factory.user()
    other = login_as(user)
    user.active = False
    db.session.commit()
    assert "Sai tên đăng nhập" in client.post("/login", data={"username": user.username,
                                                               "password": factory.PASSWORD}).text
    assert other.get("/notifications").status_code == 302


def test_login_redirects_only_to_local_pages(client, factory):
    user = factory.user()
    resp = client.post("/login?next=https://evil.example/", data={"username": user.username,
                                                                   "password": factory.PASSWORD})
    assert resp.location == "/"


def test_password_change_ends_other_sessions(app, factory):
    user = factory.user()
    first, second = login(app.test_client(), user), login(app.test_client(), user)
    resp = first.post("/account/password", data={"current_password": factory.PASSWORD,
                                                  "new_password": "new-password-1", "confirm": "new-password-1"})
    assert resp.status_code == 302
    assert first.get("/notifications").status_code == 200
    assert second.get("/notifications").status_code == 302
    assert login(app.test_client(), user, "new-password-1")


@pytest.mark.parametrize("data, message", [
    ({"current_password": "nope", "new_password": "new-password-1", "confirm": "new-password-1"},
     "Mật khẩu hiện tại không đúng."),
    ({"current_password": "password-123", "new_password": "short", "confirm": "short"},
     "Mật khẩu phải có ít nhất 8 ký tự."),
    ({"current_password": "password-123", "new_password": "new-password-1", "confirm": "other-password"},
     "Hai mật khẩu không giống nhau."),
])
def test_password_change_errors(login_as, factory, data, message):
    client = login_as(factory.user())
    resp = client.post("/account/password", data=data)
    assert resp.status_code == 200
    assert message in resp.text


def test_login_is_rate_limited(app, factory):
    from campaign.extensions import limiter

    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        client = app.test_client()
        codes = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        resp = client.post("/login", data={"username": "x", "password": "y"})
        assert "Quá nhiều lần thử" in resp.text
        assert client.get("/login").status_code == 200  # only attempts are limited
    finally:
        limiter.reset()
        app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"


def test_expired_csrf_token_is_a_clear_message(app, factory):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        resp = client.post("/login", data={"username": "x", "password": "y", "csrf_token": "stale"})
        assert resp.status_code == 400
        assert "Biểu mẫu đã hết hạn" in resp.text
        user = factory.user()
        token = csrf_token(client.get("/login").text)
        resp = client.post("/login", data={"username": user.username, "password": factory.PASSWORD,
                                           "csrf_token": token})
        assert resp.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_session_cookie_is_httponly_samesite_and_secure_over_https(app, factory):
    user = factory.user()
    resp = app.test_client().post("/login", data={"username": user.username, "password": factory.PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    resp = app.test_client().post("/login", base_url="https://localhost",
                                  data={"username": user.username, "password": factory.PASSWORD})
    assert "Secure" in resp.headers["Set-Cookie"]


def test_passwords_are_hashed(factory):
    user = factory.user()
    assert factory.PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")


# --- creating accounts within one's scope ----------------------------------------------------

def new_user(client, **data):
    base = {"username": "moi.nguoi", "full_name": "Người Mới", "password": "mat-khau-123",
            "role": "volunteer", "province_code": "", "commune_code": ""}
    base.update({k: str(v) for k, v in data.items()})
    return client.post("/users/new", data=base)


def test_coordinator_creates_officer_in_own_province(login_as, factory):
    coord = factory.user("province_coordinator", province=DONG_NAI)
    resp = new_user(login_as(coord), role="commune_officer", commune_code=LONG_THANH)
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "moi.nguoi"))
    assert [(g.role, g.commune_code) for g in user.grants] == [("commune_officer", LONG_THANH)]
    assert user.created_by_id == coord.id


def test_coordinator_cannot_grant_outside_province_or_make_admins(login_as, factory):
    client = login_as(factory.user("province_coordinator", province=DONG_NAI))
    khanh_hoa_commune = db.session.scalar(select(RoleGrant.commune_code).limit(0))  # none
    assert khanh_hoa_commune is None
    from campaign.units.models import Commune

    other = db.session.scalar(select(Commune.code).where(Commune.province_code == KHANH_HOA).limit(1))
    resp = new_user(client, role="commune_officer", commune_code=other)
    assert "Bạn không được cấp vai trò này trong phạm vi này." in resp.text
    resp = new_user(client, role="admin")
    assert "Bạn không được cấp vai trò này trong phạm vi này." in resp.text
    resp = new_user(client, role="province_coordinator", province_code=KHANH_HOA)
    assert "Bạn không được cấp vai trò này trong phạm vi này." in resp.text
    assert db.session.scalar(select(User).where(User.username == "moi.nguoi")) is None


def test_officer_creates_volunteers_only_in_own_commune(login_as, factory):
    client = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    assert "không được cấp" in new_user(client, role="volunteer", commune_code=LONG_THANH).text
    assert "không được cấp" in new_user(client, role="province_coordinator", province_code=DONG_NAI).text
    assert new_user(client, role="volunteer", commune_code=TRAN_BIEN).status_code == 302


@pytest.mark.parametrize("data, message", [
    ({"username": "A B"}, "Tên đăng nhập có từ 3 đến 80 ký tự"),
    ({"password": "short"}, "Mật khẩu phải có ít nhất 8 ký tự."),
    ({"role": "commune_officer", "commune_code": ""}, "Vai trò này cần chọn một xã/phường."),
    ({"role": "province_coordinator", "commune_code": ""}, "Vai trò này cần chọn tỉnh."),
    ({"commune_code": 99999999}, "Không có xã/phường này."),
    ({"commune_code": "abc"}, "Không có xã/phường này."),
    ({"role": "volunteer", "province_code": DONG_NAI, "commune_code": TRAN_BIEN}, "Chỉ chọn tỉnh hoặc xã"),
    ({"role": "superuser"}, "Vai trò"),
])
def test_account_form_errors(login_as, factory, data, message):
    client = login_as(factory.user("admin"))
    data.setdefault("commune_code", TRAN_BIEN)
    resp = new_user(client, **data)
    assert resp.status_code == 200
    assert message in resp.text


def test_duplicate_username(login_as, factory):
    factory.user(username="trung.ten")
    resp = new_user(login_as(factory.user("admin")), username="Trung.Ten", commune_code=TRAN_BIEN)
    assert "Tên đăng nhập này đã có người dùng." in resp.text


def test_grant_revoke_deactivate_reset(login_as, factory):
    admin = factory.user("admin")
    user = factory.user("volunteer", commune=TRAN_BIEN)
    client = login_as(admin)
    assert client.post(f"/users/{user.id}/grants", data={"role": "trainer", "province_code": DONG_NAI,
                                                         "commune_code": ""}).status_code == 302
    db.session.expire_all()
    assert {g.role for g in db.session.get(User, user.id).grants} == {"volunteer", "trainer"}
    grant = next(g for g in db.session.get(User, user.id).grants if g.role == "trainer")
    client.post(f"/users/{user.id}/grants/{grant.id}/revoke")
    client.post(f"/users/{user.id}/active")
    client.post(f"/users/{user.id}/password", data={"password": "reset-pass-99"})
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert [g.role for g in fresh.grants] == ["volunteer"]
    assert not fresh.active
    assert fresh.check_password("reset-pass-99")


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(login_as, factory):
    admin = factory.user("admin")
    client = login_as(admin)
    grant = admin.grants[0]
    resp = client.post(f"/users/{admin.id}/grants/{grant.id}/revoke", follow_redirects=True)
    assert "Bạn không thể tự thu hồi vai trò quản trị của mình." in resp.text
    resp = client.post(f"/users/{admin.id}/active", follow_redirects=True)
    assert "Bạn không thể tự khóa tài khoản của mình." in resp.text


def test_user_list_shows_only_accounts_in_scope(login_as, factory):
    factory.user("volunteer", commune=TRAN_BIEN, username="tnv.tranbien")
    factory.user("volunteer", commune=LONG_THANH, username="tnv.longthanh")
    factory.user("admin", username="quantri")
    resp = login_as(factory.user("commune_officer", commune=TRAN_BIEN)).get("/users")
    assert "tnv.tranbien" in resp.text and "tnv.longthanh" not in resp.text and "quantri" not in resp.text
    resp = login_as(factory.user("province_coordinator", province=DONG_NAI)).get("/users?q=tnv")
    assert "tnv.tranbien" in resp.text and "tnv.longthanh" in resp.text and "quantri" not in resp.text


def test_database_refuses_a_grant_that_does_not_fit_its_role(factory):
    from sqlalchemy.exc import IntegrityError

    user = factory.user(None)
    db.session.add(RoleGrant(user_id=user.id, role="commune_officer", province_code=DONG_NAI))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(RoleGrant(user_id=user.id, role="volunteer", commune_code=TRAN_BIEN))
    db.session.add(RoleGrant(user_id=user.id, role="volunteer", commune_code=TRAN_BIEN))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_create_admin_command(runner):
    result = runner.invoke(args=["users", "create-admin", "--username", "root2", "--password", "very-secret-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "root2"))
    assert [g.role for g in user.grants] == ["admin"]
    result = runner.invoke(args=["users", "create-admin", "--username", "root2", "--password", "very-secret-1"])
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_demo_command_loads_accounts_for_every_role_once(runner):
    result = runner.invoke(args=["demo", "--no-history"])
    assert result.exit_code == 0, result.output
    roles = set(db.session.scalars(select(RoleGrant.role)))
    assert roles == {"admin", "province_coordinator", "commune_officer", "youth_organiser", "trainer", "volunteer"}
    assert "canbo.tranbien" in result.output
    users = db.session.scalar(select(db.func.count()).select_from(User))
    assert runner.invoke(args=["demo", "--no-history"]).exit_code == 0
    assert db.session.scalar(select(db.func.count()).select_from(User)) == users
    assert "nothing loaded" in runner.invoke(args=["demo", "--if-empty"]).output


def _options(html: str, name: str) -> list[str]:
    import re

    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html.group(0)) if select_html else []


def test_create_form_offers_only_what_the_person_may_grant(login_as, factory):
    """Issue 22 (5): roles and scopes beyond the person's own are not offered (and still refused)."""
    officer = login_as(factory.user("commune_officer", commune=TRAN_BIEN))
    page = officer.get("/users/new").text
    assert _options(page, "role") == ["commune_officer", "trainer", "volunteer"]
    assert _options(page, "province_code") == []  # no province-wide role to give
    assert _options(page, "commune_code") == ["", str(TRAN_BIEN)]

    coord = login_as(factory.user("province_coordinator", province=DONG_NAI))
    page = coord.get("/users/new").text
    assert _options(page, "role") == ["province_coordinator", "commune_officer", "youth_organiser", "trainer",
                                      "volunteer"]
    assert _options(page, "province_code") == ["", str(DONG_NAI)]
    communes = _options(page, "commune_code")
    assert str(LONG_THANH) in communes and len(communes) == 96  # the 95 of Đồng Nai, and none

    youth = login_as(factory.user("youth_organiser", province=DONG_NAI))
    page = youth.get("/users/new").text
    assert _options(page, "role") == ["volunteer"]
    # Trainers give no roles: the page itself is refused.
    assert login_as(factory.user("trainer", province=DONG_NAI)).get("/users/new").status_code == 403

    admin = login_as(factory.user("admin"))
    assert _options(admin.get("/users/new").text, "role")[0] == "admin"
    # The detail page's grant form offers the same.
    user = factory.user("volunteer", commune=TRAN_BIEN)
    assert _options(officer.get(f"/users/{user.id}").text, "role") == ["commune_officer", "trainer", "volunteer"]
