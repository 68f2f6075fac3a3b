"""The home of each signed-in person ("Hôm nay", /today): what needs them now, collected from every
feature's ``today.py`` (``features.modules("today")``, the contract in ``core/cards.py``)."""
