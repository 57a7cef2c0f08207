"""Where a served sign-in's worker CPU goes: the Argon2 verify itself, the requests around it,
the hand-off to the hash thread, the collector, the rest of the worker process.

    .venv/bin/python -m bench.served_signin [--seconds 20] [--passes 2] [--clients 8] \\
        [--variant NAME:ENV=VALUE,...]

Serves EdGate as `bench.load` does (bench/load/cluster.py: production settings, a fresh
PostgreSQL database, Redis database --redis-url EMPTIED, one `edgate serve` node with its
default workers and threads behind deploy's nginx over TLS) and runs `bench.load`'s sign-in
scenario (locust, --clients clients each signing in again and again: GET /login/, POST
/login/) for --seconds after a warm-up of 10 s, once per variant and pass (the variants
alternate, so they are compared under the same machine load).

A hook loaded into the node's processes (HOOK below, as sitecustomize on its own PYTHONPATH
entry; bench only, never in EdGate's code) adds up, in each worker:
- verify: the CPU of the hash thread inside the hash function (time.thread_time; and from
  getrusage(RUSAGE_THREAD), which lags by up to a scheduler tick, its system share, minor
  faults and context switches), and its wall time;
- hand-off: the request thread's CPU from handing the hash to the pool to getting the result;
- app: the request thread's CPU inside the WSGI application (Django, every middleware),
  GET and POST apart, the hash hand-off included;
- handle: gunicorn's handling of a request in its thread (app, access log, parsing, writing);
- gc: CPU inside the collector (gc.callbacks), by generation.
The driver reads every thread's CPU from /proc/PID/task/TID/stat before and after the run and
names it from the hook's map of thread ids (gunicorn's request threads, the hash threads, the
main thread, the database pool's, ...). Everything is divided by the successful sign-ins.

--variant NAME:ENV=VALUE,... (repeatable; "NAME:" is the branch's defaults): the node's
environment for that variant; CLIENTS=N is that variant's --clients. Informational only;
nothing asserts these figures.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path

from bench.load.__main__ import SIGN_IN, THROTTLES
from bench.load.cluster import Cluster, log
from bench.load.runner import run_locust
from bench.portal import server_options

HOOK = r"""
import gc, json, os, resource, threading, time

SUMS = {}
TICK = os.sysconf("SC_CLK_TCK")


def add(key, value):
    SUMS[key] = SUMS.get(key, 0.0) + value


def _usage():
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return (r.ru_utime, r.ru_stime, r.ru_minflt, r.ru_nvcsw, r.ru_nivcsw)


def _patch_gunicorn():
    from gunicorn.workers import base, gthread

    handle = gthread.ThreadWorker.handle

    def counted_handle(self, conn):
        start = time.thread_time()
        try:
            return handle(self, conn)
        finally:
            add("handle", time.thread_time() - start)
            add("requests", 1)

    gthread.ThreadWorker.handle = counted_handle
    load_wsgi = base.Worker.load_wsgi

    def timed_load_wsgi(self):
        load_wsgi(self)
        app = self.wsgi

        def timed_app(environ, start_response):
            start = time.thread_time()
            try:
                return app(environ, start_response)
            finally:
                add("app_" + environ.get("REQUEST_METHOD", "?"), time.thread_time() - start)
                add("n_" + environ.get("REQUEST_METHOD", "?"), 1)

        self.wsgi = timed_app
        _patch_hashers()

    base.Worker.load_wsgi = timed_load_wsgi


def _patch_hashers():
    from edgate.core import hashers

    run_hash = hashers.run_hash

    def timed_run_hash(function, *args):
        submitted = time.perf_counter()

        def inner(*a):
            started = time.perf_counter()
            before = _usage()
            cpu = time.thread_time()
            try:
                return function(*a)
            finally:
                add("v_cpu", time.thread_time() - cpu)
                after = _usage()
                for key, b, c in zip(("v_user", "v_sys", "v_minflt", "v_vcsw", "v_ivcsw"), before, after):
                    add(key, c - b)
                add("v_wall", time.perf_counter() - started)
                add("v_queue", started - submitted)
                add("v_count", 1)

        start = time.thread_time()
        try:
            return run_hash(inner, *args)
        finally:
            add("handoff", time.thread_time() - start)

    hashers.run_hash = timed_run_hash


