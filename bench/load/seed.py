"""Helpers run with the served portal's settings and keys (bench/load/cluster.py `python`).

    python -m bench.load.seed accounts N      # N synthetic Profiles; prints their User Names
    python -m bench.load.seed argon2 [ROUNDS] # CPU seconds per verify with the configured hasher

Accounts go through the project's own actions (do_create_person, do_create_profile), one
audited transaction each; they share one password hash (hashing N times would only take time).
The people are synthetic ("Load Bench<letters>", made-up SSNs, a password made for the run)
and live only in the run's throwaway database.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date

PASSWORD = "load bench: amber quarry lantern"  # noqa: S105 - synthetic accounts of a throwaway database


def letters(n: int, width: int = 4) -> str:
    out = ""
    for _ in range(width):
        n, r = divmod(n, 26)
        out = chr(ord("a") + r) + out
    return out


def accounts(count: int) -> list[str]:
    from edgate.accounts import actions, hints
    from edgate.core.context import Ctx
    from edgate.people.actions import PersonData, do_create_person

    ctx = Ctx.system("bench.load")
    password_hash = actions.hash_password(PASSWORD)
    answer_hash = hints.hash_answer("load bench answer")
    names = []
    for n in range(count):
        person = do_create_person(
            data=PersonData(
                first_name="Load",
                last_name=f"Bench{letters(n).capitalize()}",
                date_of_birth=date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                ssn=f"{100 + n % 500:03d}{10 + n // 500 % 90:02d}{1000 + n // 45000:04d}",
            ),
            source="bench",
            ctx=ctx,
        )
        profile = actions.do_create_profile(
            person=person,
            password_hash=password_hash,
            hint_question="Load bench?",
            hint_answer_hash=answer_hash,
            ctx=ctx,
        )
        names.append(profile.username)
    return names


def argon2(rounds: int) -> dict[str, object]:
    """CPU time of one verify (time.process_time: this process only, whatever else runs)."""
    from django.contrib.auth.hashers import check_password, get_hasher, make_password

    encoded = make_password(PASSWORD)
    check_password(PASSWORD, encoded)  # warm
    times = []
    for _ in range(rounds):
        start = time.process_time()
        assert check_password(PASSWORD, encoded)
        times.append(time.process_time() - start)
    hasher = get_hasher()
    params = {k: getattr(hasher, k, None) for k in ("time_cost", "memory_cost", "parallelism")}
    return {
        "verify_cpu_s": statistics.median(times),
        "rounds": rounds,
        "params": params,
        "verify_cpu_s_all_cores": _verify_on_every_core(encoded, rounds),
    }


def _verify_on_every_core(encoded: str, rounds: int) -> float:
    """The median CPU time of one verify while every core verifies at once (one process per
    core, started together): what a hash costs when hashes are all the machine does, as the
    bound supposes. Argon2 with 46 MiB per hash is limited by memory bandwidth and cache, so
    hashes side by side each cost more CPU than one alone. Informational beside the bound."""
    import multiprocessing
    import os

    cores = os.cpu_count() or 1
    context = multiprocessing.get_context("fork")
    with context.Pool(cores) as pool:
        per_process = pool.starmap(_verify_times, [(encoded, rounds)] * cores)
    return statistics.median(t for times in per_process for t in times)


def _verify_times(encoded: str, rounds: int) -> list[float]:
    from django.contrib.auth.hashers import check_password

    times = []
    for _ in range(rounds):
        start = time.process_time()
        assert check_password(PASSWORD, encoded)
        times.append(time.process_time() - start)
    return times


def main() -> None:
    import django

    django.setup()
    what = sys.argv[1]
    if what == "accounts":
        print(json.dumps({"usernames": accounts(int(sys.argv[2])), "password": PASSWORD}))
    elif what == "argon2":
        print(json.dumps(argon2(int(sys.argv[2]) if len(sys.argv) > 2 else 15)))
    else:
        raise SystemExit(f"unknown: {what}")


if __name__ == "__main__":
    main()
