from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from campaign import create_app
from campaign.core import timeutil
from campaign.core.text import fold, like_pattern, nfc
from campaign.extensions import db


def test_healthz_reports_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json["database"] == "ok"
    assert resp.json["redis"] == "not configured"


def test_healthz_reports_redis(app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    try:
        assert app.test_client().get("/healthz").json["redis"] == "ok"
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
        resp = app.test_client().get("/healthz")
        assert resp.status_code == 200  # degraded, still serving: limits per process, jobs inline
        assert resp.json["redis"] == "error" and resp.json["status"] == "degraded"
    finally:
        app.config["REDIS_URL"] = None


def test_missing_page_is_a_vietnamese_404(client):
    resp = client.get("/khong-co-trang-nay")
    assert resp.status_code == 404
    assert "Không tìm thấy trang" in resp.text


def test_unhandled_error_is_a_friendly_500(app_config):
    app = create_app(dict(app_config, TESTING=False, PROPAGATE_EXCEPTIONS=False))

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    assert "Đã xảy ra lỗi" in resp.text
    assert "RuntimeError" not in resp.text and "Traceback" not in resp.text


def test_language_switch_sets_cookie_and_english_text(client):
    resp = client.get("/lang/en?next=/login")
    assert resp.status_code == 302 and resp.location == "/login"
    assert "lang=en" in resp.headers["Set-Cookie"]
    assert "Log in" in client.get("/login").text
    client.get("/lang/vi")
    assert "Đăng nhập" in client.get("/login").text


def test_language_switch_refuses_open_redirect(client):
    resp = client.get("/lang/en?next=//evil.example/")
    assert resp.location == "/"


def test_dates_are_shown_in_vietnam_time_24h():
    moment = datetime(2026, 10, 10, 1, 30, tzinfo=UTC)
    assert timeutil.format_datetime(moment) == "10/10/2026 08:30"
    assert timeutil.format_date(moment) == "10/10/2026"
    assert timeutil.format_time(datetime(2026, 10, 10, 13, 5, tzinfo=UTC)) == "20:05"
    assert timeutil.local_to_utc(datetime(2026, 10, 10, 8, 30)) == moment


def test_naive_datetimes_are_refused_by_utc_columns(factory):
    user = factory.user()
    user.last_login_at = datetime(2026, 1, 1, 8, 0)
    with pytest.raises(Exception, match="naive"):
        db.session.flush()
    db.session.rollback()


def test_utc_columns_round_trip_aware(factory):
    user = factory.user()
    moment = datetime(2026, 5, 19, 1, 0, tzinfo=UTC)
    user.last_login_at = moment
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(user), user.id).last_login_at == moment


def test_fold_is_accent_insensitive():
    assert fold("Đồng Nai") == "dong nai"
    assert fold("  Xã   Tà Lài ") == "xa ta lai"
    assert fold("ĐẮK LẮK") == "dak lak"
    assert like_pattern("50%_x") == "%50\\%\\_x%"
    assert nfc("Nguye\u0302\u0303n") == "Nguyễn"


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_security_headers_on_pages_errors_and_feeds(client):
    for url, status in (("/", 200), ("/no-such-page", 404), ("/healthz", 200)):
        resp = client.get(url)
        assert resp.status_code == status, url
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self' 'wasm-unsafe-eval'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert "camera=(self)" in resp.headers["Permissions-Policy"]


def test_no_inline_script_or_handler_in_templates():
    """The policy forbids inline script: templates use data attributes and static/js files instead."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.name}: inline event handler")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag and "application/ld+json" not in tag:
                offenders.append(f"{path.name}: inline <script>")
        if "javascript:" in text:
            offenders.append(f"{path.name}: javascript: URL")
    assert offenders == []
