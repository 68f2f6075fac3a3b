"""Run the test suite's legs: SQLite, PostgreSQL and the browser.

A leg whose prerequisites are missing is skipped and reported. With REQUIRE_ALL_LEGS=1 (set by
.ci/run) a skipped leg fails the run. Extra arguments are passed to every pytest call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"


def browser_available() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if not os.path.exists("static/vendor/axe-core/axe.min.js"):
        return "front-end assets not built (make assets)"
    return None


def main(argv: list[str]) -> int:
    legs = [
        ("sqlite", lambda: None, {"TEST_DATABASE_URL": ""}, ["-m", "not e2e"]),
        ("postgres", postgres_available, {"TEST_DATABASE_URL": PG_URL}, ["-m", "not e2e"]),
        ("browser", browser_available, {"TEST_DATABASE_URL": ""}, ["-m", "e2e"]),
    ]
    only = os.environ.get("LEGS")
    results: list[tuple[str, str]] = []
    for name, check, env, args in legs:
        if only and name not in only.split(","):
            results.append((name, "not selected"))
            continue
        reason = check()
        if reason:
            results.append((name, f"SKIPPED: {reason}"))
            continue
        print(f"\n===== leg: {name} =====", flush=True)
        leg_env = dict(os.environ, **env)
        if not leg_env["TEST_DATABASE_URL"]:
            del leg_env["TEST_DATABASE_URL"]
        code = subprocess.call([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, *argv], env=leg_env)
        results.append((name, "passed" if code == 0 else f"FAILED (pytest exit {code})"))

    print("\n===== legs =====")
    for name, outcome in results:
        print(f"  {name:<9} {outcome}")
    failed = [n for n, o in results if o.startswith("FAILED")]
    skipped = [n for n, o in results if o.startswith("SKIPPED")]
    if failed:
        return 1
    if skipped and os.environ.get("REQUIRE_ALL_LEGS") == "1":
        print(f"REQUIRE_ALL_LEGS=1 and these legs did not run: {', '.join(skipped)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
