"""The permission matrix: every view × every kind of user.

Each row names a route and who may use it; everyone else gets 403, and an anonymous visitor is
sent to the login page (302) unless the row says the page is public. Later features add rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.conftest import DONG_NAI, KHANH_HOA, LONG_THANH, TRAN_BIEN

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


def ok(*actors, status=200):
    return {a: status for a in actors}


MANAGERS_A = ok("admin", "coord", "officer_a")
EVERY_USER = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth", "trainer", "volunteer")

ROWS = [
    Row("GET", "/", ok(*ACTORS), public=True),
    Row("GET", "/healthz", ok(*ACTORS), public=True),
    Row("GET", "/login", {**ok("anon"), **{a: 302 for a in ACTORS if a != "anon"}}, public=True),
    Row("GET", "/notifications", EVERY_USER),
    Row("GET", "/account/password", EVERY_USER),
    # units
    Row("GET", "/units/", {**ok("admin", "coord", "coord_kh", "youth"), "officer_a": 302, "officer_b": 302}),
    Row("GET", f"/units/provinces/{DONG_NAI}", ok("admin", "coord", "youth")),
    Row("GET", f"/units/provinces/{KHANH_HOA}", ok("admin", "coord_kh")),
    Row("GET", f"/units/communes/{TRAN_BIEN}", ok("admin", "coord", "officer_a", "youth")),
    Row("GET", f"/units/communes/{LONG_THANH}", ok("admin", "coord", "officer_b", "youth")),
    Row("GET", f"/units/communes/{TRAN_BIEN}/villages/new", MANAGERS_A),
    Row("POST", f"/units/communes/{TRAN_BIEN}/villages/new", MANAGERS_A, data={"name": "", "kind": "ap"}),
    Row("GET", "/units/villages/{village_a}/edit", MANAGERS_A),
    Row("POST", "/units/villages/{village_a}/edit", MANAGERS_A, data={"name": "", "kind": "ap"}),
    Row("POST", "/units/villages/{village_a}/delete", {a: 302 for a in MANAGERS_A}),
    # accounts
    Row("GET", "/users", ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth")),
    Row("GET", "/users/new", ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth")),
    # a volunteer's account: managed by the officers of its commune and the youth union above it
    Row("GET", "/users/{volunteer_a}", ok("admin", "coord", "officer_a", "youth")),
    Row("POST", "/users/{volunteer_a}/grants", {a: 302 for a in ("admin", "coord", "officer_a", "youth")},
        data={"role": "volunteer", "commune_code": str(TRAN_BIEN)}),
    Row("POST", "/users/{volunteer_a}/active", {a: 302 for a in ("admin", "coord", "officer_a", "youth")}),
    Row("POST", "/users/{volunteer_a}/password", {a: 302 for a in ("admin", "coord", "officer_a", "youth")},
        data={"password": "another-pass-1"}),
    Row("GET", "/users/{officer_a}", ok("admin", "coord", "officer_a")),
]


@pytest.fixture
def actors(factory):
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


def make_objects(factory) -> dict:
    """Fresh objects for each actor, so that a destructive row finds them again."""
    return {
        "village_a": factory.village(TRAN_BIEN).id,
        "volunteer_a": factory.user("volunteer", commune=TRAN_BIEN).id,
        "officer_a": factory.user("commune_officer", commune=TRAN_BIEN).id,
    }


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.url}")
def test_permission_matrix(app, actors, factory, row):
    from tests.conftest import session_login

    failures = []
    for actor in ACTORS:
        url = row.url.format(**make_objects(factory))
        client = app.test_client()
        if actor != "anon":
            session_login(client, actors[actor])
        resp = client.open(url, method=row.method, data=row.data)
        expected = row.expected(actor)
        if resp.status_code != expected:
            failures.append(f"{actor}: {resp.status_code} (expected {expected})")
        if resp.status_code == 403:
            assert "Không có quyền" in resp.text
    assert not failures, f"{row.method} {row.url}: " + "; ".join(failures)
