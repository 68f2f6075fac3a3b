"""HTTP for feeds: text/calendar, a strong ETag, Last-Modified (on 304 too), 304, HEAD.

The app sets no ``Date`` header: the server (gunicorn, Werkzeug) writes the one a response carries.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Response, request
from werkzeug.http import is_resource_modified


def etag_of(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:40]


class FeedResponse(Response):
    """Werkzeug drops Last-Modified from a 304 (an "entity header"); RFC 9110 lets a 304 carry it, and
    clients that revalidate by date keep it: put it back."""

    def get_wsgi_headers(self, environ):
        headers = super().get_wsgi_headers(environ)
        if self.status_code == 304 and "Last-Modified" in self.headers and "Last-Modified" not in headers:
            headers["Last-Modified"] = self.headers["Last-Modified"]
        return headers


def feed_response(body: bytes | Callable[[], bytes], modified: datetime, filename: str, private: bool = False,
                  etag: str | None = None) -> Response:
    """The feed, or a 304 when the client's copy is current. ``body`` may be a function (called only
    for a 200) when ``etag`` is given."""
    if etag is None:
        body = body() if callable(body) else body
        etag = etag_of(body)
    if is_resource_modified(request.environ, etag=etag, last_modified=modified):
        resp = FeedResponse(body() if callable(body) else body, mimetype="text/calendar")
        resp.headers["Content-Type"] = "text/calendar; charset=utf-8"
        resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    else:
        resp = FeedResponse(status=304)
    resp.set_etag(etag)
    resp.last_modified = modified  # on a 304 too: clients that revalidate by date keep it
    # Private feeds are for one subscriber: no shared caches; public ones may be cached an hour.
    resp.cache_control.max_age = 3600 if not private else 0
    if private:
        resp.cache_control.private = True
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Robots-Tag"] = "noindex"
    else:
        resp.cache_control.public = True
    return resp


@dataclass(frozen=True)
class RenderedFeed:
    """A public feed as rendered: ``body`` holds ``ical.BASE`` where the site's address goes."""

    stamp: tuple  # event_feed.stamp() when last known current
    fingerprint: tuple  # event_feed.validator() of the feed's rows
    body: bytes
    digest: bytes  # of body, for ETags per address
    modified: datetime


class FeedCache:
    """Rendered feeds of this process, keyed by what they were rendered from (least recently used
    out first). App servers stay stateless: a miss only costs a render."""

    def __init__(self, size: int = 256):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


feed_cache = FeedCache()
