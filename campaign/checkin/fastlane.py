"""The scan API's fast lane: a logged-in steward's scan in ONE statement, without the request machinery.

``POST /api/checkin/scan`` is the one request a door sends hundreds of times a minute. Most of them
come from a steward whose permission was judged moments ago (a permit, see services.ScanPermit), over
a session cookie refreshed less than a minute ago. For exactly those, this WSGI layer (in front of
Flask, PostgreSQL only) does what the scan needs and nothing else:

- the body read once (at most MAX_BODY bytes), checked as every JSON body is (core.requests.JSONProvider)
  and parsed as the API does (api.parse_scan), the code's signature verified in memory;
- the signed session cookie verified with the app's own serializer (same key, same maximum age, the
  same idle limit), and rewritten with the time of the request once a minute as the full path does;
- ONE statement that re-checks the permit's basis (session token current, account active, steward
  grant not revoked or the organiser's role grants all there, the event where it was and of the same
  kind), reads the ticket and the admission that counts, decides (invalid, wrong event, revoked,
  duplicate, accepted: services.judge's rules in SQL), clamps the device time (services.clamp_time),
  stores the scan (INSERT ... ON CONFLICT DO NOTHING: the partial unique index keeps one admission per
  ticket and session) and writes an admission's audit entry;
- at an event where no receiver of the admission's signal acts (the permit is "quiet": a workshop, say;
  not a class's session, which has attendance to write, nor a bridge point not yet connected; see
  events.signals.admission_has_effects), that statement runs alone in autocommit on a pooled driver
  connection: one round trip, no BEGIN or COMMIT, no ORM session. Elsewhere it runs in the ORM
  session's transaction, followed by the signal's receivers and one commit;
- the same answer as the full path (api.answer_json), in the language of the ``lang`` cookie.

Everything else goes, untouched, to the Flask app: no permit, a session near its idle limit, a device token, a malformed body, SQLite, and every case the statement does
not settle (nothing stored: a retried UUID, a lost race for the admission, a permit whose basis no
longer holds, an unknown event). Those run the full path from the start, and since the fast lane's
transaction stored nothing, they see the database as the scanner left it. A database error in the
fast lane is rolled back and the request handed over the same way.
"""

from __future__ import annotations

import io
import json
import re
import time
from datetime import UTC, datetime

from flask import Flask
from flask.sessions import SecureCookieSession
from flask_babel import force_locale
from itsdangerous import BadSignature
from psycopg.rows import namedtuple_row
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from werkzeug.http import dump_cookie, parse_cookie

from campaign.checkin import services
from campaign.checkin.models import ACCEPTED, DUPLICATE, INVALID, REVOKED, WRONG_EVENT
from campaign.core import pings
from campaign.core.security import DEFAULT_POLICY, HEADERS
from campaign.core.types import utcnow
from campaign.events.models import Event
from campaign.extensions import db

PATH = "/api/checkin/scan"
MAX_BODY = 4096
# The session cookie carries the time of the last request (accounts: end_idle_session), rewritten
# when it is a minute old or more; the fast lane does the same.
SEEN_FRESH = 60
COOKIE_CACHE_MAX = 10_000

