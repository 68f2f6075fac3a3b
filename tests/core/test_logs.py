"""Personal data and secrets stay out of the logs: no request log line holds a private link's token,
and a failed statement is logged without its parameters."""

from __future__ import annotations

import io
import logging
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from campaign.calendars import tokens as feed_tokens
from campaign.checkin import services as checkin
from campaign.core import logs
from campaign.events import services as events
from campaign.extensions import db
from tests.checkin.conftest import CheckinFactory
from tests.events.conftest import create_event


@pytest.fixture
def live(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _get(url: str, **headers) -> int:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _secrets(factory):
    """One live secret of each kind of private link, and the paths that carry it."""
    event = create_event()
    reg, reg_token = events.register(event, full_name="Lê Thị Hoa", consent=True)
    db.session.commit()
    ticket = CheckinFactory().ticket(CheckinFactory().event())
    poster = checkin.poster_token(ticket.registration.event_id)
    user = factory.user("volunteer")
    feed = feed_tokens.issue(user, "my_shifts")
    db.session.commit()
    paths = {
        reg_token: [f"/r/{reg_token}", f"/r/{reg_token}?lang=en"],
        ticket.token: [f"/tickets/{ticket.token}", f"/tickets/{ticket.token}/qr.png"],
        poster: [f"/self/{ticket.registration.event_id}/{poster}"],
        feed: [f"/calendars/private/{feed}.ics"],
    }
    return paths


def test_no_request_log_line_holds_a_private_token(app, live, factory, caplog):
    paths = _secrets(factory)
    caplog.set_level(logging.INFO)
    for urls in paths.values():
        for path in urls:
            status = _get(live + path, Referer=f"{live}{path}")  # the Referer carries it too
            assert status < 500, path
    # The device setup page: its code is in the fragment, which a browser never sends; a code put in
    # the query by hand is masked all the same.
    _get(live + "/checkin/setup?setup=SECRETSETUPCODE123")
    lines = [r.getMessage() for r in caplog.records]
    request_lines = [line for line in lines if '"GET ' in line]
    assert len(request_lines) >= sum(len(u) for u in paths.values())  # the requests were logged
    for secret in [*paths, "SECRETSETUPCODE123"]:
        leaked = [line for line in lines if secret in line]
        assert not leaked, leaked
    assert any("/r/***" in line for line in request_lines)
    assert any("/calendars/private/***.ics" in line for line in request_lines)


def test_the_mask_covers_every_private_link():
    cases = {
        '127.0.0.1 - - "GET /r/AbC-12_x HTTP/1.1" 200': '"GET /r/*** HTTP/1.1"',
        "/r/AbC-12_x/cancel": "/r/***/cancel",
        "/g/GroupTok-9_z": "/g/***",  # a registration group's tickets (registered on someone's behalf)
        "/recognition/verify/RECTOKEN": "/recognition/verify/***",
        "GET /calendars/private/s3cr3t-_x.ics?x=1": "/calendars/private/***.ics?x=1",
        "/tickets/TOK123/qr.png": "/tickets/***/qr.png",
        "/self/42/POSTER99": "/self/42/***",
        "/verify/VERIFYTOKEN": "/verify/***",
        "/checkin/setup#code=ABC": "#code=***",
        "/x?token=abc&y=1": "?token=***&y=1",
    }
    for raw, expected in cases.items():
        assert expected in logs.mask(raw), raw
    assert logs.mask("/events/12?page=3") == "/events/12?page=3"


def test_gunicorn_access_log_is_masked():
    pytest.importorskip("gunicorn")
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("logger_class", "campaign.core.logs.GunicornLogger")
    cfg.set("accesslog", "-")
    log = cfg.logger_class(cfg)
    stream = io.StringIO()
    for handler in log.access_log.handlers:
        handler.stream = stream

    class Resp:
        status = "200 OK"
        status_code = 200
        response_length = 10
        headers = ()
        sent = 10

    class Req:
        headers = [("REFERER", "https://x/r/REFSECRET")]
        method, uri, path, query, version = "GET", "/r/PATHSECRET", "/r/PATHSECRET", "", (1, 1)

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/r/PATHSECRET", "PATH_INFO": "/r/PATHSECRET",
               "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "1.2.3.4",
               "HTTP_REFERER": "https://x/r/REFSECRET"}
    import datetime

    log.access(Resp(), Req(), environ, datetime.timedelta(seconds=0.01))
    line = stream.getvalue()
    assert "/r/***" in line and "PATHSECRET" not in line and "REFSECRET" not in line, line


