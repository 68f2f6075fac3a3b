"""Signals about venue bookings, for features above this one (messages). Sent inside the caller's
transaction; receivers join it (they never commit).

- ``booking_requested``: ``booking`` waiting for a manager's decision, ``actor``;
- ``booking_decided``: ``booking`` (status approved, rejected or cancelled), ``reason``, ``actor``.
"""

from blinker import Namespace

_signals = Namespace()
booking_requested = _signals.signal("booking-requested")
booking_decided = _signals.signal("booking-decided")