_SQL = """WITH ev AS (
  SELECT id, starts_at, {event_columns} FROM events
  WHERE id = CAST(:event_id AS INTEGER)
    AND commune_code IS NOT DISTINCT FROM CAST(:s_commune AS INTEGER)
    AND province_code IS NOT DISTINCT FROM CAST(:s_province AS INTEGER)
    AND parent_id IS NOT DISTINCT FROM CAST(:s_parent AS INTEGER)
    AND kind = CAST(:s_kind AS VARCHAR)
    AND {guard}),
tk AS (
  SELECT t.id, t.event_id, t.key_id, t.token, t.short_code, t.revoked_at, t.registration_id, r.status,
         CASE WHEN p.anonymised_at IS NULL THEN p.full_name ELSE '' END AS name
  FROM checkin_tickets t JOIN registrations r ON r.id = t.registration_id JOIN persons p ON p.id = r.person_id
  WHERE t.{column} = CAST(:key AS VARCHAR)
    AND (CAST(:v_event AS INTEGER) IS NULL
         OR (t.event_id = CAST(:v_event AS INTEGER) AND t.key_id = CAST(:v_key AS INTEGER)))
  LIMIT 1),
prev AS (
  SELECT checkins.server_time, coalesce(u.full_name, d.label, '') AS previous_by
  FROM checkins
  LEFT JOIN users u ON u.id = checkins.steward_id
  LEFT JOIN checkin_devices d ON d.id = checkins.checkin_device_id
  WHERE checkins.ticket_id = (SELECT id FROM tk) AND checkins.event_id = CAST(:event_id AS INTEGER) AND {admitted}
  LIMIT 1),
dec AS (
  SELECT ev.id AS event_id, tk.id AS ticket_id,
    CASE WHEN tk.id IS NULL THEN '{invalid}'
         WHEN tk.event_id <> ALL(CAST(:chain AS INTEGER[])) THEN '{wrong_event}'
         WHEN tk.revoked_at IS NOT NULL OR tk.status NOT IN ({live}) THEN '{revoked}'
         WHEN EXISTS (SELECT 1 FROM prev) THEN '{duplicate}'
         ELSE '{accepted}' END AS result,
    ev.starts_at - INTERVAL '{window} seconds' AS low
  FROM ev LEFT JOIN tk ON true),
clock AS (
  SELECT dec.*, coalesce(CAST(:device_time AS TIMESTAMP WITH TIME ZONE) < dec.low
                         OR CAST(:device_time AS TIMESTAMP WITH TIME ZONE) > CAST(:now AS TIMESTAMP WITH TIME ZONE),
                         false) AS clamped
  FROM dec),
ins AS (
  INSERT INTO checkins (uuid, event_id, ticket_id, method, device_id, device_time, server_time, steward_id,
                        checkin_device_id, flag, reported_time, scanned, door_result, result)
  SELECT CAST(:uuid AS VARCHAR), clock.event_id, clock.ticket_id, CAST(:method AS VARCHAR),
         CAST(:device_id AS VARCHAR),
         CASE WHEN CAST(:device_time AS TIMESTAMP WITH TIME ZONE) < clock.low THEN clock.low
              WHEN CAST(:device_time AS TIMESTAMP WITH TIME ZONE) > CAST(:now AS TIMESTAMP WITH TIME ZONE)
              THEN CAST(:now AS TIMESTAMP WITH TIME ZONE)
              ELSE CAST(:device_time AS TIMESTAMP WITH TIME ZONE) END,
         CAST(:now AS TIMESTAMP WITH TIME ZONE), CAST(:steward_id AS INTEGER), NULL,
         CASE WHEN clock.clamped THEN '{clock_flag}' END,
         CASE WHEN clock.clamped THEN CAST(:device_time AS TIMESTAMP WITH TIME ZONE) END,
         CASE WHEN clock.result = '{invalid}' THEN CAST(:scanned AS VARCHAR) END, NULL, clock.result
  FROM clock
  ON CONFLICT DO NOTHING
  RETURNING id, result, device_time, flag, ticket_id),
aud AS (
  INSERT INTO audit_log (at, actor_id, action, object_type, object_id, details, province_code)
  SELECT CAST(:now AS TIMESTAMP WITH TIME ZONE), CAST(:steward_id AS INTEGER), 'checkin.accepted', 'checkins',
         CAST(ins.id AS VARCHAR), json_build_object('ticket_id', ins.ticket_id, 'event_id', CAST(:event_id AS INTEGER)),
         (SELECT province_code FROM ev)
  FROM ins WHERE ins.result = '{accepted}')
SELECT ins.id, ins.result, ins.device_time, ins.flag,
       tk.id AS t_id, tk.event_id AS t_event_id, tk.short_code, tk.token, tk.registration_id, tk.name,
       prev.server_time AS previous_at, prev.previous_by{ev_columns}
FROM ins CROSS JOIN ev LEFT JOIN tk ON true LEFT JOIN prev ON true"""
# The session event's columns the admission's signal receivers read (the rest load if asked).
EVENT_COLUMNS = ("kind", "parent_id", "connected_at", "commune_code", "province_code", "ends_at", "status", "title")


