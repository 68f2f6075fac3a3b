"""Request parsing that no view has to remember: whatever a client sends, the answer is a 4xx, never a 500.

- Whole numbers: ``<int:...>`` in a route only matches 0..2**31-1 (a larger id is a 404, not a database
  overflow); ``request.args.get(name, type=int)`` gives the default for a number no column can hold;
  :func:`int_arg` is the one parser for an integer query argument.
- NUL bytes (which PostgreSQL refuses in text) in the path, the query or a form are a 400.
- Form fields: WTForms' integer fields (IntegerField, int-coercing choices) refuse such numbers too.
- JSON bodies: at most ``MAX_JSON_DEPTH`` levels and no NUL in strings; a bad body is treated as invalid
  JSON (``get_json(silent=True)`` gives ``None``, so the API answers its own 400).
- A body over ``MAX_CONTENT_LENGTH`` is a 413 before anything reads it (the error page in HTML, JSON for
  the APIs).
"""

from __future__ import annotations

import json

from flask import Flask, abort, request
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1  # the largest value of an integer column (PostgreSQL's integer)
BIG_MAX = 2**63 - 1  # of a bigint
MAX_JSON_DEPTH = 32


def _in_range(value: int, maximum: int = INT_MAX) -> bool:
    return -maximum - 1 <= value <= maximum


class Args(ImmutableMultiDict):
    """Query and form arguments: ``get(name, type=int)`` refuses numbers no column can hold."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and value is not default and not _in_range(value):
            return default
        return value


class Request(FlaskRequest):
    parameter_storage_class = Args


class BoundedIntegerConverter(IntegerConverter):
    """``<int:x>`` only matches what an integer column holds: a 20-digit id is a 404."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, default: int | None = None, *, minimum: int | None = None, maximum: int = INT_MAX,
            source=None) -> int | None:
    """The whole number in query argument ``name``; ``default`` when it is missing, not a number or
    outside ``minimum``..``maximum`` (so a 20-digit value never reaches the database)."""
    raw = (source if source is not None else request.args).get(name)
    if raw is None:
        return default
    raw = str(raw).strip()
    if not raw or len(raw) > 20 or not raw.lstrip("-").isdigit() or not raw.lstrip("-").isascii():
        return default
    value = int(raw)
    if value > maximum or value < -maximum - 1 or (minimum is not None and value < minimum):
        return default
    return value


# --- form fields ---------------------------------------------------------------------------------

def _out_of_range(value) -> bool:
    if isinstance(value, list):
        return any(_out_of_range(v) for v in value)
    return isinstance(value, int) and not isinstance(value, bool) and not _in_range(value)


def bound_form_integers() -> None:
    """WTForms' IntegerField and the int-coercing choice fields accept any number of digits; a value no
    integer column holds becomes the field's error ("Not a valid integer value.") and ``data`` None, so
    that no view hands it to the database (a 30-digit ``commune_code`` was a 500)."""
    from wtforms.fields import IntegerField, SelectField, SelectMultipleField

    for cls in (IntegerField, SelectField, SelectMultipleField):
        original = cls.process_formdata
        if getattr(original, "_bounded", False):
            continue

        def process_formdata(self, valuelist, _original=original):
            _original(self, valuelist)
            if _out_of_range(self.data):
                self.data = [] if isinstance(self.data, list) else None
                raise ValueError(self.gettext("Not a valid integer value."))

        process_formdata._bounded = True
        cls.process_formdata = process_formdata


# --- JSON ------------------------------------------------------------------------------------------

def check_json(value, max_depth: int = MAX_JSON_DEPTH) -> None:
    """ValueError when ``value`` nests deeper than ``max_depth``, or holds a NUL in a string or a key,
    or an integer no column can hold."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise ValueError("JSON nested too deeply")
            if isinstance(item, dict):
                for k, v in item.items():
                    if "\x00" in k:
                        raise ValueError("NUL in JSON")
                    stack.append((v, depth + 1))
            else:
                stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise ValueError("NUL in JSON")
        elif isinstance(item, int) and not isinstance(item, bool) and not _in_range(item, BIG_MAX):
            raise ValueError("number out of range")
        elif isinstance(item, float) and item != item:
            raise ValueError("NaN in JSON")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with bounded input: a body nested too deeply (which would exhaust the parser's
    recursion) or holding NUL bytes is invalid JSON (a ValueError, so ``get_json`` answers 400)."""

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
        check_json(value)
        return value


# --- before every request --------------------------------------------------------------------------

def _has_nul(values: ImmutableMultiDict) -> bool:
    return any("\x00" in k or any("\x00" in v for v in vs) for k, vs in values.lists())


def reject_bad_input():
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)
    if "\x00" in request.path or _has_nul(request.args):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        if _has_nul(request.form) or any("\x00" in (f.filename or "") for f in request.files.values()):
            abort(400)


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered (the ``int`` converter applies to rules added later)."""
    app.request_class = Request
    bound_form_integers()
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.json = JSONProvider(app)
    # First of all before_request functions: CSRF protection reads the form too.
    app.before_request_funcs.setdefault(None, []).insert(0, reject_bad_input)
