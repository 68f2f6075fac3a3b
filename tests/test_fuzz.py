"""Property-based fuzzing of every route: no input gives a 5xx.

Every rule of ``app.url_map`` is requested with fuzzed path values (ids of real records, huge, zero,
odd text), fuzzed query arguments (every name the code reads, and others), and for POST routes fuzzed
form fields (every field name any page's forms carry) or, under /api/, fuzzed JSON bodies (deep, huge
numbers, NUL bytes). As an administrator and anonymously; CSRF is off (as in every test). A small
world of records gives the ids real rows, so the views run past their 404s.

The number of examples is bounded (``FUZZ_EXAMPLES``, default 3 per route, role and method) and the
generation derandomised, so a run is repeatable and takes about a minute per database.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from campaign.extensions import db
from tests.checkin.conftest import CheckinFactory
from tests.conftest import TRAN_BIEN, session_login
from tests.courses.conftest import create_course
from tests.reports.conftest import campaign_data  # noqa: F401 - a fixture used below
from tests.venues.conftest import make_booking, make_venue  # noqa: F401 - fixtures used below

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ROOT = Path(__file__).resolve().parents[1]
HUGE = ["9" * 20, "9" * 30, "-" + "9" * 20, "2147483648", "9223372036854775808"]
ODD_TEXT = ["", " ", "0", "-1", "1.5", "1e309", "NaN", "null", "[]", "{}", "%", "%%", "'", '"', "\\", "<b>x</b>",
            "\x00", "a\x00b", "\u202e", "ﬀ", "😀", "Đồng Nai", "31/02/2026", "2026-13-45", "2026-02-30",
            "29/02/2025", "00/00/0000", "99:99", "25:61", "2026-W99", "2026-Q9", "T" * 5000, "../../etc/passwd",
            "javascript:alert(1)", "//evil.example", "https://evil.example/", "+84", "0" * 40, "١٢٣"]


def _arg_names() -> list[str]:
    """Every query argument name the code reads (request.args.get / getlist / int_arg / args.get)."""
    names = set()
    pattern = re.compile(r"""(?:args\.get(?:list)?|int_arg|_int_arg|_date_arg|_time_arg|values\.get)\(\s*(?:args,\s*)?["']([a-z_]+)["']""")
    for path in (ROOT / "campaign").rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names | {"page", "q", "next", "lang", "id", "format"})


ARG_NAMES = _arg_names()


def _world(factory, campaign_data, make_venue, make_booking):  # noqa: F811 - the imported fixtures
    """A few rows of every kind, so that small ids point at real records."""
    campaign_data()
    course = create_course(sessions=2)
    cf = CheckinFactory()
    event = cf.event()
    cf.ticket(event)
    venue = make_venue()
    make_booking(venue)
    factory.user("commune_officer", commune=TRAN_BIEN)
    from campaign.checkin import services as checkin

    db.session.commit()
    return {"poster": checkin.poster_token(event.id), "course": course.id}


def _values(kind: str):
    if kind == "int":
        return st.one_of(st.integers(0, 6).map(str), st.sampled_from(HUGE[:2] + ["2147483647", "2147483648"]))
    return st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=20),
                     st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))


def _path(rule, data) -> str | None:
    from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter

    values = {}
    for name, conv in rule._converters.items():
        if isinstance(conv, IntegerConverter):
            n = data.draw(st.one_of(st.integers(0, 6), st.sampled_from([2**31 - 1, 2**31, 10**20])))
            values[name] = str(n)
        elif isinstance(conv, AnyConverter):
            values[name] = data.draw(st.sampled_from(sorted(conv.items)))
        elif isinstance(conv, PathConverter):
            values[name] = data.draw(st.sampled_from(["css/app.css", "js/app.js", "x/../y", "nope"]))
        else:
            values[name] = data.draw(st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,30}", fullmatch=True),
                                               st.sampled_from(["x", "a" * 300, "%00", "%2e%2e"])))
    url = rule.rule
    for name, value in values.items():
        url = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + r">", value, url)
    return url


