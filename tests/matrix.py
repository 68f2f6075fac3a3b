"""The permission matrix machinery: every view × every kind of user.

A feature's test module lists Rows (a route and who may use it) and calls ``check_row``; everyone
not listed gets 403, and an anonymous visitor is sent to the login page (302) unless the row is
public. URLs may name objects as ``{name}``; ``objects(factory)`` makes them fresh for each actor
so that destructive routes find them again.

The actors: anon, admin, coord (Đồng Nai coordinator), coord_kh (Khánh Hòa coordinator),
officer_a (Trấn Biên), officer_b (Long Thành), youth (Đồng Nai youth union), trainer (Đồng Nai),
volunteer (Trấn Biên).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import DONG_NAI, KHANH_HOA, LONG_THANH, TRAN_BIEN, session_login

ACTORS = ["anon", "admin", "coord", "coord_kh", "officer_a", "officer_b", "youth", "trainer", "volunteer"]


@dataclass
class Row:
    method: str
    url: str
    allowed: dict[str, int] = field(default_factory=dict)  # actor -> expected status
    public: bool = False  # anonymous visitors may see it too
    data: dict = field(default_factory=dict)

    def expected(self, actor: str) -> int:
        if actor in self.allowed:
            return self.allowed[actor]
        if actor == "anon":
            return 200 if self.public else 302
        return 403

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


def ok(*actors: str, status: int = 200) -> dict[str, int]:
    return {a: status for a in actors}


EVERY_USER = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth", "trainer", "volunteer")


def make_actors(factory) -> dict:
    return {
        "admin": factory.user("admin"),
        "coord": factory.user("province_coordinator", province=DONG_NAI),
        "coord_kh": factory.user("province_coordinator", province=KHANH_HOA),
        "officer_a": factory.user("commune_officer", commune=TRAN_BIEN),
        "officer_b": factory.user("commune_officer", commune=LONG_THANH),
        "youth": factory.user("youth_organiser", province=DONG_NAI),
        "trainer": factory.user("trainer", province=DONG_NAI),
        "volunteer": factory.user("volunteer", commune=TRAN_BIEN),
    }


def check_row(app, factory, row: Row, objects: Callable[[object, dict], dict] | None = None) -> None:
    """Request the row's route as every actor; fail listing every actor that got the wrong answer.
    ``objects(factory, actors)`` returns the values for the URL's ``{name}`` placeholders."""
    actors = make_actors(factory)
    failures = []
    for actor in ACTORS:
        values = objects(factory, actors) if objects else {}
        url = row.url.format(**values)
        data = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in row.data.items()}
        client = app.test_client()
        if actor != "anon":
            session_login(client, actors[actor])
        resp = client.open(url, method=row.method, data=data)
        expected = row.expected(actor)
        if resp.status_code != expected:
            failures.append(f"{actor}: {resp.status_code} (expected {expected})")
        elif resp.status_code == 403:
            assert "Không có quyền" in resp.text or resp.is_json
        elif resp.status_code >= 500:
            failures.append(f"{actor}: server error")
    assert not failures, f"{row}: " + "; ".join(failures)


# --- the guardrail: every route of every blueprint has a row ------------------------------------------

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def matrix_modules() -> list:
    """The permission-matrix modules: tests/test_permissions.py and tests/<feature>/test_permissions_*.py."""
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parent
    paths = [root / "test_permissions.py", *sorted(root.glob("*/test_permissions_*.py"))]
    return [importlib.import_module(".".join(p.relative_to(root.parent).with_suffix("").parts)) for p in paths]


def rows_of(module) -> list[tuple[str, str]]:
    """(method, url) of every row a matrix module checks: its module-level lists of Rows, or of
    (method, url, ...) tuples for the JSON API rows."""
    out = []
    for value in vars(module).values():
        if not isinstance(value, list):
            continue
        for item in value:
            if isinstance(item, Row):
                out.append((item.method, item.url))
            elif (isinstance(item, tuple) and len(item) >= 2 and item[0] in METHODS
                  and isinstance(item[1], str) and item[1].startswith("/")):
                out.append((item[0], item[1]))
    return out


def uncovered_routes(app, rows: list[tuple[str, str]]) -> list[str]:
    """The route × method pairs of the app's blueprints that no row reaches ("METHOD /rule (endpoint)").
    A row's ``{name}`` placeholders stand for any value (they are matched as "1")."""
    import re

    from werkzeug.exceptions import MethodNotAllowed, NotFound
    from werkzeug.routing import RequestRedirect

    adapter = app.url_map.bind("localhost")
    covered = set()
    for method, url in rows:
        path = re.sub(r"\{\w+\}", "1", url).split("?")[0]
        try:
            endpoint, values = adapter.match(path, method=method)
        except RequestRedirect as redirect:  # /units → /units/
            endpoint, values = adapter.match(redirect.new_url.split("localhost", 1)[1], method=method)
        except (NotFound, MethodNotAllowed):
            continue
        covered.add((endpoint, method))
    missing = []
    for rule in app.url_map.iter_rules():
        if "." not in rule.endpoint:  # the app's own /static/, no blueprint's
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    return sorted(missing)
