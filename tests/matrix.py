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
