"""Which gunicorn settings for `edgate serve` on this machine: figures for gunicorn_conf.py.

    .venv/bin/python -m bench.serve_config [--seconds 20] [--signins 4] [--pages 4]

For each configuration below, starts one node (`edgate serve`, production settings, the
database `edgate_deploy_serve` in the PostgreSQL at SERVE_BENCH_PG, default
postgres://postgres@127.0.0.1:5432, Redis database 4), then runs for SECONDS: SIGNINS clients
signing in again and again (GET /login/, POST the right password) and PAGES clients asking for
/login/ (a cheap page). Prints sign-ins per second beside the Argon2 bound (cores ÷ CPU seconds
of one verify, measured in the same run), the latency of sign-ins and of the cheap page, errors,
and each worker's resident memory when idle and at its peak (VmHWM), and the sum of the
workers' peaks. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.portal import Browser, Node, drop_database, node_env, prepare, recreate_database

HOST = "bench.example.org"
CONFIGS = [
    ("sync, 2 workers", {"EDGATE_WORKER_CLASS": "sync", "EDGATE_WORKERS": "2"}),
    ("sync, 4 workers", {"EDGATE_WORKER_CLASS": "sync", "EDGATE_WORKERS": "4"}),
    ("gthread, 2 × 8, 2 hashes/worker (default)", {"EDGATE_WORKERS": "2", "EDGATE_THREADS": "8"}),
    (
        "gthread, 2 × 8, hashes unbounded",
        {"EDGATE_WORKERS": "2", "EDGATE_THREADS": "8", "EDGATE_HASH_CONCURRENCY": "8"},
    ),
]


def argon2_verify_cpu_seconds(rounds: int = 20) -> float:
    from argon2 import PasswordHasher, Type

    hasher = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1, hash_len=32, type=Type.ID)
    encoded = hasher.hash("bench only password to verify")
    started = time.process_time()
    for _ in range(rounds):
        hasher.verify(encoded, "bench only password to verify")
    return (time.process_time() - started) / rounds


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load(node: Node, users: list[str], seconds: float, signins: int, pages: int) -> dict[str, object]:
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    sign_in_times: list[float] = []
    page_times: list[float] = []
    errors: list[str] = []
    peak: dict[str, float] = {"worker": 0.0, "total": 0.0}

    def signer(n: int) -> None:
        i = n
        while time.monotonic() < stop:
            browser = Browser(node.base, host=HOST, behind_proxy=True)
            started = time.perf_counter()
            try:
                answer = browser.sign_in(users[i % len(users)])
                ok = answer.status_code == 302
            except Exception as error:  # noqa: BLE001 - counted
                ok, answer = False, error  # type: ignore[assignment]
            with lock:
                if ok:
                    sign_in_times.append(time.perf_counter() - started)
                else:
                    errors.append(f"sign-in {getattr(answer, 'status_code', answer)}")
            i += signins

    def reader() -> None:
        browser = Browser(node.base, host=HOST, behind_proxy=True)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                ok = browser.get("/login/").status_code == 200
            except Exception:  # noqa: BLE001 - counted
                ok = False
            with lock:
                (page_times if ok else errors).append(time.perf_counter() - started if ok else "page")  # type: ignore[arg-type]

    threads = [threading.Thread(target=signer, args=(n,)) for n in range(signins)]
    threads += [threading.Thread(target=reader) for _ in range(pages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peaks = node.rss_mib("VmHWM")  # each worker's high-water mark: a 46 MiB hash is brief
    peak["worker"], peak["total"] = max(peaks, default=0.0), sum(peaks)
    return {
        "signins_per_s": len(sign_in_times) / seconds,
        "signin_p50": percentile(sign_in_times, 0.5),
        "signin_p95": percentile(sign_in_times, 0.95),
        "page_p50": percentile(page_times, 0.5),
        "page_p95": percentile(page_times, 0.95),
        "pages": len(page_times),
        "errors": len(errors),
        "peak_worker_mib": peak["worker"],
        "peak_total_mib": peak["total"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--signins", type=int, default=8)
    parser.add_argument("--pages", type=int, default=4)
    options = parser.parse_args()
    pg = os.environ.get("SERVE_BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    database_url = f"{pg}/edgate_deploy_serve"
    redis_url = os.environ.get("SERVE_BENCH_REDIS", "redis://127.0.0.1:6379/4")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    cores = len(os.sched_getaffinity(0))
    work = Path(tempfile.mkdtemp(prefix="edgate-serve-bench-"))
    recreate_database(database_url)
    rows = []
    try:
        env = node_env(
            database_url=database_url,
            static_root=work / "static",
            host=HOST,
            trusted_proxies="127.0.0.1",
            redis_url=redis_url,
        )
        users = prepare(env, work, profiles=16)
        for label, extra in CONFIGS:
            node = Node("node", {**env, **extra}, work)
            try:
                Browser(node.base, host=HOST, behind_proxy=True).sign_in(users[0])  # warm both workers
                idle = node.rss_mib()
                figures = load(node, users, options.seconds, options.signins, options.pages)
            finally:
                node.stop()
            verify = argon2_verify_cpu_seconds()
            figures["bound"] = cores / verify
            figures["verify_ms"] = verify * 1000
            figures["idle_worker_mib"] = max(idle) if idle else float("nan")
            rows.append((label, figures))
            print(f"done: {label}", flush=True)
    finally:
        drop_database(database_url)
        redis.Redis.from_url(redis_url).flushdb()
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{cores} cores; {options.signins} clients signing in and {options.pages} asking for /login/, "
        f"{options.seconds:.0f} s per configuration; times in ms, memory in MiB (resident)\n"
    )
    head = (
        f"{'configuration':44} {'sign-ins/s':>10} {'bound':>6} {'ratio':>5} {'sign-in p50/p95':>16} "
        f"{'/login/ p50/p95':>16} {'pages':>6} {'errors':>6} {'worker idle/peak':>16} {'sum of peaks':>12}"
    )
    print(head)
    print("-" * len(head))
    for label, f in rows:
        print(
            f"{label:44} {f['signins_per_s']:10.1f} {f['bound']:6.1f} {f['signins_per_s'] / f['bound']:5.2f} "
            f"{f['signin_p50'] * 1000:7.0f}/{f['signin_p95'] * 1000:<8.0f} "
            f"{f['page_p50'] * 1000:7.0f}/{f['page_p95'] * 1000:<8.0f} {f['pages']:6d} {f['errors']:6d} "
            f"{f['idle_worker_mib']:7.0f}/{f['peak_worker_mib']:<8.0f} {f['peak_total_mib']:12.0f}"
        )
    print(
        "\nArgon2id verify (m=46 MiB, t=1, p=1), CPU per verify, ms: "
        + ", ".join(f"{f['verify_ms']:.0f}" for _, f in rows)
    )
    print(f"median: {statistics.median(f['verify_ms'] for _, f in rows):.0f}")


if __name__ == "__main__":
    main()
