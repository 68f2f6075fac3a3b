"""At most once, with real processes: concurrent claims, and a worker killed mid-send."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from datetime import timedelta

import pytest

from campaign.extensions import db
from campaign.messages import outbox
from tests.concurrency import race
from tests.messages.helpers import make_event, messages, register


def claim_some(limit: int) -> list[int]:
    return outbox.claim(limit)


def test_two_processes_claiming_at_once_take_disjoint_rows(app):
    event = make_event()
    for i in range(12):
        register(event, name=f"N{i}", phone=f"0912345{i:03d}")
    results = race("tests.messages.test_concurrency:claim_some", [(5,), (5,), (5,)],
                   app.config["SQLALCHEMY_DATABASE_URI"])
    claimed = [i for r in results for i in r]
    assert len(claimed) == len(set(claimed)) == 12


def _deliver_in_process(db_url: str, config: dict) -> None:
    from campaign import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True, "SECRET_KEY": "test-secret-key",
                      **config})
    with app.app_context():
        outbox.deliver_due()


def _start_worker(app, config: dict):
    ctx = mp.get_context("spawn")
    proc = ctx.Process(target=_deliver_in_process, args=(app.config["SQLALCHEMY_DATABASE_URI"], config))
    proc.start()
    return proc


def _kill_while(proc, holding: threading.Event) -> None:
    assert holding.wait(60), "the worker never reached the provider"
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)


@pytest.mark.postgres
def test_a_worker_killed_mid_smtp_send_leads_to_exactly_one_delivery(app, mailbox, is_postgres):
    if not is_postgres:
        pytest.skip("real worker processes against PostgreSQL")
    event = make_event()
    register(event, email="hoa@example.vn")
    mailbox.hold = threading.Event()
    proc = _start_worker(app, {"MESSAGES_SMTP_URL": app.config["MESSAGES_SMTP_URL"],
                               "MESSAGES_BASE_URL": "http://campaign.test/"})
    _kill_while(proc, mailbox.holding)
    mailbox.hold.set()  # the server refuses the half-sent message: its client is gone
    mailbox.hold = None
    [row] = messages()
    assert (row.status, row.attempts) == ("sending", 1)
    assert outbox.deliver_due() == {}  # the dead worker's lease still holds
    assert outbox.deliver_due(now=row.lease_until + timedelta(seconds=1))["sent"] == 1
    assert len(mailbox.wait_for(1)) == 1
    [row] = messages()
    assert (row.status, row.attempts) == ("sent", 2)
    assert outbox.deliver_due(now=row.due_at + timedelta(hours=1)) == {}


@pytest.mark.postgres
def test_a_worker_killed_after_the_gateway_accepted_leads_to_exactly_one_sms(app, gateway, is_postgres):
    if not is_postgres:
        pytest.skip("real worker processes against PostgreSQL")
    config = {"MESSAGES_SMS_URL": gateway.url, "MESSAGES_SMS_API_KEY": "k", "MESSAGES_BASE_URL": "http://campaign.test/"}
    app.config.update(config)
    event = make_event()
    register(event, phone="0912345678")
    gateway.hold = threading.Event()
    proc = _start_worker(app, config)
    _kill_while(proc, gateway.holding)
    gateway.hold.set()
    gateway.hold = None
    [row] = messages()
    assert row.status == "sending"
    assert outbox.deliver_due(now=row.lease_until + timedelta(seconds=1))["sent"] == 1
    assert len(gateway.requests) == 2  # sent twice with the same request id ...
    assert len(gateway.delivered) == 1  # ... delivered once
    assert gateway.requests[0]["body"]["request_id"] == gateway.requests[1]["body"]["request_id"] == row.key
    db.session.expire_all()
    assert messages()[0].status == "sent"
