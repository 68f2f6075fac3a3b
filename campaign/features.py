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
]
