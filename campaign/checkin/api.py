"""The check-in JSON API used by the scanner page and by registered devices.

Every request carries the header ``X-Checkin-Client`` and either the user's session cookie or, from
a registered device, ``Authorization: Bearer <device token>`` (no login; the device acts only at its
event and the event's children). A cross-site page cannot add a custom header without a CORS
preflight (which we never allow), and the session cookie is SameSite=Lax, so the API is exempt from
the form CSRF token. A malformed body gets a 400 with a clear message, never a 500. The code's
signature is verified before the first query. A bad device token gets a 401 (and, repeated, a 429
for that address); a removed device gets a 403 with ``revoked: true`` everywhere except ``/sync``
and ``/device/wiped``. Answers are never cached.
"""

from __future__ import annotations

import base64
import uuid as uuidlib
from datetime import UTC, datetime

from flask import Blueprint, abort, g, jsonify, request, session
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from campaign.accounts import permissions as perm
from campaign.checkin import codes, devices, services
from campaign.checkin.models import (
    ACCEPTED,
    DUPLICATE,
    METHODS,
    REVOKED,
    WRONG_EVENT,
    CheckIn,
    CheckinDevice,
    SigningKey,
    Ticket,
)
from campaign.core import timeutil
from campaign.core.requests import BIG_MAX, int_arg
from campaign.core.services import DomainError
from campaign.core.web import attempt, commit_read_side_effects
from campaign.events.models import Event, Registration
from campaign.extensions import csrf, db, limiter

bp = Blueprint("checkin_api", __name__, url_prefix="/api/checkin")
csrf.exempt(bp)


def _bad_device_token(response) -> bool:
    return response.status_code == 401 and bool(request.headers.get("Authorization"))


def _no_device_token() -> bool:
    return not request.headers.get("Authorization")


# Guessing device tokens: 30 refused tokens a minute per address, then 429 (nothing else counts).
# Requests without a device token are not even looked at (a steward's scan costs no limiter work,
# and no Redis round trip in production).
limiter.limit("30 per minute", deduct_when=_bad_device_token, exempt_when=_no_device_token)(bp)

CLIENT_HEADER = "X-Checkin-Client"
MAX_CODE = 300


