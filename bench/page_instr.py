"""Instructions per request of the cheap pages and of a sign-in, counted by callgrind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/edgate_perf \\
    REDIS_URL=redis://127.0.0.1:6379/11 \\
    valgrind --tool=callgrind --collect-atstart=no \\
        .venv/bin/python -m bench.page_instr [--requests 20] [--only login,register,...]

CPU time moves with the machine's other load; the number of instructions a request executes
does not (give or take a few hundredths of a percent: dictionary orders, the clock). Under
valgrind this process turns callgrind's collection on around each page's REQUESTS requests
only (a client request through a tiny C library compiled here with `cc` from valgrind's
callgrind.h), after 10 warm-up requests of every page, and prints each page's instructions
per request (callgrind's own count, read back from the dump it writes per request into the
working folder, `callgrind.out.PID.N`: `callgrind_annotate` on one gives the functions; run it
from a scratch folder). Outside valgrind it runs the same
requests and prints nothing but the pages' names.

Pages: GET /login/ and GET /register/identity/ as new visitors (cookies forgotten), My
applications signed in, and the sign-in POST with the right password (its GET /login/ and the
sign-out after it not counted). The Argon2id hash runs in a thread of its own (core/hashers.py
run_hash) and callgrind collects per thread, so "signin" counts the request's own work beside
the hash; "verify" (a `check_password` alone: the hand-over to that thread and the wait) shows
how little of the hash is left in it.

Compare two builds one after the other (PYTHONPATH=<build>/src:$PWD). Informational only.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import subprocess
import tempfile

from bench.signin_cpu import PASSWORD, setup

_C = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; CALLGRIND_TOGGLE_COLLECT; }
void cg_stop(const char *label) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS_AT(label); }
int cg_running(void) { return RUNNING_ON_VALGRIND; }
"""


def _library() -> ctypes.CDLL:
    folder = tempfile.mkdtemp(prefix="edgate-cg-")
    source, library = os.path.join(folder, "cg.c"), os.path.join(folder, "cg.so")
    with open(source, "w") as out:
        out.write(_C)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", library, source], check=True)  # noqa: S603, S607
    return ctypes.CDLL(library)


def _instructions(label: str) -> int | None:
    """Ir of the newest dump of this process whose "desc: Trigger: Client Request: LABEL"."""
    pid = os.getpid()
    dumps = glob.glob(f"callgrind.out.{pid}*")  # valgrind's own names, in the working folder
    for path in sorted(dumps, key=os.path.getmtime, reverse=True):
        with open(path, "rb") as dump:
            head = dump.read(2048).decode(errors="replace")
            dump.seek(max(0, os.path.getsize(path) - 2048))
            tail = dump.read().decode(errors="replace")
        if f"Client Request: {label}" not in head:
            continue
        for line in (head + "\n" + tail).splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", default="login,register,applications,verify,signin")
    args = parser.parse_args()
    os.environ.setdefault("EDGATE_THROTTLE_FLOW_START_ADDRESS", "1000000/3600")
    profile, stored_hash = setup()
    from django.contrib.auth.hashers import check_password
    from django.test import Client

    cg = _library()
    cg.cg_stop.argtypes = [ctypes.c_char_p]
    anonymous = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.40")
    signed_in = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.41")
    signer = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.42")
    data = {"username": profile.username, "password": PASSWORD}  # type: ignore[attr-defined]
    assert signed_in.post("/login/", data).status_code == 302

    def fresh(path: str):  # type: ignore[no-untyped-def]
        def get() -> None:
            anonymous.cookies.clear()
            assert anonymous.get(path).status_code == 200

        return get

    def sign_in() -> None:
        assert signer.post("/login/", data).status_code == 302

    def before_sign_in() -> None:
        signer.post("/logout/")
        signer.get("/login/")

    pages = {
        "login": (fresh("/login/"), None),
        "register": (fresh("/register/identity/"), None),
        "applications": (lambda: signed_in.get("/applications/"), None),
        "verify": (lambda: check_password(PASSWORD, stored_hash), None),
        "signin": (sign_in, before_sign_in),
    }
    chosen = [name for name in args.only.split(",") if name]
    for name in chosen:
        run, before = pages[name]
        for _ in range(10):
            if before:
                before()
            run()
    running = cg.cg_running()
    results = {}
    for name in chosen:
        run, before = pages[name]
        for _ in range(args.requests):
            if before:
                before()
            cg.cg_start()
            run()
            cg.cg_stop(name.encode())
            if running:
                results.setdefault(name, []).append(_instructions(name))
    if not running:
        print("not under valgrind: nothing counted;", ", ".join(chosen))
        return
    print(f"instructions per request (callgrind Ir), {args.requests} requests each: min / median")
    for name, counts in results.items():
        known = sorted(c for c in counts if c is not None)
        print(f"{name:14} {known[0]:>14,} {known[len(known) // 2]:>14,}")


if __name__ == "__main__":
    main()
