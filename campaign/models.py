"""Imports every feature's models so that SQLAlchemy and Alembic see the whole schema."""

import importlib

from campaign.features import FEATURES

for _feature in FEATURES:
    try:
        importlib.import_module(f"campaign.{_feature}.models")
    except ModuleNotFoundError as exc:
        if exc.name != f"campaign.{_feature}.models":
            raise
