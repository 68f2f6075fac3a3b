"""The scheduler process of the production shape (`make prod`, deploy/compose.yaml): the periodic
maintenance the app needs, at fixed intervals, in its own app context. Today: purge finished
background jobs (and their files) older than a week, every six hours. Stops cleanly on SIGTERM."""

from __future__ import annotations

import logging
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("campaign.scheduler")
EVERY = 6 * 3600
stopping = False


def _stop(*_a) -> None:
    global stopping
    stopping = True


def purge_jobs() -> None:
    from campaign.extensions import db
    from campaign.jobs import services

    removed = services.purge(services.KEEP_DAYS)
    db.session.commit()
    log.info("jobs purged: %s", removed)


def main() -> None:
    from campaign import create_app

    logging.basicConfig(level=logging.INFO)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    app = create_app()
    next_run = 0.0
    while not stopping:
        if time.monotonic() >= next_run:
            with app.app_context():
                try:
                    purge_jobs()
                except Exception:  # noqa: BLE001 - a failed round is logged, the next one runs
                    log.exception("scheduled purge failed")
            next_run = time.monotonic() + EVERY
        time.sleep(1)


if __name__ == "__main__":
    main()