def _gunicorn_logger(access_format: str | None = None):
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("logger_class", "campaign.core.logs.GunicornLogger")
    cfg.set("accesslog", "-")
    if access_format:
        cfg.set("access_log_format", access_format)
    log = cfg.logger_class(cfg)
    stream = io.StringIO()
    for handler in log.access_log.handlers:
        handler.stream = stream
    return log, stream


def test_the_lean_access_atoms_are_gunicorns_own():
    """When the format names only plain atoms, the logger builds just those; each one equals what
    gunicorn's own atoms() gives (the time aside, which moves)."""
    pytest.importorskip("gunicorn")
    import datetime

    from gunicorn.glogging import Logger

    log, _stream = _gunicorn_logger()

    class Resp:
        status = "201 CREATED"
        headers = [("Content-Type", "application/json")]
        sent = 461

    class Req:
        headers = [("USER-AGENT", "phone"), ("COOKIE", "session=x")]

    environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/api/checkin/scan?x=1", "PATH_INFO": "/api/checkin/scan",
               "QUERY_STRING": "x=1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.9",
               "HTTP_USER_AGENT": "phone", "HTTP_AUTHORIZATION": "Basic dXNlcjpwdw=="}
    took = datetime.timedelta(seconds=2, microseconds=3456)
    lean = log.atoms(Resp(), Req(), environ, took)
    full = Logger.atoms(log, Resp(), Req(), environ, took)
    assert set(lean) == logs.PLAIN_ATOMS
    assert {k: v for k, v in lean.items() if k != "t"} == {k: full[k] for k in logs.PLAIN_ATOMS - {"t"}}
    Resp.sent = None
    assert log.atoms(Resp(), Req(), environ, took)["b"] == Logger.atoms(log, Resp(), Req(), environ, took)["b"] == "-"

    # A format naming a header or an environ variable gets gunicorn's full set.
    log, stream = _gunicorn_logger('%(h)s "%({user-agent}i)s" %({path_info}e)s')
    log.access(Resp(), Req(), environ, took)
    assert '10.0.0.9 "phone" /api/checkin/scan' in stream.getvalue().splitlines()


def test_a_failed_write_does_not_log_its_parameters(app, caplog):
    """A CHECK and a UNIQUE violation logged with their traceback: no name, phone or need in the log
    (SQLAlchemy hides the parameters; PostgreSQL's "Failing row contains (...)" and "Key (phone)=(...)"
    details are scrubbed)."""
    caplog.set_level(logging.DEBUG)
    secret_name, secret_phone = "Trần Bí Mật", "+84912345678"
    insert = text("INSERT INTO persons (full_name, search_name, phone, birth_year, needs, target_groups, "
                  "consent_text, created_at) VALUES (:n, :n, :p, :y, :needs, '', '', CURRENT_TIMESTAMP)")
    db.session.execute(insert, {"n": "Người Khác", "p": secret_phone, "y": 1970, "needs": ""})
    db.session.commit()
    for values in ({"n": secret_name, "p": "+84900000001", "y": 1800, "needs": "xe lăn"},  # CHECK
                   {"n": secret_name, "p": secret_phone, "y": 1970, "needs": "xe lăn"}):  # UNIQUE phone
        try:
            db.session.execute(insert, values)
            db.session.flush()
            raise AssertionError("the database should refuse the row")
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001
            db.session.rollback()
            assert "SQL parameters hidden" in str(exc)
            app.logger.exception("a write failed")
    logged = caplog.text
    assert "a write failed" in logged and "IntegrityError" in logged
    for secret in (secret_name, secret_phone, "xe lăn", "1800"):
        assert secret not in logged, secret


def test_an_unhandled_error_is_logged_without_parameters_or_tokens(app_config, caplog):
    """The 500 handler logs the traceback; its SQL error holds no parameter and its path no token."""
    from campaign import create_app

    other = create_app(dict(app_config, TESTING=False, PROPAGATE_EXCEPTIONS=False))

    @other.get("/r/<token>/boom")
    def boom(token):
        db.session.execute(text("INSERT INTO persons (full_name, search_name, phone, birth_year, needs, "
                                "target_groups, consent_text, created_at) VALUES (:n, :n, :p, 1800, '', '', "
                                "'', CURRENT_TIMESTAMP)"), {"n": "Tên Riêng Tư", "p": "+84987654321"})
        db.session.flush()
        return "unreachable"

    caplog.set_level(logging.INFO)
    with other.app_context():
        resp = other.test_client().get("/r/BOOMTOKEN99/boom")
        db.engine.dispose()
    assert resp.status_code == 500
    assert any(r.exc_info for r in caplog.records)  # the traceback was logged
    logged = caplog.text
    assert "IntegrityError" in logged or "CheckViolation" in logged
    assert "Tên Riêng Tư" not in logged and "+84987654321" not in logged
    assert "BOOMTOKEN99" not in logged
