"""Rate limits of the public writes: per address, and per target (the event, class, commune or phone
the request aims at, whatever address it comes from).

Each limit is a setting (``app.config``; the defaults below), read at request time, so a deployment
behind one address (a commune hall's Wi-Fi, a mobile operator's shared address) can raise it. The
storage is Redis when ``REDIS_URL`` is set (shared by every process), per-process memory otherwise
and whenever Redis is unreachable (see ``config.py``). Only POST requests count: reading a page is
never limited. ``docs/security.md`` explains the choices.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import abort, current_app, request
from limits import parse_many

from campaign.extensions import limiter

log = logging.getLogger(__name__)

DEFAULTS = {
    # public event registration and class enrolment
    "REGISTRATION_RATE_LIMIT": "15 per minute;150 per hour",  # per address
    "REGISTRATION_TARGET_RATE_LIMIT": "60 per minute",  # per event or class
    # the self check-in poster
    "SELF_CHECKIN_RATE_LIMIT": "30 per minute",  # per address (a venue's Wi-Fi is one address)
    "SELF_CHECKIN_TARGET_RATE_LIMIT": "300 per minute",  # per event
    "SELF_CHECKIN_PHONE_RATE_LIMIT": "5 per 10 minutes",  # per event and phone typed (guessing a code)
    # volunteer sign-up (an account waiting for approval; each notifies the commune's organisers)
    "VOLUNTEER_SIGNUP_RATE_LIMIT": "5 per minute;20 per hour",  # per address
    "VOLUNTEER_SIGNUP_TARGET_RATE_LIMIT": "30 per hour",  # per home commune
    # the private link's actions (cancel a registration)
    "PRIVATE_LINK_RATE_LIMIT": "30 per minute",  # per address
}


def setting(name: str) -> Callable[[], str]:
    """The limit named ``name``, read from the app's config when the request comes."""
    return lambda: current_app.config.get(name) or DEFAULTS[name]


def view_arg_key(kind: str, arg: str) -> Callable[[], str]:
    """A per-target key: ``kind`` and the URL's ``arg`` (e.g. the event id)."""
    return lambda: f"{kind}:{(request.view_args or {}).get(arg, '')}"


def form_key(kind: str, field: str, scope_arg: str | None = None) -> Callable[[], str]:
    """A per-target key from a form field (only its digits and letters, lower case), optionally
    within the URL's ``scope_arg`` (e.g. a phone within one event). An empty field counts nothing."""

    def key() -> str:
        raw = "".join(ch for ch in (request.form.get(field) or "")[:100] if ch.isalnum()).lower()
        if raw.startswith("84"):  # +84 912... and 0912... are one phone
            raw = "0" + raw[2:]
        if not raw:
            return ""  # the field was left empty: nothing to count for this target
        scope = (request.view_args or {}).get(scope_arg, "") if scope_arg else ""
        return f"{kind}:{scope}:{raw}"

    return key


def public_write(name: str, *targets: tuple[str, Callable[[], str]]):
    """Decorate a view: POSTs limited per address by setting ``name`` and per target by each
    ``(setting, key function)`` of ``targets``. Put it under the route decorator.

    The address limit is Flask-Limiter's (checked before the view); the target limits are counted
    only for requests the address limit let through, so one address hammering an event is stopped
    by its own limit without using up the event's allowance for everyone else."""

    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            if request.method == "POST":
                for target_setting, key_func in targets:
                    _hit_or_429(target_setting, key_func())
            return view(*args, **kwargs)

        return limiter.limit(setting(name), methods=["POST"])(limited)

    return decorate


def _hit_or_429(name: str, key: str) -> None:
    if not key or not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    scope = f"target:{request.endpoint}"
    try:
        allowed = all(limiter.limiter.hit(item, scope, key) for item in parse_many(setting(name)()))
    except Exception:  # noqa: BLE001 - the storage failed mid-request: let the request through, say so
        log.warning("rate limit storage unreachable; %s not counted for this request", name)
        return
    if not allowed:
        log.info("rate limit %s exceeded for %s", name, key.split(":", 1)[0])
        abort(429)
