"""The guardrail over the permission matrix: every route of every blueprint (each method) is checked
by a row of some matrix module, and the check itself notices a route added without a row."""

from flask import Blueprint

from campaign import create_app
from tests.matrix import matrix_modules, rows_of, uncovered_routes


def all_rows() -> list[tuple[str, str]]:
    return [row for module in matrix_modules() for row in rows_of(module)]


def test_every_route_of_every_blueprint_has_a_permission_row(app):
    missing = uncovered_routes(app, all_rows())
    assert not missing, "routes without a row in the permission matrix:\n" + "\n".join(missing)


def test_a_route_added_without_a_row_is_reported(app_config):
    fresh = create_app(app_config)
    rows = all_rows()
    assert uncovered_routes(fresh, rows) == []
    extra = Blueprint("extra", __name__)

    @extra.route("/manage/unguarded", methods=["GET", "POST"])
    def unguarded():
        return "nobody checked who may see this"

    fresh.register_blueprint(extra)
    assert uncovered_routes(fresh, rows) == ["GET /manage/unguarded (extra.unguarded)",
                                             "POST /manage/unguarded (extra.unguarded)"]
    # a row for one method covers that method only
    assert uncovered_routes(fresh, rows + [("GET", "/manage/unguarded")]) == [
        "POST /manage/unguarded (extra.unguarded)"]
