"""HTTP for feeds: text/calendar, a strong ETag over the bytes, Last-Modified, 304, HEAD."""

from __future__ import annotations

import hashlib
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
