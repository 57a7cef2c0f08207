"""CPU time of one sign-in, beside the Argon2id verify it contains.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edgate_signin_bench \\
    REDIS_URL=redis://127.0.0.1:6379/5 \\
    .venv/bin/python -m bench.signin_cpu [--rounds 200] [--profile 40]

Give it a database of its own: it migrates it and adds one synthetic Profile (with REDIS_URL,
the Redis database's throttle counters and sessions are used as in production). It signs in
ROUNDS times through Django's test client, in this one process, with the whole middleware
stack: GET /login/ and the sign-out after each sign-in are not counted; the POST /login/ with
the right password is (CPU time of this process: time.process_time). The Argon2id verify is
measured alone, in the same process, just before. Prints the medians and "the rest": what a
sign-in costs beyond the hash (the test client's own work included, about 0.3 ms), the SQL
statements and Redis round trips of one sign-in, then the same for a signed-in page (My
applications) requested ROUNDS times by one session.

--profile N: afterwards, cProfile over N more sign-ins; prints the functions with the most
time of their own, and the cumulative time of the parts of a sign-in (hash excluded).

Informational only; nothing asserts these figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import time

PASSWORD = "bench only: quiet meadow lantern"  # noqa: S105 - synthetic, for this bench only


def setup() -> tuple[object, str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgate.settings.test")
    import django

    django.setup()
    from datetime import date

    from django.core.management import call_command

    from edgate.accounts import actions as account_actions
    from edgate.accounts import hints
    from edgate.accounts.models import Profile
    from edgate.core.context import Ctx
    from edgate.people.actions import PersonData, do_create_person

    call_command("migrate", verbosity=0)
    ctx = Ctx(client_ip="198.51.100.10", actor_label="bench")
    existing = Profile.objects.filter(person__last_name="Signinbench").first()
    if existing is None:
        person = do_create_person(
            data=PersonData(
                first_name="Bench",
                last_name="Signinbench",
                date_of_birth=date(1980, 1, 2),
                ssn="123-45-6789",
            ),
            source="bench",
            ctx=ctx,
        )
        existing = account_actions.do_create_profile(
            person=person,
            password_hash=account_actions.hash_password(PASSWORD),
            hint_question=str(hints.SUGGESTED_QUESTIONS[0]),
            hint_answer_hash=hints.hash_answer("bench answer"),
            ctx=ctx,
        )
    return existing, existing.password


def count_round_trips():  # type: ignore[no-untyped-def]
    """Counters of SQL statements and Redis round trips: (`trips`, the execute wrapper to pass to
    `connection.execute_wrapper`). Redis commands are counted from now on, in this process."""
    import redis.connection

    trips = {"sql": 0, "redis": 0}

    def count_sql(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        trips["sql"] += 1
        return execute(sql, params, many, context)

    send = redis.connection.AbstractConnection.send_packed_command

    def count_redis(self, command, check_health=True):  # type: ignore[no-untyped-def]
        trips["redis"] += 1
        return send(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = count_redis  # type: ignore[method-assign]
    return trips, count_sql


def cpu_ms(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        out.append((time.process_time() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--profile-get", action="store_true", help="profile GET /login/, not the POST")
    parser.add_argument("--profile-out", default="", metavar="FILE", help="also write the pstats data here")
    args = parser.parse_args()
    profile, stored_hash = setup()
    from django.contrib.auth.hashers import check_password
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.20")
    login, logout = "/login/", "/logout/"
    data = {"username": profile.username, "password": PASSWORD}  # type: ignore[attr-defined]

    from django.db import connection

    trips, count_sql = count_round_trips()

    def timed(request, expected: int = 200) -> float:  # type: ignore[no-untyped-def]
        """CPU ms of one request; its SQL statements and Redis round trips counted in `trips`."""
        trips.update(sql=0, redis=0)
        start = time.process_time()
        with connection.execute_wrapper(count_sql):
            status = request().status_code
        spent = (time.process_time() - start) * 1000
        assert status == expected, status
        return spent

    def one_sign_in() -> float:
        client.get(login)
        spent = timed(lambda: client.post(login, data), 302)
        client.post(logout)
        return spent

    for _ in range(10):  # warm: imports, templates, connections
        one_sign_in()
        check_password(PASSWORD, stored_hash)
    # In pairs, a verify just before each sign-in, so that the machine's other load weighs
    # on both alike; "the rest" is the median of the pairs' differences.
    verify, sign_in = [], []
    for _ in range(args.rounds):
        verify += cpu_ms(lambda: check_password(PASSWORD, stored_hash), 1)
        sign_in.append(one_sign_in())
    rest = statistics.median(s - v for s, v in zip(sign_in, verify, strict=True))
    v, s = statistics.median(verify), statistics.median(sign_in)
    from django.conf import settings

    import edgate

    print(f"code {os.path.dirname(edgate.__file__)}  rounds {args.rounds}")
    print(f"sessions {settings.SESSION_ENGINE}  throttles {'Redis' if settings.REDIS_URL else 'database'}")
    print(f"{'Argon2id verify, CPU ms (median)':44} {v:8.2f}")
    p90 = statistics.quantiles(sign_in, n=10)[-1]
    print(f"{'sign-in POST, CPU ms (median)':44} {s:8.2f}   p90 {p90:.2f}")
    print(f"{'the rest (sign-in minus verify), CPU ms':44} {rest:8.2f}")
    print(f"{'per sign-in: SQL statements, Redis round trips':44} {trips['sql']:5d} {trips['redis']:5d}")

    # The sign-in page itself, anonymous (no session, no cookies), as every sign-in of the load
    # benchmark asks for it first. (One client, cookies forgotten: a new Client would load the
    # middleware again, static file index included.)
    fresh = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.21")
    gets = []
    for _ in range(args.rounds):
        fresh.cookies.clear()
        gets.append(timed(lambda: fresh.get(login)))
    print(f"{'GET /login/ (anonymous), CPU ms (median)':44} {statistics.median(gets):8.2f}")
    print(f"{'per GET /login/: SQL statements, Redis trips':44} {trips['sql']:5d} {trips['redis']:5d}")

    # A signed-in page (My applications), requested again and again by one session.
    client.get(login)
    client.post(login, data)
    page = reverse("directory:applications")
    pages = [timed(lambda: client.get(page)) for _ in range(args.rounds)]
    print(f"{'My applications, CPU ms (median)':44} {statistics.median(pages):8.2f}")
    print(f"{'per page: SQL statements, Redis round trips':44} {trips['sql']:5d} {trips['redis']:5d}")
    client.post(logout)

    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU time, not waits on the database
        for _ in range(args.profile):
            if args.profile_get:
                fresh.cookies.clear()
                profiler.enable()
                fresh.get(login)
                profiler.disable()
                continue
            client.get(login)
            profiler.enable()
            client.post(login, data)
            profiler.disable()
            client.post(logout)
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(60)
        print(out.getvalue())


if __name__ == "__main__":
    main()
