"""Signals other features send about events, so that siblings need not import each other.

``ticket_admitted``: a registration's ticket was accepted at an event (the event itself or one of
its children: a bridge point, a class session). Sent by check-in inside the request's transaction;
receivers join it (they never commit). Keyword arguments: ``registration_id``, ``event_id``, ``at``
(when the person arrived, UTC), ``actor`` (the steward, or None). Each receiver also says, with
``admission_effect``, at which events it acts at all: where none would, the check-in fast lane stores an
admission in one autocommitted statement and sends no signal (``admission_has_effects``). A receiver
that says nothing is assumed to act everywhere.

``person_anonymised``: a person's personal data was removed (events.services.anonymise_person), in
the request's transaction. Receivers remove what they keep of that person (courses: the name on
certificates and their PDFs). Keyword arguments: ``person_id``, ``registration_ids``, ``texts`` (the
name and phone forms to forget, see core.privacy), ``actor``.
``registration_confirmed``: a registration became confirmed (registered with a place left, promoted
from the waiting list, imported, or confirmed by an organiser). ``registration_released``: a
confirmed registration stopped being confirmed (``reason``: "cancelled" or "waitlisted"). Both are
sent by the events services inside the caller's transaction, keyword arguments ``registration``
(the Registration) and ``actor`` (or None); check-in issues and revokes tickets on them, so a live
ticket exists exactly for each confirmed registration.
The registration and event signals below are sent by the event services inside the caller's
transaction, so that what a receiver writes (e.g. an outbox message) commits or rolls back with the
change itself:

- ``registration_created``: ``registration``, ``token`` (the private link's secret, known only now),
  ``actor``;
- ``registration_promoted``: ``registration`` moved from the waiting list to confirmed, ``actor``;
- ``event_changed``: ``event`` and ``changes`` ({field: [old, new]}) of fields attendees notice;
- ``event_cancelled``: ``event``, ``reason``;
- ``group_registered``: several people registered by a contact on their behalf: ``group`` (the
  RegistrationGroup, holding the contact's phone), ``token`` (the group page's secret), ``actor``.
"""

from blinker import Namespace

_signals = Namespace()
ticket_admitted = _signals.signal("ticket-admitted")
person_anonymised = _signals.signal("person-anonymised")
registration_confirmed = _signals.signal("registration-confirmed")
registration_released = _signals.signal("registration-released")
registration_created = _signals.signal("registration-created")
registration_promoted = _signals.signal("registration-promoted")
event_changed = _signals.signal("event-changed")
event_cancelled = _signals.signal("event-cancelled")
group_registered = _signals.signal("group-registered")

_effects: dict[object, object] = {}


def admission_effect(receiver):
    """Declare where a ``ticket_admitted`` receiver acts: ``@admission_effect(receiver)`` on a function
    ``(event) -> bool``, true when an admission at that event may make the receiver write something. It
    must read only columns the check-in fast lane's statement re-checks (the event's kind, parent and
    place) or ones that never change back (``connected_at``, once set)."""
    def register(check):
        _effects[receiver] = check
        return check
    return register


def admission_has_effects(event) -> bool:
    """Whether any ``ticket_admitted`` receiver may act on an admission at ``event`` (a receiver
    without a declared check: yes)."""
    for receiver in ticket_admitted.receivers_for("checkin"):
        check = _effects.get(receiver)
        if check is None or check(event):
            return True
    return False


@ticket_admitted.connect
def _connect_bridge_point(sender, *, registration_id: int, event_id: int, at, actor=None, **_kw) -> None:
    """The first admission at a bridge point on the day marks it connected (as the host can)."""
    from campaign.events.models import Event
    from campaign.events.services import mark_bridge_connected
    from campaign.extensions import db

    event = db.session.get(Event, event_id)
    if event is not None and event.kind == "bridge_point" and event.connected_at is None:
        mark_bridge_connected(actor, event)


@admission_effect(_connect_bridge_point)
def _bridge_point_unconnected(event) -> bool:
    return event.kind == "bridge_point" and event.connected_at is None
