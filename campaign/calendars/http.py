"""HTTP for feeds: text/calendar, a strong ETag over the bytes, Last-Modified, 304, HEAD."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime

from flask import Response, request


def feed_response(body: bytes, modified: datetime, filename: str, private: bool = False) -> Response:
    etag = hashlib.sha256(body).hexdigest()[:40]
    resp = Response(body, mimetype="text/calendar")
    resp.headers["Content-Type"] = "text/calendar; charset=utf-8"
    resp.set_etag(etag)
    resp.last_modified = modified
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # Private feeds are for one subscriber: no shared caches; public ones may be cached an hour.
    resp.cache_control.max_age = 3600 if not private else 0
    if private:
        resp.cache_control.private = True
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Robots-Tag"] = "noindex"
    else:
        resp.cache_control.public = True
    resp.make_conditional(request)  # 304 on a matching If-None-Match / If-Modified-Since
    return resp


class FeedCache:
    """Rendered feeds of this process, keyed by what they were rendered from (least recently used
    out first). App servers stay stateless: a miss only costs a render."""

    def __init__(self, size: int = 128):
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