_sql_cache: dict[tuple[str, str, bool], str] = {}


def statement_sql(by: str, guard_sql: str, quiet: bool = False) -> str:
    """The one statement of a fast scan, for a ticket found ``by`` token or short code (made once per
    shape, and short enough for the driver's own cache of parsed queries). A quiet scan's statement
    does not return the session event's columns: no receiver of the signal reads them."""
    key = (by, guard_sql, quiet)
    sql = _sql_cache.get(key)
    if sql is None:
        sql = _sql_cache[key] = " ".join(_statement_sql(by, guard_sql, quiet).split())
    return sql


_driver_sql_cache: dict[tuple[str, str, bool], str] = {}


def driver_sql(by: str, guard_sql: str, quiet: bool = False) -> str:
    """statement_sql in the driver's parameter style (psycopg: %(name)s). The lists (``IN :g_ids``,
    ``:chain``) are passed as array literals, which the driver sends as plain text."""
    key = (by, guard_sql, quiet)
    sql = _driver_sql_cache.get(key)
    if sql is None:
        sql = statement_sql(by, guard_sql, quiet).replace("IN :g_ids", "= ANY(CAST(:g_ids AS INTEGER[]))")
        sql = _driver_sql_cache[key] = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)
    return sql


def _statement_sql(by: str, guard_sql: str, quiet: bool) -> str:
    return _SQL.format(
        guard=guard_sql, column="token" if by == "token" else "short_code", admitted=services._admitted_sql(),
        invalid=INVALID, wrong_event=WRONG_EVENT, revoked=REVOKED, duplicate=DUPLICATE, accepted=ACCEPTED,
        live=", ".join(f"'{s}'" for s in services.LIVE_REGISTRATION_STATES), clock_flag=services.CLOCK,
        window=int(services.WINDOW_OPENS_BEFORE.total_seconds()), event_columns=", ".join(EVENT_COLUMNS),
        ev_columns="" if quiet else "".join(f", ev.{c} AS ev_{c}" for c in ("starts_at", *EVENT_COLUMNS)))


