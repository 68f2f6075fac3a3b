"""Every user-visible string is translatable and has its Vietnamese translation."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "campaign"
TEMPLATES = ROOT.parent / "templates"
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
FEATURES = sorted(p.parent.name for p in ROOT.glob("*/translations"))
SHARED_TEMPLATES = {"base.html", "_nav.html", "_forms.html", "_import.html"}


def sources(feature: str):
    dirs = [ROOT / feature, TEMPLATES / feature]
    if feature == "core":
        dirs.append(TEMPLATES / "errors")
    for d in dirs:
        if d.is_dir():
            for _file, _line, message, _comments, _ctx in extract_from_dir(
                str(d), METHODS, keywords=KEYWORDS, options_map={"**.html": {"extensions": "jinja2.ext.i18n"}}
            ):
                yield message if isinstance(message, str) else message[0]
    if feature == "core":
        for name in SHARED_TEMPLATES:
            from babel.messages.extract import extract_from_file

            for _line, message, _c, _ctx in extract_from_file("jinja2", str(TEMPLATES / name),
                                                              keywords=KEYWORDS):
                yield message if isinstance(message, str) else message[0]
        from babel.messages.extract import extract_from_file

        for _line, message, _c, _ctx in extract_from_file("python", str(ROOT / "__init__.py"), keywords=KEYWORDS):
            yield message if isinstance(message, str) else message[0]


def test_every_feature_with_templates_has_a_catalogue():
    for templates in (TEMPLATES).iterdir():
        if templates.is_dir() and templates.name not in ("errors",):
            assert (ROOT / templates.name / "translations").is_dir(), f"{templates.name} has no catalogue"


@pytest.mark.parametrize("feature", FEATURES)
def test_vietnamese_catalogue_is_complete(feature):
    with open(ROOT / feature / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted({m for m in sources(feature) if m} - translated)
    assert not missing, f"untranslated in {feature} (run `make extract`, then translate): {missing}"


def test_a_text_has_one_translation_across_features():
    """Flask-Babel merges the catalogues: the same English text translated two ways in two features
    would show whichever loads last. Pick one Vietnamese text for it everywhere."""
    seen: dict[str, dict[str, str]] = {}
    for feature in FEATURES:
        with open(ROOT / feature / "translations" / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
            for m in read_po(fh, locale="vi"):
                if m.id and m.string:
                    mid = m.id if isinstance(m.id, str) else m.id[0]
                    seen.setdefault(mid, {})[feature] = m.string if isinstance(m.string, str) else m.string[0]
    clashes = {mid: by for mid, by in seen.items() if len(set(by.values())) > 1}
    assert not clashes, clashes