class BadRequest(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@bp.errorhandler(BadRequest)
def bad_request(err: BadRequest):
    return jsonify({"error": _("The request could not be understood"), "message": err.message,
                    "result": "error", "status": 400}), 400


@bp.before_request
def require_client_header():
    if not request.headers.get(CLIENT_HEADER):
        raise BadRequest(_("This address is for the check-in scanner only."))


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


class DeviceRefused(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


@bp.errorhandler(DeviceRefused)
def device_refused(err: DeviceRefused):
    return jsonify({"result": "error", "status": err.status, **err.body}), err.status


def _bearer() -> str | None:
    """The device token of ``Authorization: Bearer ...``, None without the header."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DeviceRefused(401, {"device": "unknown", "title": _("This device is not registered"),
                                  "message": _("This device is not registered for check-in.")})
    return token.strip()


def _pending_header() -> int | None:
    try:
        value = int(request.headers.get("X-Checkin-Pending", ""))
    except ValueError:
        return None
    return value if 0 <= value < 1_000_000 else None


def _device_or_401(token: str, allow_revoked: bool = False) -> CheckinDevice:
    device = devices.authenticate(token)
    if device is None:
        raise DeviceRefused(401, {"device": "unknown", "title": _("This device is not registered"),
                                  "message": _("This device is not registered for check-in, or it was removed "
                                               "and has wiped its data.")})
    if devices.touch(device, _pending_header()):
        g.device_touched = True
    if device.revoked_at is not None and not allow_revoked:
        if g.get("device_touched"):
            commit_read_side_effects()
        raise DeviceRefused(403, {"revoked": True, "title": _("This device was removed from the event"),
                                  "message": _("This device was removed from the event.")})
    g.checkin_device = device
    return device


def _user_or_401(allow_revoked: bool = False):
    """Who is calling: the registered device of the bearer token, else the logged-in user."""
    token = _bearer()
    if token is not None:
        return _device_or_401(token, allow_revoked=allow_revoked)
    if not perm.is_authenticated():
        abort(401)
    return current_user


def _error_json(err: DomainError, status: int):
    return jsonify({"result": "error", "title": err.message, "message": err.message}), status


def _commit_touch() -> None:
    """GET answers write nothing but a device's "last seen"."""
    if g.get("device_touched"):
        commit_read_side_effects()


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        return abort(404)
    return event


def _body() -> dict:
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    return data


def _uuid(value) -> str:
    try:
        return str(uuidlib.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise BadRequest(_("Each scan needs a valid UUID made by the device.")) from None


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadRequest(_("%(name)s must be a number.", name=name))
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(_("%(name)s must be a number.", name=name)) from None
    if not 0 < number < 2**31:
        raise BadRequest(_("%(name)s must be a number.", name=name))
    return number


def _text(value, name: str, max_length: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise BadRequest(_("%(name)s is not valid.", name=name))
    return value


def _device_time(value) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise BadRequest(_("The device time must be an ISO 8601 date and time."))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(_("The device time must be an ISO 8601 date and time.")) from None
    if moment.tzinfo is None:
        raise BadRequest(_("The device time must include its time zone."))
    return moment.astimezone(UTC)


def parse_scan(data: dict) -> services.Scan:
    code = _text(data.get("code"), "code", MAX_CODE)
    token = _text(data.get("ticket"), "ticket", 20)
    if not code and not token:
        raise BadRequest(_("Scan or type a ticket code."))
    method = data.get("method") or ("lookup" if token else "camera")
    if method not in METHODS or method == "sync":
        raise BadRequest(_("%(name)s is not valid.", name="method"))
    return services.Scan(uuid=_uuid(data.get("uuid")), event_id=_int(data.get("event_id"), "event_id"),
                         code=code, ticket_token=token, device_id=_text(data.get("device_id"), "device_id", 64),
                         device_time=_device_time(data.get("device_time")), method=method)


def translator():
    """The current language's translations, looked up once: ``gettext(message, **values)`` as
    Flask-Babel's."""
    translations = get_translations()

    def gettext(message: str, **values) -> str:
        text = translations.ugettext(message)
        return text % values if values else text

    return gettext


def answer_json(answer: services.Answer, user, gettext=None) -> dict:
    """The scanner's answer, from the stored row's own columns (no query, except for the rare
    "ticket of another event", which names that event). The live count is the counts endpoint's:
    the scanner adds its own admissions in between."""
    gettext = gettext or translator()  # the translations looked up once, not once per string
    out = {
        "uuid": answer.uuid,
        "seq": answer.seq,
        "result": answer.result,
        "replay": answer.replay,
        "server_time": answer.server_time.isoformat(),
        "undone": answer.undone_at is not None,
        "can_undo": services.can_undo(answer, user),
    }
    if answer.ticket_id is not None:
        out["ticket"] = {"short_code": answer.short_code, "token": answer.token, "name": answer.name or ""}
    if answer.result == ACCEPTED:
        out["title"] = gettext("Checked in")
        out["message"] = gettext("Welcome! Please confirm the name.")
        if answer.undone_at is not None:
            out["result"] = "undone"
            out["title"] = gettext("Check-in undone")
            out["message"] = ""
    elif answer.result == DUPLICATE:
        out["title"] = gettext("Already checked in")
        if answer.previous_at is not None:
            out["previous"] = {"at": timeutil.format_time(answer.previous_at), "by": answer.previous_by or ""}
            out["message"] = gettext("Already checked in at %(time)s by %(name)s.", time=out["previous"]["at"],
                                     name=out["previous"]["by"] or "—")
        else:
            out["message"] = gettext("This ticket was already used.")
    elif answer.result == REVOKED:
        out["title"] = gettext("Ticket cancelled")
        out["message"] = gettext("This ticket was cancelled or replaced. Do not admit; ask for the new ticket.")
    elif answer.result == WRONG_EVENT:
        title = db.session.scalar(select(Event.title).where(Event.id == answer.ticket_event_id)) \
            if answer.ticket_event_id else None
        out["title"] = gettext("Ticket for another event")
        out["message"] = gettext("This ticket is for: %(title)s.", title=title or "—")
    else:
        out["title"] = gettext("Not a valid ticket")
        out["message"] = gettext("The code could not be verified. Type the short code under the QR or look the name up.")
    return out


def _scan_as_steward(data: services.Scan) -> tuple[services.Answer, services.Acting]:
    """A logged-in steward's scan: the permission judged once and kept a short while (a permit), its
    basis re-checked by the scan's own INSERT; when that basis no longer holds, judged again in full."""
    facts = services.scan_facts(data)  # the event and the ticket, one query
    if facts.event is None:
        abort(404)
    event = facts.event
    token = session.get("_user_id")
    permit = services.cached_permit(token, event)
    for _judged_again in range(2):
        if permit is None:
            user = _user_or_401()
            permit = services.scan_permit(user, event)
            if permit is None:
                abort(403)
        answer = services.scan(data, permit.actor, event, guard=permit.guard(), chain_ids=list(permit.chain_ids),
                               facts=facts)
        if answer is not None:
            return answer, permit.actor
        services.forget_permits(permit.user_id)
        permit = None
    abort(403)


@bp.post("/scan")
def scan():
    data = services.verify(parse_scan(_body()))  # the signature first, in memory: a forged code costs no query
    if request.headers.get("Authorization"):
        user = _user_or_401()
        event = _event_or_404(data.event_id)
        if not services.can_scan(user, event):
            abort(403)
        answer = services.scan(data, user, event)
    else:
        answer, user = _scan_as_steward(data)
    body = answer_json(answer, user)
    attempt(lambda: None, show=False)  # the scan, recorded above, in one commit
    return jsonify(body), (200 if answer.replay else 201)


@bp.post("/undo")
def undo():
    data = _body()
    checkin_uuid = _uuid(data.get("uuid"))
    user = _user_or_401()
    checkin = services.by_uuid(checkin_uuid)
    if checkin is None:
        abort(404)
    event = _event_or_404(checkin.event_id)
    if not services.can_scan(user, event):
        abort(403)

    def undo_it() -> dict:
        services.undo(checkin_uuid, user)
        return answer_json(services.answer_of(checkin), user)  # before the commit expires it

    outcome = attempt(undo_it, show=False)
    if not outcome:
        return _error_json(outcome.error, 409)
    return jsonify(outcome.value)


@bp.get("/events/<int:event_id>/lookup")
def lookup(event_id: int):
    user = _user_or_401()
    event = _event_or_404(event_id)
    if not services.can_scan(user, event):
        abort(403)
    if not services.can_see_names(user, event):
        abort(403)
    q = request.args.get("q", "")[:100]
    results = services.lookup(event, q)
    _commit_touch()
    return jsonify({"results": results})


@bp.get("/events/<int:event_id>/checkins")
def checkins_since(event_id: int):
    """Check-ins at this session after sequence number ``since`` (for devices keeping in step)."""
    user = _user_or_401()
    event = _event_or_404(event_id)
    if not services.can_scan(user, event):
        abort(403)
    since = int_arg("since", minimum=0, maximum=BIG_MAX) if "since" in request.args else 0
    if since is None:  # not a number, or one no sequence reaches (30 digits): a 400, not a 500
        raise BadRequest(_("%(name)s must be a number.", name="since"))
    # A row's sequence number is its id, or its changed_seq once it changed (an undo).
    seq = func.coalesce(func.max(CheckIn.id, CheckIn.changed_seq), CheckIn.id) \
        if db.engine.dialect.name == "sqlite" else func.greatest(CheckIn.id, CheckIn.changed_seq)
    rows = db.session.execute(
        select(seq.label("seq"), CheckIn.uuid, CheckIn.result, CheckIn.server_time, CheckIn.device_time,
               CheckIn.undone_at, Ticket.token)
        .outerjoin(Ticket, CheckIn.ticket_id == Ticket.id)
        .where(CheckIn.event_id == event_id, or_(CheckIn.id > since, CheckIn.changed_seq > since))
        .order_by(seq, CheckIn.id).limit(500)).all()
    _commit_touch()
    return jsonify({"checkins": [
        {"seq": r.seq, "uuid": r.uuid, "result": r.result, "ticket": r.token,
         "server_time": r.server_time.isoformat(),
         "device_time": r.device_time.isoformat() if r.device_time else None,
         "undone": r.undone_at is not None} for r in rows],
        "last_seq": rows[-1].seq if rows else since})


@bp.get("/events/<int:event_id>/counts")
def counts(event_id: int):
    """Live counts for the event and its children (bridge points, sessions)."""
    user = _user_or_401()
    event = _event_or_404(event_id)
    if not services.can_scan(user, event):
        abort(403)
    counts = services.live_counts(event)
    _commit_touch()
    return jsonify({"counts": [{"event_id": c.event.id, "title": c.event.title, "registered": c.registered,
                                "checked_in": c.checked_in} for c in counts]})


@bp.get("/events/<int:event_id>/offline-pack")
def offline_pack(event_id: int):
    """What a device needs to decide offline: the public keys, the revoked tickets, the
    live tickets (names only for those allowed), the tickets admitted so far and the last seq."""
    user = _user_or_401()
    event = _event_or_404(event_id)
    if not services.can_scan(user, event):
        abort(403)
    chain = [e.id for e in services.event_chain(event)]
    keys = db.session.execute(select(SigningKey.id, SigningKey.public_key, SigningKey.revoked_at)).all()
    revoked = db.session.scalars(
        select(Ticket.token).join(Registration, Ticket.registration_id == Registration.id)
        .where(Ticket.event_id.in_(chain),
               or_(Ticket.revoked_at.is_not(None), ~services.registration_live_clause()))
        .order_by(Ticket.id)).all()
    facts = services.offline_facts(event, user)
    _commit_touch()
    return jsonify({
        "event_id": event.id, "event_title": event.title, "valid_event_ids": chain,
        "keys": [{"id": k.id, "public_key": base64.b64encode(bytes(k.public_key)).decode("ascii"),
                  "revoked": k.revoked_at is not None} for k in keys],
        "revoked_tickets": list(revoked),
        **facts,
        "code_format": {"prefix": codes.PREFIX, "version": codes.VERSION, "length": codes.CODE_LENGTH},
    })



MAX_BATCH = 1000
DOOR_RESULTS = (ACCEPTED, DUPLICATE, REVOKED, WRONG_EVENT, "invalid")


def parse_offline_scan(data) -> tuple[services.Scan, str | None]:
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    code = _text(data.get("code"), "code", MAX_CODE)
    token = _text(data.get("ticket"), "ticket", 20)
    if not code and not token:
        raise BadRequest(_("Scan or type a ticket code."))
    door = data.get("door_result")
    if door is not None and door not in DOOR_RESULTS:
        raise BadRequest(_("%(name)s is not valid.", name="door_result"))
    return services.Scan(uuid=_uuid(data.get("uuid")), event_id=_int(data.get("event_id"), "event_id"),
                         code=code, ticket_token=token, device_id=_text(data.get("device_id"), "device_id", 64),
                         device_time=_device_time(data.get("device_time")), method="sync"), door


@bp.post("/sync")
def sync():
    """A device's outbox: scans it decided offline, in one batch. The answer has one entry per item,
    in order; ``ack`` tells the device it may delete the item (stored, or a repeat of a stored UUID,
    or malformed so that sending it again cannot help). The same UUIDs make repeats harmless. The
    batch is decided and stored set-based (services.sync_batch); a deadlock or serialisation
    failure with a concurrent upload is retried here, in the request."""
    body = _body()
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise BadRequest(_("The request needs a list of scans."))
    if len(items) > MAX_BATCH:
        raise BadRequest(_("At most %(count)d scans in one request.", count=MAX_BATCH))
    parsed: list[tuple[object, BadRequest | None, str | None]] = []
    for item in items:  # every signature is checked before the first query
        try:
            data, door = parse_offline_scan(item)
        except BadRequest as err:
            parsed.append((item, err, None))
            continue
        parsed.append((services.verify(data), None, door))
    # A removed device's uploads are still recorded: what happened at the door is never dropped.
    user = _user_or_401(allow_revoked=True)
    outcome = attempt(lambda: _sync_once(user, parsed), show=False, retries=RETRIES)
    if not outcome:
        return _error_json(outcome.error, 409)
    out, revoked = outcome.value
    reply = {"items": out}
    if revoked is not None:
        reply["revoked"] = revoked
    return jsonify(reply)


RETRIES = 3  # runs again after a deadlock or serialisation failure (core.web.attempt)


def _sync_once(user, parsed) -> tuple[list[dict], bool | None]:
    events: dict[int, Event | None] = {}
    uploads: list[services.Upload] = []
    out: list[dict | None] = []
    for data, error, door in parsed:
        if error is not None:
            raw = data.get("uuid") if isinstance(data, dict) else None
            out.append({"uuid": raw if isinstance(raw, str) else None, "ack": True, "result": "error",
                        "message": error.message})
            continue
        if data.event_id not in events:
            event = db.session.get(Event, data.event_id)
            events[data.event_id] = event if event is not None and services.can_scan(user, event) else None
        if events[data.event_id] is None:
            out.append({"uuid": data.uuid, "ack": False, "result": "error",
                        "message": _("You cannot check people in at this event.")})
            continue
        uploads.append(services.Upload(data, door))
        out.append(None)
    answers = iter(services.sync_batch(uploads, user, {k: v for k, v in events.items() if v is not None}))
    for n, entry in enumerate(out):
        if entry is None:
            answer = next(answers)
            out[n] = {"uuid": answer.uuid, "ack": True, "seq": answer.seq, "result": answer.result,
                      "replay": answer.replay, "conflict": answer.conflict}
    revoked = user.revoked_at is not None if isinstance(user, CheckinDevice) else None
    return out, revoked


# --- registered devices ------------------------------------------------------------------------

def device_json(device: CheckinDevice) -> dict:
    event = db.session.get(Event, device.event_id)
    return {"id": device.id, "label": device.label, "event_id": device.event_id,
            "event_title": event.title if event else "",
            "event_starts_at": timeutil.format_datetime(event.starts_at) if event else "",
            "revoked": device.revoked_at is not None}


@bp.post("/devices/activate")
@limiter.limit("20 per minute")
def activate_device():
    """A phone presents the one-time setup code (from the QR's fragment) and gets its token."""
    code = _body().get("setup")

    def activate() -> dict:
        activation = devices.activate(code if isinstance(code, str) else "")
        return {"token": activation.token, "device": device_json(activation.device)}

    outcome = attempt(activate, show=False)
    if not outcome:
        return _error_json(outcome.error, 410)
    return jsonify(outcome.value), 201


def _calling_device():
    """The registered device making the request (a removed one too), else 401."""
    token = _bearer()
    if token is None:
        raise DeviceRefused(401, {"device": "unknown", "message": _("This device is not registered for check-in.")})
    return _device_or_401(token, allow_revoked=True)


@bp.get("/device")
def device_info():
    """The calling device: its name, its event, whether it was removed."""
    device = _calling_device()
    body = device_json(device)
    _commit_touch()
    return jsonify(body)


@bp.post("/device/wiped")
def device_wiped():
    """A removed device uploaded everything and deleted its data; its token stops working."""
    device = _calling_device()
    outcome = attempt(lambda: devices.report_wiped(device, _pending_header()), show=False)
    if not outcome:
        return _error_json(outcome.error, 409)
    return jsonify({"wiped": True})
