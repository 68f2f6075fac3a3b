"""Signals about classes, for features above this one (messages). Sent inside the caller's
transaction; receivers join it (they never commit).

- ``certificate_issued``: ``certificate``, ``base_url`` (for its verification link), ``actor``.
"""

from blinker import Namespace

_signals = Namespace()
certificate_issued = _signals.signal("certificate-issued")
