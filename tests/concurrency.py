"""Race several app processes against one database.

    results = race("tests.units.test_concurrency:add_village", [(26041, "Ấp 1")] * 8, db_url)

Each argument tuple runs in its own process (multiprocessing "spawn": a fresh interpreter, its own
app and connection pool, as with several gunicorn workers). The processes start the call together
behind a barrier. The target runs inside an app context and returns a picklable value; an
exception comes back as ``("error", "<ExceptionType>: message")``.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import traceback


def _worker(target: str, args: tuple, db_url: str, barrier, queue, index: int) -> None:
    try:
        from campaign import create_app
        from campaign.extensions import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True, "SECRET_KEY": "race"})
        module_name, func_name = target.split(":")
        func = getattr(importlib.import_module(module_name), func_name)
        with app.app_context():
            db.session.execute(db.text("SELECT 1"))  # connect before the start line
            barrier.wait(timeout=60)
            try:
                result = func(*args)
            except Exception as exc:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                result = ("error", f"{type(exc).__name__}: {exc}")
        queue.put((index, result))
    except Exception:  # noqa: BLE001
        queue.put((index, ("crash", traceback.format_exc())))


def race(target: str, args_list: list[tuple], db_url: str, timeout: float = 120) -> list:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(args_list))
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(target, args, db_url, barrier, queue, i))
             for i, args in enumerate(args_list)]
    for p in procs:
        p.start()
    results: list = [None] * len(procs)
    for _ in procs:
        index, result = queue.get(timeout=timeout)
        results[index] = result
    for p in procs:
        p.join(timeout=10)
    crashes = [r for r in results if isinstance(r, tuple) and r and r[0] == "crash"]
    assert not crashes, crashes[0][1]
    return results