def _query(data) -> list[tuple[str, str]]:
    names = data.draw(st.lists(st.one_of(st.sampled_from(ARG_NAMES), st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
                               max_size=4))
    return [(n, data.draw(st.one_of(_values("int"), _values("text")))) for n in names]


def _json():
    leaf = st.one_of(st.none(), st.booleans(), st.integers(-(10**25), 10**25), st.floats(allow_nan=False),
                     st.sampled_from(ODD_TEXT), st.text(max_size=10), st.uuids().map(str))
    keys = st.sampled_from(["uuid", "event_id", "code", "ticket_token", "device_id", "device_time", "scans",
                            "setup", "method", "short_code", "phone", "result", "door_result", "x"])
    return st.one_of(
        st.recursive(leaf, lambda children: st.one_of(st.lists(children, max_size=4),
                                                      st.dictionaries(keys, children, max_size=6)), max_leaves=20),
        st.sampled_from(["[" * 50_000 + "]" * 50_000, '{"scans": ' + "[" * 2000 + "]" * 2000 + "}", "{", "\x00",
                         '{"uuid": "\\u0000"}']))


def test_no_route_answers_5xx(app, factory, login_as, campaign_data, make_venue, make_booking):  # noqa: F811
    world = _world(factory, campaign_data, make_venue, make_booking)
    admin_user = factory.user("admin")
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)
    clients = {"admin": lambda: session_login(app.test_client(), admin_user), "anonymous": app.test_client}
    failures: list[str] = []
    seen: set[tuple] = set()

    # Every field name the pages' forms carry (the GET pages, as an administrator).
    fields: set[str] = set()
    admin = clients["admin"]()
    for rule in rules:
        if "GET" in rule.methods and not rule._converters:
            resp = admin.get(rule.rule)
            fields.update(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', resp.text))
    fields.discard("csrf_token")
    field_names = sorted(fields | {"full_name", "phone", "username", "password", "q", "file", "payload"})

    def needs_login(rule, method: str) -> bool:
        """One plain anonymous request: a login redirect (or 401) means every anonymous example would
        stop there too, before reading any input."""
        url = re.sub(r"<(?:int:)([a-z_]+)>", "1", rule.rule)
        url = re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: next(iter(sorted(rule._converters[m.group(1)].items)))
                     if hasattr(rule._converters[m.group(1)], "items") else "x", url)
        resp = app.test_client().open(url, method=method)
        if resp.status_code >= 500:
            failures.append(f"{method} {url} as anonymous: {resp.status_code}")
        return resp.status_code == 401 or (resp.status_code == 302 and "/login" in resp.headers.get("Location", ""))

    def run(rule, method: str, role: str):
        make = clients[role]
        if role == "anonymous" and needs_login(rule, method):
            return

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def check(data):
            url = _path(rule, data)
            query = _query(data)
            client = make()
            kwargs = {"query_string": query, "headers": {"X-Checkin-Client": "fuzz"}}
            if method == "POST":
                if rule.rule.startswith("/api/"):
                    body = data.draw(_json())
                    if isinstance(body, str):
                        kwargs.update(data=body, content_type="application/json")
                    else:
                        kwargs["json"] = body
                else:
                    names = data.draw(st.lists(st.sampled_from(field_names), max_size=8))
                    kwargs["data"] = {n: data.draw(st.one_of(_values("int"), _values("text"))) for n in names}
            resp = client.open(url, method=method, **kwargs)
            if resp.status_code >= 500:
                key = (rule.rule, method, role)
                if key not in seen:
                    seen.add(key)
                    failures.append(f"{method} {url} {query} {kwargs.get('data') or kwargs.get('json')!r:.300} "
                                    f"as {role}: {resp.status_code}")

        check()

    started = time.perf_counter()
    timings: dict[tuple, float] = {}
    for method in ("GET", "POST"):  # the reads first: the writes may remove the world's rows
        for rule in rules:
            if method not in rule.methods:
                continue
            for role in ("anonymous", "admin"):
                t0 = time.perf_counter()
                run(rule, method, role)
                timings[(method, rule.rule, role)] = time.perf_counter() - t0
    elapsed = time.perf_counter() - started
    if os.environ.get("FUZZ_TIMINGS"):
        for key, t in sorted(timings.items(), key=lambda kv: -kv[1])[:25]:
            print(f"{t:6.2f} s  {key}")
        print(f"total {elapsed:.1f} s")
    assert not failures, "\n".join(failures)
    assert elapsed < 240, f"the fuzz took {elapsed:.0f} s"
    del world
