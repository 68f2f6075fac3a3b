"""The repository's layout: templates/ and static/ beside the package, and a wheel that carries them."""

import tomllib
from pathlib import Path

from campaign.paths import STATIC_DIR, TEMPLATES_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_templates_and_static_are_top_level():
    assert TEMPLATES_DIR == ROOT / "templates"
    assert STATIC_DIR == ROOT / "static"
    assert (TEMPLATES_DIR / "base.html").is_file()
    assert (STATIC_DIR / "js" / "app.js").is_file()
    assert not (ROOT / "campaign" / "templates").exists()
    assert not (ROOT / "campaign" / "static").exists()


def test_every_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "campaign").rglob("__init__.py")}
    assert listed == found | {"campaign.templates", "campaign.static"}
