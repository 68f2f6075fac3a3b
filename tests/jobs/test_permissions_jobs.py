"""The permission matrix of the jobs routes: a job is seen by its creator and admins; to anyone else
it does not exist (404)."""

import pytest

from campaign import jobs
from tests.matrix import ACTORS, EVERY_USER, Row, check_row

OWNER_AND_ADMIN = {**{a: 404 for a in ACTORS if a != "anon"}, "admin": 200, "coord": 200}
ROWS = [
    Row("GET", "/jobs/", EVERY_USER),  # "My jobs": each user sees their own
    Row("GET", "/jobs/{job}", OWNER_AND_ADMIN),
    Row("GET", "/jobs/{job}.json", OWNER_AND_ADMIN),
    Row("GET", "/jobs/{job}/download", OWNER_AND_ADMIN),
]


def objects(factory, actors):
    return {"job": jobs.start("testjobs.ok", actors["coord"]).id}


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permissions(app, factory, row):
    check_row(app, factory, row, objects)