_gc_start = {}


def _gc(phase, info):
    tid = threading.get_native_id()
    if phase == "start":
        _gc_start[tid] = time.thread_time()
    elif tid in _gc_start:
        add("gc%d" % info["generation"], time.thread_time() - _gc_start.pop(tid))
        add("gc%d_n" % info["generation"], 1)


def _dump():
    path = os.path.join(os.getcwd(), "hook-%d.json" % os.getpid())
    while True:
        names = {t.native_id: t.name for t in threading.enumerate() if t.native_id}
        # Python 3.11 keeps the parent's thread id as the main thread's after a fork.
        names[os.getpid()] = "MainThread"
        with open(path + ".tmp", "w") as f:
            json.dump({"sums": SUMS, "names": names}, f)
        os.replace(path + ".tmp", path)
        time.sleep(0.5)


def _in_worker():
    gc.callbacks.append(_gc)
    threading.Thread(target=_dump, name="bench-hook", daemon=True).start()


_patch_gunicorn()
os.register_at_fork(after_in_child=_in_worker)
"""


def threads_cpu(pid: int) -> dict[int, tuple[float, float]]:
    """(user, system) CPU seconds of every thread of `pid`."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(task.name)] = (int(fields[11]) / tick, int(fields[12]) / tick)
    return out


def kind(name: str | None) -> str:
    if name is None:
        return "unnamed"
    if name == "MainThread":
        return "main thread"
    if name.startswith("ThreadPoolExecutor"):
        return "request threads"
    if name.startswith("edgate-hash"):
        return "hash threads"
    if name.startswith("bench-hook"):
        return "bench hook"
    return "other: " + name.split("-")[0].rstrip("_0123456789")


def snapshot(cluster: Cluster) -> dict[int, dict]:
    time.sleep(1.2)  # the hook writes every 0.5 s; the node is idle now
    out = {}
    for pid in cluster.nodes[-1].worker_pids():
        path = cluster.work / f"hook-{pid}.json"
        hook = json.loads(path.read_text()) if path.exists() else {"sums": {}, "names": {}}
        out[pid] = {"threads": threads_cpu(pid), **hook}
    return out


def difference(before: dict[int, dict], after: dict[int, dict]) -> dict[str, float]:
    parts: dict[str, float] = defaultdict(float)
    for pid, now in after.items():
        then = before.get(pid, {"threads": {}, "sums": {}})
        names = {int(k): v for k, v in now["names"].items()}
        for tid, (user, system) in now["threads"].items():
            u0, s0 = then["threads"].get(tid, (0.0, 0.0))
            parts["thread: " + kind(names.get(tid))] += user + system - u0 - s0
            parts["all: user"] += user - u0
            parts["all: system"] += system - s0
        for key, value in now["sums"].items():
            parts[key] += value - then["sums"].get(key, 0.0)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:ENV=VALUE,...")
    server_options(parser, database="edgate_servedsignin", redis_db=7)
    args = parser.parse_args()
    variants: list[tuple[str, dict[str, str]]] = []
    for spec in args.variant or ["branch:"]:
        name, _, env = spec.partition(":")
        variants.append((name, dict(item.split("=", 1) for item in env.split(",") if item)))
    cluster = Cluster(args.database_url, args.redis_url, THROTTLES)
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in variants}
    try:
        cluster.fresh_database()
        cluster.flush_redis()
        accounts = cluster.python("bench.load.seed", "accounts", str(2 * args.clients))
        (cluster.work / "accounts.json").write_text(accounts)
        (cluster.work / "site").mkdir()
        (cluster.work / "site" / "sitecustomize.py").write_text(HOOK)
        for number in range(1, args.passes + 1):
            for name, env in variants:
                env = dict(env)
                users = {"SignInUser": int(env.pop("CLIENTS", args.clients))}
                env["PYTHONPATH"] = ":".join(
                    p
                    for p in (str(cluster.work / "site"), env.get("PYTHONPATH"), os.environ.get("PYTHONPATH"))
                    if p
                )
                node = cluster.start_node(name, env)
                cluster.start_nginx([node])
                run_locust(cluster, "sign-in", users, args.warmup, 1, f"{name} warm-up")
                before = snapshot(cluster)
                load = Path("/proc/loadavg").read_text().split()[0]
                run = run_locust(cluster, "sign-in", users, args.seconds, 1, name)
                after = snapshot(cluster)
                parts = difference(before, after)
                ok = [r for r in run.of((SIGN_IN,)) if r[3]]
                parts["sign-ins"] = len(ok)
                parts["per s"] = len(ok) / run.seconds
                parts["worker cpu"] = run.worker_cpu
                parts["load"] = float(load)
                parts["locust cpu"] = run.locust_cpu
                results[name].append(parts)
                log(f"pass {number} {name}: {len(ok)} sign-ins, worker CPU {run.worker_cpu:.1f} s")
                cluster.stop_nginx()
                cluster.stop_node(node)
                cluster.nodes.remove(node)
    finally:
        cluster.close()
    report(results)


