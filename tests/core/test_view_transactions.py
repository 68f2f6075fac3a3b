"""Views and APIs never commit or roll back themselves: they hand the work to core.web.attempt()
(or core.web.commit_read_side_effects() for what a GET writes on the side). This reads the source of
every module that declares routes and fails on a db.session.commit() / rollback() call in it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "campaign"
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}
# Functions of view modules that are no view: the last-resort error handler (an unhandled exception
# leaves a failed transaction to roll back before the error page is drawn).
EXEMPT = {("campaign/core/views.py", "register_error_handlers")}


def _decorator_name(node) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")


def _is_cli(func: ast.FunctionDef) -> bool:
    """A `flask ...` command declared beside the views (bp.cli.command): it commits like any script."""
    return any(_decorator_name(d) == "command" for d in func.decorator_list)


def view_modules() -> list[Path]:
    """Every module of the package with a route decorator (@bp.get, @bp.route, ...)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
               and any(_decorator_name(d) in ROUTE_DECORATORS and isinstance(d, ast.Call)
                       and isinstance(d.func, ast.Attribute) for d in node.decorator_list)
               for node in ast.walk(tree)):
            found.append(path)
    return found


def transaction_calls(source: str, relpath: str) -> list[str]:
    """'file:line function' for each session commit()/rollback() call outside an exempt function."""
    tree = ast.parse(source)
    out = []

    def visit(node, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                top = function or child.name
                if (relpath, top) in EXEMPT or _is_cli(child):
                    continue
                visit(child, top)
                continue
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr in ("commit", "rollback")
                    and isinstance(child.func.value, ast.Attribute) and child.func.value.attr == "session"):
                out.append(f"{relpath}:{child.lineno} {function or '<module>'}: session.{child.func.attr}()")
            visit(child, function)

    visit(tree, None)
    return out


def test_the_scan_finds_the_view_modules():
    names = {p.relative_to(ROOT).as_posix() for p in view_modules()}
    assert {"campaign/events/views/public.py", "campaign/events/views/manage.py", "campaign/events/views/tree.py",
            "campaign/checkin/api.py", "campaign/reports/import_views.py", "campaign/venues/views.py"} <= names
    assert "campaign/events/services.py" not in names


def test_the_scan_catches_a_commit_and_a_rollback():
    source = (
        "from campaign.extensions import db\n"
        "@bp.post('/x')\n"
        "def x():\n"
        "    try:\n"
        "        db.session.commit()\n"
        "    except Exception:\n"
        "        db.session.rollback()\n"
        "def _helper():\n"
        "    def inner():\n"
        "        db.session.commit()\n"
    )
    found = transaction_calls(source, "campaign/demo/views.py")
    assert found == ["campaign/demo/views.py:5 x: session.commit()", "campaign/demo/views.py:7 x: session.rollback()",
                     "campaign/demo/views.py:10 _helper: session.commit()"]


def test_no_view_or_api_commits_or_rolls_back_itself():
    found = []
    for path in view_modules():
        found += transaction_calls(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not found, "use campaign.core.web.attempt() instead:\n" + "\n".join(found)