def _array(values) -> str:
    """An integer array's literal (``{1,2}``): cheaper for the driver than adapting a list."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


class Handover(Exception):
    """The fast lane does not settle this request: the full path answers it."""


class FastScan:
    """WSGI middleware: answers the scans it can settle in one statement, hands the rest to ``wsgi_app``."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._serializer = None
        self._headers = None
        self._cookies: dict[str, tuple[dict, float]] = {}
        self._rewritten: dict[str, tuple[str, int]] = {}
        self._translators: dict[str, object] = {}
        self.answered = 0  # counters, for tests and benchmarks
        self.handed_over = 0

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST" \
                or not self.app.config.get("CHECKIN_FAST_LANE", True):
            return self.wsgi_app(environ, start_response)
        body = self._read(environ)
        if body is not None:
            try:
                status, payload, cookie = self._scan(environ, body)
            except Handover:
                pass
            else:
                self.answered += 1
                headers = self._response_headers(len(payload))
                if cookie:
                    headers.append(("Set-Cookie", cookie))
                start_response(status, headers)
                return [payload]
            environ["wsgi.input"] = io.BytesIO(body)
        self.handed_over += 1
        return self.wsgi_app(environ, start_response)

    @staticmethod
    def _read(environ) -> bytes | None:
        """The body, when it is small and plain (else None: the full path reads it itself)."""
        if not environ.get("HTTP_X_CHECKIN_CLIENT") or environ.get("HTTP_AUTHORIZATION") \
                or environ.get("HTTP_TRANSFER_ENCODING"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        body = environ["wsgi.input"].read(length)
        return body  # a short body fails to parse below, and goes on as it came

    def _response_headers(self, length: int) -> list[tuple[str, str]]:
        if self._headers is None:
            headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Vary", "Cookie")]
            policy = self.app.config.get("CONTENT_SECURITY_POLICY", DEFAULT_POLICY)
            if policy:
                headers.append(("Content-Security-Policy", policy))
            headers.extend(HEADERS.items())
            self._headers = headers
        return [*self._headers, ("Content-Length", str(length))]

    def _session(self, cookies) -> tuple[str, dict]:
        """The signed session cookie, verified as Flask verifies it; Handover unless logged in and
        well within the idle limit (core: end_idle_session ends it on the full path)."""
        app = self.app
        if self._serializer is None:
            self._serializer = app.session_interface.get_signing_serializer(app)
        value = cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not value or self._serializer is None:
            raise Handover
        data = self._verified_cookie(value)
        seen = data.get("_seen")
        if not isinstance(seen, int) or not isinstance(data.get("_user_id"), str) \
                or not 0 <= int(time.time()) - seen < app.config["SESSION_IDLE_MINUTES"] * 60 - SEEN_FRESH:
            raise Handover
        return value, data

    def _verified_cookie(self, value: str) -> dict:
        """The session cookie's contents: its signature checked once per process while it is valid
        (the same string always verifies the same way; its age is checked on every use)."""
        now = time.time()
        hit = self._cookies.get(value)
        if hit is not None and hit[1] > now:
            return hit[0]
        max_age = int(self.app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = self._serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            raise Handover from None
        if not isinstance(data, dict):
            raise Handover
        if len(self._cookies) >= COOKIE_CACHE_MAX:
            self._cookies.clear()
        self._cookies[value] = (data, signed_at.timestamp() + max_age)
        return data

    def _refreshed_cookie(self, environ, value: str, data: dict) -> str | None:
        """The session cookie with the time of this request, as the full path writes it (at most
        once a minute): an active steward's session does not end for idleness.

        A cookie rewritten less than SEEN_FRESH seconds ago is answered with that same rewrite: the
        scans a phone sent before its browser stored the new cookie, or a client that keeps none,
        cost no second signature, and the time it carries is still under a minute old."""
        now = int(time.time())
        if now - data["_seen"] < SEEN_FRESH:
            return None
        secure = bool(self.app.config["SESSION_COOKIE_SECURE"] or environ.get("wsgi.url_scheme") == "https")
        key = f"{int(secure)}{value}"
        done = self._rewritten.get(key)
        if done is not None and 0 <= now - done[1] < SEEN_FRESH:
            return done[0]
        app, interface = self.app, self.app.session_interface
        session = SecureCookieSession({**data, "_seen": now})
        header = dump_cookie(interface.get_cookie_name(app), self._serializer.dumps(dict(session)),
                             expires=interface.get_expiration_time(app, session),
                             httponly=interface.get_cookie_httponly(app), domain=interface.get_cookie_domain(app),
                             path=interface.get_cookie_path(app), secure=secure,
                             partitioned=interface.get_cookie_partitioned(app),
                             samesite=interface.get_cookie_samesite(app))
        if len(self._rewritten) >= COOKIE_CACHE_MAX:
            self._rewritten.clear()
        self._rewritten[key] = (header, now)
        return header

    def _scan(self, environ, body: bytes) -> tuple[str, bytes, str | None]:
        app = self.app
        cookies = parse_cookie(environ)
        value, session = self._session(cookies)
        lang = cookies.get("lang")
        with app.app_context():
            if db.engine.dialect.name != "postgresql":
                raise Handover
            data = self._parse(body)
            permit = services.live_permit(session["_user_id"], data.event_id)
            if permit is None:
                raise Handover
            answer = self._store_quiet(data, permit) if permit.quiet else self._store(data, permit)
            out = _answer_json(answer, permit.actor, self._gettext(lang))
            payload = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            return "201 CREATED", payload, self._refreshed_cookie(environ, value, session)

    def _gettext(self, lang: str | None):
        """The answer's translator in the ``lang`` cookie's language (else the default), looked up
        once per language and process (Flask-Babel keeps each language's catalogue for the process too)."""
        app = self.app
        if lang not in app.config["LANGUAGES"]:
            lang = app.config["BABEL_DEFAULT_LOCALE"]
        found = self._translators.get(lang)
        if found is None:
            from campaign.checkin.api import translator

            with force_locale(lang):
                found = self._translators[lang] = translator()
        return found

    def _parse(self, body: bytes) -> services.Scan:
        from campaign.checkin import api

        try:
            data = self.app.json.loads(body)  # core.requests.JSONProvider: checked (check_json) as it loads
            if not isinstance(data, dict):
                raise Handover
            return services.verify(api.parse_scan(data))
        except (ValueError, api.BadRequest):
            raise Handover from None

    def _store(self, data: services.Scan, permit: services.ScanPermit) -> services.Answer:
        """The statement in the ORM session's transaction, then the admission's signal (its receivers
        write in the same transaction), then one commit."""
        conn = None
        try:
            with pings.unpinged():  # no SELECT 1 first: a dead connection fails below and is handed over
                conn = db.session.connection()
            now = utcnow()
            row = _execute(conn.connection.driver_connection, data, permit, now)
            answer = _answer(row, data, permit, now)
            if answer.result == ACCEPTED:
                event = _session_event(data.event_id, row)  # held: the identity map keeps clean objects weakly
                services.ticket_admitted.send("checkin", registration_id=row.registration_id,
                                              event_id=data.event_id, at=_utc(row.device_time) or now,
                                              actor=permit.actor)
                del event
            db.session.commit()
        except Handover:
            db.session.rollback()
            raise
        except Exception:  # noqa: BLE001 - rolled back; the full path runs the scan from the start
            _discard(conn)
            self.app.logger.warning("check-in fast lane handed a scan over after a database error", exc_info=True)
            raise Handover from None
        return answer

    def _store_quiet(self, data: services.Scan, permit: services.ScanPermit) -> services.Answer:
        """Where no receiver of the admission's signal acts (permit.quiet): the statement alone, in
        autocommit: one round trip, no BEGIN or COMMIT, no ORM session. The statement is atomic by itself
        (the scan, its admission's audit entry); nothing stored (no row back) is handed over as before."""
        record = None
        try:
            with pings.unpinged():
                record = db.engine.raw_connection()
            driver = record.driver_connection
            driver.autocommit = True
            try:
                now = utcnow()
                row = _execute(driver, data, permit, now)
            finally:
                if not driver.closed:  # a connection the server cut is thrown out below, as it is
                    driver.autocommit = False
        except Exception:  # noqa: BLE001 - nothing or everything was stored; the full path answers either way
            if record is not None:
                _invalidate_if_closed(record)
            self.app.logger.warning("check-in fast lane handed a scan over after a database error", exc_info=True)
            raise Handover from None
        finally:
            if record is not None:
                record.close()
        return _answer(row, data, permit, now)


def _execute(driver, data: services.Scan, permit: services.ScanPermit, now: datetime):
    """Run the one statement on the driver's connection; its row, or None when nothing was stored."""
    guard = permit.guard()
    key = services.ticket_key(data)
    sql = driver_sql(key[0] if key else "token", guard.sql, permit.quiet)
    verified = data.verified if data.verified is not None and not data.ticket_token else None
    commune, province, parent, kind = permit.event_shape
    params = {
        **guard.params,
        "event_id": data.event_id, "s_commune": commune, "s_province": province, "s_parent": parent,
        "s_kind": kind, "key": key[1] if key else None, "v_event": verified.event_id if verified else None,
        "v_key": verified.key_id if verified else None, "chain": _array(permit.chain_ids),
        "device_time": data.device_time, "now": now, "uuid": data.uuid, "method": data.method,
        "device_id": data.device_id, "steward_id": permit.user_id,
        "scanned": services._excerpt(data.code or data.ticket_token),
    }
    if "g_ids" in params:
        params["g_ids"] = _array(params["g_ids"])
    # The driver's own cursor (checked out without the pool's ping): no statement compiling or result
    # processing per scan; the statement is prepared on the server at its first run on a connection,
    # unless the engine turned the driver's prepared statements off (prepare_threshold=None: an old
    # PgBouncer in transaction mode).
    prepare = None if driver.prepare_threshold is None else True
    with driver.cursor(row_factory=namedtuple_row) as cur:
        cur.execute(sql, params, prepare=prepare)
        return cur.fetchone()


def _answer(row, data: services.Scan, permit: services.ScanPermit, now: datetime) -> services.Answer:
    if row is None:  # nothing stored: a retry, a lost race, a permit no longer valid, no such event
        raise Handover
    answer = services.Answer(id=row.id, uuid=data.uuid, result=row.result, server_time=now,
                             steward_id=permit.user_id, event_id=data.event_id, flag=row.flag)
    if row.t_id is not None:
        answer.ticket_id, answer.ticket_event_id = row.t_id, row.t_event_id
        answer.short_code, answer.token, answer.name = row.short_code, row.token, row.name
    if answer.result == DUPLICATE:
        answer.previous_at, answer.previous_by = _utc(row.previous_at), row.previous_by
    return answer


def _invalidate_if_closed(record) -> None:
    """A pooled connection the server closed (what the skipped ping would have found) is thrown out,
    and with it every connection of the pool opened before it (a restart or a failover closed them
    all, as SQLAlchemy's own disconnect handling assumes): the full path, and the next scans, check
    out live ones instead of finding the dead ones one by one."""
    try:
        if record.driver_connection.closed:
            db.engine.pool._invalidate(record)  # SQLAlchemy's disconnect handling (Pool._invalidate)
    except Exception:  # noqa: BLE001, S110 - already invalidated
        pass


def _discard(conn) -> None:
    """After a database error: roll back; a connection the server closed (what the skipped ping
    would have found) is thrown out of the pool, so the full path checks out a live one."""
    if conn is not None:
        _invalidate_if_closed(conn.connection)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the rollback itself failed on the dead connection
        db.session.close()


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def _session_event(event_id: int, row) -> Event:
    """The session event, as the statement read it, in the ORM session (as the full path has it):
    the receivers of the admission's signal find it without a query."""
    event = db.session.identity_map.get(identity_key(Event, event_id))
    if event is not None:
        return event
    values = {c: getattr(row, f"ev_{c}") for c in ("starts_at", *EVENT_COLUMNS)}
    event = Event(id=event_id, **{c: _utc(v) if isinstance(v, datetime) else v for c, v in values.items()})
    make_transient_to_detached(event)  # a persistent row's state, not a new object
    db.session.add(event)
    return event


def _answer_json(answer: services.Answer, user, gettext) -> dict:
    from campaign.checkin.api import answer_json

    return answer_json(answer, user, gettext)


def install(app: Flask) -> None:
    """Put the fast lane in front of the app (behind the proxy fix, which tells it about https)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    if isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app.app = FastScan(app, app.wsgi_app.app)
    else:
        app.wsgi_app = FastScan(app, app.wsgi_app)
