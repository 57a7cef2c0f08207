"""CPU time of the cheap pages of the load benchmark, one process, Django's test client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edgate_perf \\
    REDIS_URL=redis://127.0.0.1:6379/13 \\
    .venv/bin/python -m bench.page_cpu [--rounds 200] [--profile PAGE --profile-rounds 150]

The pages the load benchmark's PageUser asks for in turn (bench/load/locustfile.py): GET
/login/ and GET /register/identity/ (page 1 of the wizard) anonymous, each with its cookies
forgotten as a new visitor's, and My applications signed in. Each is requested ROUNDS times
after 20 warm-up requests; printed: the median CPU ms (time.process_time of this process,
the test client's own work included), its mean, p90, and the SQL statements and Redis round trips of
one request, and the rows one request wrote (flows, sessions).

Run it on two builds one after the other to compare them (PYTHONPATH=<build>/src:$PWD):
the machine's other load moves the figures by a few tenths of a ms between runs.

--profile login|register|applications: afterwards, cProfile (CPU time) over that page.

The "GC ms" column is the CPU the cyclic garbage collector took per request (gc.callbacks),
and "full" how many full (oldest-generation) collections ran in all; --gc-freeze moves what
is alive after the warm-up out of the collector's generations first (gc.freeze), as
`edgate serve` does in each worker once the application is loaded (gunicorn_conf.py).

Informational only; nothing asserts these figures.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import time

from bench.signin_cpu import PASSWORD, count_round_trips, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--profile", choices=["login", "register", "applications"], default="")
    parser.add_argument("--profile-rounds", type=int, default=150)
    parser.add_argument(
        "--secure", action="store_true", help="over HTTPS (DJANGO_SETTINGS_MODULE=edgate.settings.production)"
    )
    parser.add_argument("--profile-out", default="", metavar="FILE", help="also write the pstats data here")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after the warm-up")
    args = parser.parse_args()
    # Every GET of page 1 is a new visitor from one address: the per-address limit on new
    # flows is raised for this process (as bench.load raises it for its nodes).
    os.environ.setdefault("EDGATE_THROTTLE_FLOW_START_ADDRESS", "1000000/3600")
    profile, _hash = setup()
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test import Client

    import edgate
    from edgate.core.models import Flow

    trips, count_sql = count_round_trips()

    anonymous = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.30")
    signed_in = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.31")
    # (DJANGO_SETTINGS_MODULE=edgate.settings.production: its environment as bench/load/cluster.py
    # sets it, the static files collected into EDGATE_STATIC_ROOT, and --secure.)
    https = {"secure": True} if args.secure else {}
    response = signed_in.post("/login/", {"username": profile.username, "password": PASSWORD}, **https)  # type: ignore[attr-defined]
    assert response.status_code == 302, response.status_code

    def fresh(path: str):  # type: ignore[no-untyped-def]
        def get():  # type: ignore[no-untyped-def]
            anonymous.cookies.clear()
            return anonymous.get(path, **https)

        return get

    pages = {
        "login": ("GET /login/ (anonymous)", fresh("/login/")),
        "register": ("GET /register/identity/ (anonymous)", fresh("/register/identity/")),
        "applications": ("GET /applications/ (signed in)", lambda: signed_in.get("/applications/", **https)),
    }

    def rows() -> tuple[int, int]:
        return Flow.objects.count(), Session.objects.count()

    collector = {"cpu": 0.0, "full": 0, "start": 0.0}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collector["start"] = time.process_time()
        else:
            collector["cpu"] += time.process_time() - collector["start"]
            collector["full"] += info["generation"] == 2

    gc.callbacks.append(on_gc)

    def timed(request) -> float:  # type: ignore[no-untyped-def]
        trips.update(sql=0, redis=0)
        start = time.process_time()
        with connection.execute_wrapper(count_sql):
            status = request().status_code
        spent = (time.process_time() - start) * 1000
        assert status == 200, status
        return spent

    print(f"code {os.path.dirname(edgate.__file__)}  rounds {args.rounds}")
    print(f"sessions {settings.SESSION_ENGINE}  throttles {'Redis' if settings.REDIS_URL else 'database'}")
    for _label, get in pages.values():
        for _ in range(20):
            timed(get)
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    print(f"objects tracked by the collector {len(gc.get_objects())}, frozen {gc.get_freeze_count()}")
    print(
        f"{'page':40} {'CPU ms':>7} {'mean':>7} {'p90':>7} {'SQL':>4} {'Redis':>5} {'flows+':>6} "
        f"{'sessions+':>9} {'GC ms':>6} {'full':>4}"
    )
    for label, get in pages.values():
        flows, sessions = rows()
        collector.update(cpu=0.0, full=0)
        spent = [timed(get) for _ in range(args.rounds)]
        sql, red = trips["sql"], trips["redis"]
        flows_after, sessions_after = rows()
        p90 = statistics.quantiles(spent, n=10)[-1]
        print(
            f"{label:40} {statistics.median(spent):7.2f} {statistics.mean(spent):7.2f} {p90:7.2f} "
            f"{sql:4d} {red:5d} "
            f"{(flows_after - flows) / args.rounds:6.2f} {(sessions_after - sessions) / args.rounds:9.2f} "
            f"{1000 * collector['cpu'] / args.rounds:6.3f} {collector['full']:4d}"
        )

    if args.profile:
        _label, get = pages[args.profile]
        profiler = cProfile.Profile(time.process_time)
        for _ in range(args.profile_rounds):
            profiler.enable()
            get()
            profiler.disable()
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(70)
        print(out.getvalue())


if __name__ == "__main__":
    main()
