"""No secret in a log line: private links carry their secret in the path (a personal calendar feed,
``/r/<token>``, ``/g/<token>`` (people registered on someone's behalf), a ticket, the self check-in poster, a certificate's verification link), and an access
log writes every path, query and Referer. :class:`MaskTokens` replaces each such secret by ``***`` in
every record of the loggers that write requests (Werkzeug's development server, gunicorn's access and
error logs, the app's own), whatever the format. ``gunicorn.conf.py`` at the top of the project uses
:class:`GunicornLogger` so that gunicorn's loggers mask from their first line.

SQL parameters (names, phones, needs) never reach a log either: the engine runs with
``hide_parameters=True`` (campaign.config), so a failed statement is logged without its values, and
the filter removes the values PostgreSQL itself quotes in an error's detail ("Failing row contains
(...)", "Key (phone)=(...) already exists") from the message and the traceback.
"""

from __future__ import annotations

import logging
import os
import re

MASK = "***"
# The path segment after each prefix is a secret (tokens are URL-safe: letters, digits, "-" and "_").
_SECRET_PATHS = re.compile(
    r"(?P<prefix>/calendars/private/|/r/|/g/|/tickets/|/self/\d+/|/verify/)"
    r"(?P<secret>[A-Za-z0-9_\-%.~]+?)(?=\.ics\b|[/?#\s\"'&]|$)")
# Query or fragment arguments that hold a secret.
_SECRET_ARGS = re.compile(r"(?P<prefix>[?&#;](?:token|secret|setup|code|key)=)(?P<secret>[^&#\s\"']+)", re.IGNORECASE)
# Values a database quotes in its error messages (PostgreSQL's DETAIL lines).
_DB_VALUES = [
    (re.compile(r"(Failing row contains )\(.*?\)(?=\.?\s*$|\.?\n)", re.MULTILINE), r"\1(***)"),
    (re.compile(r"(Key \([^)]*\))=\(.*?\)( already exists| is not present| conflicts)"), r"\1=(***)\2"),
    (re.compile(r"(DETAIL:\s+Key \([^)]*\))=\(.*?\)"), r"\1=(***)"),
]
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "campaign", "flask.app")


def mask(text: str) -> str:
    """``text`` with the secret of every private link replaced by ``***``."""
    if "/" not in text and "=" not in text:
        return text
    text = _SECRET_PATHS.sub(lambda m: m.group("prefix") + MASK, text)
    return _SECRET_ARGS.sub(lambda m: m.group("prefix") + MASK, text)


def scrub(text: str) -> str:
    """``text`` with private tokens masked and the values a database error quotes removed."""
    if "Failing row" in text or "Key (" in text:
        for pattern, replacement in _DB_VALUES:
            text = pattern.sub(replacement, text)
    return mask(text)


class MaskTokens(logging.Filter):
    """Rewrites the record's message with the secrets masked (the arguments are merged in first,
    so a format like gunicorn's ``%(r)s`` is masked too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is left to the handler to report
            return True
        masked = scrub(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when it is set: the traceback is written scrubbed.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


_FILTER = MaskTokens()


def install(extra_loggers=()) -> None:
    """Put the filter on the loggers that write requests and on the root logger's handlers
    (records propagated from other loggers pass through those). Idempotent."""
    for name in (*LOGGERS, *extra_loggers):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


try:  # gunicorn is a dependency of production only
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = None

# The atoms of an access log format (``%(h)s``, ``%({x-forwarded-for}i)s``, ...).
_FORMAT_ATOMS = re.compile(r"%\(([^)]*)\)")
# gunicorn's atoms made from the request line, the response and the time alone (no header or
# environ variable by name).
PLAIN_ATOMS = frozenset("hlutrsmUqHbBfaTDMLp")

if _GunicornLogger is not None:
    class GunicornLogger(_GunicornLogger):
        """gunicorn's logger with private tokens masked in the access and the error log.

        An access line is made from the atoms its format names. gunicorn's own ``atoms`` also copies
        every request header, response header and environ variable into the line's dictionary (and
        escapes each): when the format names only plain atoms, those copies are skipped."""

        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.access_log, self.error_log):
                if _FILTER not in log.filters:
                    log.addFilter(_FILTER)
            names = set(_FORMAT_ATOMS.findall(cfg.access_log_format or ""))
            self._plain_atoms = names <= PLAIN_ATOMS

        def atoms(self, resp, req, environ, request_time):
            if not getattr(self, "_plain_atoms", False):
                return super().atoms(resp, req, environ, request_time)
            status = resp.status
            if isinstance(status, str):
                status = status.split(None, 1)[0]
            sent = getattr(resp, "sent", None)
            seconds, micros = request_time.seconds, request_time.microseconds
            return {
                "h": environ.get("REMOTE_ADDR", "-"), "l": "-", "u": self._get_user(environ) or "-",
                "t": self.now(),
                "r": f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}",
                "s": status, "m": environ.get("REQUEST_METHOD"), "U": environ.get("PATH_INFO"),
                "q": environ.get("QUERY_STRING"), "H": environ.get("SERVER_PROTOCOL"),
                "b": str(sent) if sent is not None else "-", "B": sent,
                "f": environ.get("HTTP_REFERER", "-"), "a": environ.get("HTTP_USER_AGENT", "-"),
                "T": seconds, "D": seconds * 1_000_000 + micros, "M": seconds * 1000 + micros // 1000,
                "L": f"{seconds}.{micros:06d}", "p": f"<{os.getpid()}>",
            }
