"""The feature packages, in the direction of imports (a lower one never imports a higher one).

create_app() registers each feature's ``views.bp`` (and ``api.bp``) if it has one; `flask demo`
runs each feature's ``demo.load()`` in this order. A new feature adds one line here.
"""

FEATURES = [
    "core",
    "units",
    "accounts",
    "jobs",
    "campaigns",
    "events",
    "venues",
    "volunteers",
    "checkin",
    "courses",
    "calendars",
    "reports",
    "messages",
    "filings",
    "plans",
    "programmes",
    "teams",
    "recognition",
    "home",
]


def modules(name: str) -> list:
    """Each feature's ``campaign.<feature>.<name>`` module, in FEATURES order, for the features that have
    one: how a lower feature finds what higher ones contribute without importing them by name (e.g. the
    ``indicators`` modules that add metrics to the reports)."""
    import importlib
    import importlib.util

    found = []
    for feature in FEATURES:
        full = f"campaign.{feature}.{name}"
        if importlib.util.find_spec(full) is not None:
            found.append(importlib.import_module(full))
    return found


def extra_metrics() -> dict:
    """Indicator metrics contributed by features' ``indicators`` modules: each module has ``METRICS``
    (metric name -> lazy label) and ``achieved(campaign, ids, lo, hi) -> {metric: {commune code: value}}``
    (a bounded number of queries; commune code None for province-wide records)."""
    out: dict = {}
    for mod in modules("indicators"):
        out.update(getattr(mod, "METRICS", {}))
    return out
