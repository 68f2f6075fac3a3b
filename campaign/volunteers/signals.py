"""Signals about volunteers and shifts, for features above this one (messages), so that volunteers
imports none of them. Sent inside the caller's transaction; receivers join it (they never commit).

- ``volunteer_approved``: ``profile``, ``actor``;
- ``shift_changed``: ``shift``, ``changes`` ({field: [old, new]}), ``actor``;
- ``shift_cancelled``: ``shift`` (still loaded, about to be deleted), ``signups`` (the active ones), ``actor``;
- ``signup_promoted``: ``signup`` confirmed from the waiting list, ``actor``.
"""

from blinker import Namespace

_signals = Namespace()
volunteer_approved = _signals.signal("volunteer-approved")
shift_changed = _signals.signal("shift-changed")
shift_cancelled = _signals.signal("shift-cancelled")
signup_promoted = _signals.signal("signup-promoted")
