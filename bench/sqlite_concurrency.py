"""Many people submitting page 1 of the wizard at once, on `make run`'s SQLite database.

    .venv/bin/python -m bench.sqlite_concurrency --clients 45 [--plain] [--json]

Runs in a fresh temporary directory with the development settings (`make run`'s: a SQLite file
in the working directory), migrates, then starts CLIENTS threads, each with its own Django test
client and client address. Each opens the wizard, waits at a barrier, and all post page 1 with
a new synthetic identity at the same moment. Prints how the posts were answered.

--plain drops the SQLite OPTIONS of settings/base.py (WAL, busy timeout, BEGIN IMMEDIATE) to
show what they are for. tests/test_sqlite_concurrency.py runs this and requires no 500.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from pathlib import Path

FLOW_TAG = re.compile(r'name="flow" value="([^"]+)"')


def identity(rng: random.Random, n: int) -> dict[str, str]:
    # Synthetic: area 100-665 (never 000, 666 or 9xx), group and serial never zero.
    ssn = f"{rng.randint(100, 665):03d}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"
    return {
        "first_name": rng.choice(["Avery", "Jordan", "Morgan", "Riley", "Quinn"]),
        "last_name": f"Tester{chr(ord('a') + n % 26)}{chr(ord('a') + n // 26 % 26)}",
        "dob_month": str(rng.randint(1, 12)),
        "dob_day": str(rng.randint(1, 28)),
        "dob_year": str(rng.randint(1950, 2000)),
        "ssn": ssn,
    }


def run(clients: int, *, plain: bool, seed: int = 4545) -> tuple[Counter[str], float]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.signals import got_request_exception
    from django.test import Client

    if plain:
        settings.DATABASES["default"]["OPTIONS"].clear()  # before the first connection is made
    call_command("migrate", verbosity=0)

    # One request handler for every client, as one server process has: each new Client would
    # otherwise load the middleware again (WhiteNoise indexes every static file, ~0.2 s).
    warm = Client(HTTP_HOST="127.0.0.1")
    warm.get("/healthz")
    rng = random.Random(seed)
    posts = [identity(rng, n) for n in range(clients)]
    barrier = threading.Barrier(clients)
    answers: Counter[str] = Counter()
    lock = threading.Lock()
    failures = threading.local()  # what made a 500, for the summary
    phases: dict[str, float] = {}

    def note_failure(sender: object, request: object = None, **kwargs: object) -> None:
        error = sys.exc_info()[1]
        failures.last = f"{type(error).__name__}: {error}"

    got_request_exception.connect(note_failure, weak=False)

    def one(n: int) -> None:
        from django.db import connection

        address = f"10.45.{n // 250}.{n % 250 + 1}"  # its own, so no address throttle trips
        client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1", REMOTE_ADDR=address)
        client.handler = warm.handler
        try:
            page = client.get("/register/identity/")  # starts the flow and shows page 1
            match = FLOW_TAG.search(page.content.decode())
            tag = match.group(1) if match else ""
            if barrier.wait() == 0:
                phases["posting"] = time.perf_counter()
            failures.last = ""
            response = client.post("/register/identity/", {"flow": tag, **posts[n]})
            outcome = str(response.status_code) + (f" ({failures.last})" if failures.last else "")
            if page.status_code != 200 or not match:
                outcome = f"page 1 not shown ({page.status_code})"
        except threading.BrokenBarrierError:
            outcome = "barrier broken"
        except Exception as exc:  # noqa: BLE001 - counted and printed, never hidden
            outcome = f"{type(exc).__name__}: {exc}"
            barrier.abort()
        finally:
            connection.close()
        with lock:
            answers[outcome] += 1

    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    started = time.perf_counter()  # only if every client fails before the barrier
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - phases.get("posting", started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=45)
    parser.add_argument("--plain", action="store_true", help="without the SQLite OPTIONS")
    parser.add_argument("--json", action="store_true", help="print the answers as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edgate-sqlite-") as work:
        # The development settings put the database (and their keys) in the working directory.
        os.chdir(work)
        os.environ.pop("DATABASE_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "edgate.settings.dev"
        logging.disable(logging.ERROR)  # each 500's traceback; the summary names the error
        warnings.filterwarnings("ignore", "No directory at", UserWarning)  # nothing collected here
        answers, seconds = run(args.clients, plain=args.plain)
        assert Path("edgate.sqlite3").exists()
    if args.json:
        print(json.dumps({"answers": dict(answers), "seconds": round(seconds, 1)}))
        return
    label = "without the SQLite OPTIONS" if args.plain else "with WAL, busy timeout, BEGIN IMMEDIATE"
    print(f"{args.clients} page-1 posts at once, {label} (all answered in {seconds:.1f} s):")
    for outcome, count in answers.most_common():
        print(f"  {count:3d} × {outcome}")


if __name__ == "__main__":
    main()
