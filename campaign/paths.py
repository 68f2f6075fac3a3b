"""Where the templates and static files are: ``templates/`` and ``static/`` beside the ``campaign``
package in a checkout (or an editable install); inside the package when installed from a wheel
(pyproject maps them in as ``campaign/templates`` and ``campaign/static``)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _beside_or_inside(name: str) -> Path:
    beside = PACKAGE_DIR.parent / name
    return beside if beside.is_dir() else PACKAGE_DIR / name


TEMPLATES_DIR = _beside_or_inside("templates")
STATIC_DIR = _beside_or_inside("static")
