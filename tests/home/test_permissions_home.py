"""The permission matrix of the home ("Hôm nay"): every signed-in person has one; a visitor logs in."""

import pytest

from tests.matrix import EVERY_USER, Row, check_row

ROWS = [
    Row("GET", "/today", EVERY_USER),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_permission_matrix(app, factory, row):
    check_row(app, factory, row)