def ms(*keys: str, minus: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """A row's value: the sum of `keys` less `minus`, in ms per sign-in."""

    def value(p: dict[str, float]) -> float:
        total = sum(p.get(k, 0.0) for k in keys) - sum(p.get(k, 0.0) for k in minus)
        return 1000 * total / p["sign-ins"]

    return value


def per(key: str):  # type: ignore[no-untyped-def]
    """A row's value: a count per sign-in."""
    return lambda p: p.get(key, 0.0) / p["sign-ins"]


def report(results: dict[str, list[dict[str, float]]]) -> None:
    print()
    print("ms of worker CPU per sign-in (its GET /login/ included), pass by pass; counts per sign-in")
    every = ("all: user", "all: system")
    rows = [
        ("worker CPU (bench.load's measure)", ms("worker cpu")),
        ("all threads (/proc)", ms(*every)),
        ("  of which system", ms("all: system")),
        ("verify (hash thread, in the hash)", ms("v_cpu")),
        ("  of which system (getrusage)", ms("v_sys")),
        ("  minor faults", per("v_minflt")),
        ("  involuntary switches", per("v_ivcsw")),
        ("  wall ms in the hash", ms("v_wall")),
        ("  wall ms queued for a hash thread", ms("v_queue")),
        ("  hashes per sign-in", per("v_count")),
        ("beside the verify (all threads - verify)", ms(*every, minus=("v_cpu",))),
        (
            "hash threads outside the hash",  # none with EDGATE_HASH_NICE=0: hashes in the request's
            lambda p: (
                ms("thread: hash threads", minus=("v_cpu",))(p) if p.get("thread: hash threads") else 0.0
            ),
        ),
        ("request threads (/proc)", ms("thread: request threads")),
        ("  gunicorn handle()", ms("handle")),
        ("  app GET", ms("app_GET")),
        ("  app POST (hand-off included)", ms("app_POST")),
        ("  hand-off and wait", ms("handoff")),
        ("  outside the app (gunicorn)", ms("thread: request threads", minus=("app_GET", "app_POST"))),
        ("  requests per sign-in", per("requests")),
        ("main thread (accepting, polling)", ms("thread: main thread")),
        ("threads without a Python name", ms("thread: unnamed")),
        ("this bench's hook thread", ms("thread: bench hook")),
        ("gc, all threads", ms("gc0", "gc1", "gc2")),
        ("  gen 0/1/2 collections", lambda p: "/".join(f"{per(f'gc{g}_n')(p):.2f}" for g in range(3))),
        ("sign-ins per s", lambda p: p["per s"]),
        ("load average at start", lambda p: p["load"]),
    ]
    others = sorted(
        {k for runs in results.values() for p in runs for k in p if k.startswith("thread: other")}
    )
    rows[-2:-2] = [(k[len("thread: ") :], ms(k)) for k in others]
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}} " + " ".join(f"{name:>20}" for name in results))
    for label, fn in rows:
        cells = []
        for runs in results.values():
            values = [fn(p) for p in runs]
            cells.append(" / ".join(v if isinstance(v, str) else f"{v:.2f}" for v in values))
        print(f"{label:{width}} " + " ".join(f"{c:>20}" for c in cells))


if __name__ == "__main__":
    log("bench.served_signin")
    main()
