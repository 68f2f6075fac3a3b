"""Programmes run elsewhere (the online competition, national online courses): imported counts."""
