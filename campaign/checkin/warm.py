"""The check-in part of a worker's warm-up (core.warmup): the signing keys in memory, so that the
first scan's signature is verified without a query, and the one read of the full scan path
(services.scan_facts, by ticket token and by short code) built and run once, on an event that
cannot exist: a steward's first scan at a new worker does not wait for it to be compiled."""

import uuid

from campaign.checkin import services


def warm() -> None:
    services.key_cache().warm()
    for scan in (services.Scan(uuid=str(uuid.uuid4()), event_id=0, ticket_token="0" * 20),
                 services.Scan(uuid=str(uuid.uuid4()), event_id=0, code="0000-0000")):
        services.scan_facts(scan)
