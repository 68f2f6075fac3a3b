"""The permission matrix of the foundation's views (units, accounts, core). Each feature keeps its
own rows in tests/<feature>/test_permissions_<feature>.py, using tests/matrix.py."""

import pytest

from tests.conftest import DONG_NAI, KHANH_HOA, LONG_THANH, TRAN_BIEN
from tests.matrix import ACTORS, EVERY_USER, Row, check_row, ok

MANAGERS_A = ok("admin", "coord", "officer_a")
ACCOUNT_MANAGERS = ok("admin", "coord", "coord_kh", "officer_a", "officer_b", "youth")
VOLUNTEER_MANAGERS = ("admin", "coord", "officer_a", "youth")

ROWS = [
    Row("GET", "/", {**ok("anon"), **{a: 302 for a in EVERY_USER}}, public=True),  # signed in: to /today
    Row("GET", "/healthz", ok(*ACTORS), public=True),
    Row("GET", "/login", {**ok("anon"), **{a: 302 for a in ACTORS if a != "anon"}}, public=True),
    # a wrong password: the form again for a visitor; the signed-in are sent on
    Row("POST", "/login", {**ok("anon"), **{a: 302 for a in ACTORS if a != "anon"}}, public=True,
        data={"username": "nobody", "password": "wrong-password"}),
    Row("POST", "/logout", {a: 302 for a in EVERY_USER}),
    Row("GET", "/lang/vi", {a: 302 for a in ACTORS}, public=True),
    Row("GET", "/notifications", EVERY_USER),
    Row("GET", "/account/password", EVERY_USER),
    # a wrong current password: the form again, with its error
    Row("POST", "/account/password", EVERY_USER,
        data={"current_password": "not-the-password", "new_password": "another-pass-1",
              "confirm": "another-pass-1"}),
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
    Row("GET", "/users", ACCOUNT_MANAGERS),
    Row("GET", "/users/new", ACCOUNT_MANAGERS),
    Row("POST", "/users/new", ACCOUNT_MANAGERS, data={"username": ""}),
    # a volunteer's account: managed by the officers of its commune and the youth union above it
    Row("GET", "/users/{volunteer_a}", ok(*VOLUNTEER_MANAGERS)),
    Row("POST", "/users/{volunteer_a}/grants", {a: 302 for a in VOLUNTEER_MANAGERS},
        data={"role": "volunteer", "commune_code": str(TRAN_BIEN)}),
    Row("POST", "/users/{volunteer_a}/grants/{volunteer_a_grant}/revoke", {a: 302 for a in VOLUNTEER_MANAGERS}),
    Row("POST", "/users/{volunteer_a}/active", {a: 302 for a in VOLUNTEER_MANAGERS}),
    Row("POST", "/users/{volunteer_a}/password", {a: 302 for a in VOLUNTEER_MANAGERS},
        data={"password": "another-pass-1"}),
    # an officer's account: the province above it and fellow officers of the commune
    Row("GET", "/users/{officer_a}", ok("admin", "coord", "officer_a")),
    # the audit log: administrators, and province coordinators for their province (issue 14, 13)
    Row("GET", "/audit", ok("admin", "coord", "coord_kh")),
    Row("GET", "/audit?action=event&type=events&from=01/01/2026&to=31/12/2026&page=2", ok("admin", "coord", "coord_kh")),
]


def objects(factory, actors):
    volunteer = factory.user("volunteer", commune=TRAN_BIEN)
    return {
        "village_a": factory.village(TRAN_BIEN).id,
        "volunteer_a": volunteer.id,
        "volunteer_a_grant": volunteer.grants[0].id,
        "officer_a": factory.user("commune_officer", commune=TRAN_BIEN).id,
    }


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row, objects)
