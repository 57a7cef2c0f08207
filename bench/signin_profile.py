"""Where a served sign-in's CPU goes: the load benchmark's sign-in scenario, profiled.

    .venv/bin/python -m bench.signin_profile [--seconds 40] [--profile] [--top 40]

Serves EdGate the way `bench.load` does (bench/load/cluster.py: one `edgate serve` node behind
deploy's nginx, production settings, a fresh PostgreSQL database, Redis database --redis-url
EMPTIED), seeds accounts, measures the Argon2 verify CPU with the configured parameters, then
runs the sign-in scenario (GET /login/, POST /login/, forget the cookies, again) for --seconds
and prints the workers' CPU per sign-in (with its GET /login/) and the hash share, as
bench.load's table does.

--profile: also samples the gunicorn workers (their pids only: not the master, nginx or the
load generator) with py-spy (requirements-bench.lock) during the run, idle threads left out,
and prints the share of the samples per function, inclusive, with the Argon2 hash's share
first. Sampling costs the workers CPU too, so the CPU figures of a profiled run read a little
high; compare runs made alike. Informational only; nothing asserts these figures.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path

from bench.load.__main__ import SIGN_IN, THROTTLES
from bench.load.cluster import Cluster, log
from bench.load.runner import Run, pct, run_locust
from bench.portal import server_options

PY_SPY = str(Path(sys.executable).parent / "py-spy")


def start_profilers(cluster: Cluster, rate: int) -> list[tuple[subprocess.Popen[bytes], Path]]:
    out = []
    for pid in cluster.workers_now():
        path = cluster.work / f"profile-{pid}.txt"
        process = subprocess.Popen(
            [
                PY_SPY,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--output",
                str(path),
                "--nonblocking",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        out.append((process, path))
    return out


def stop_profilers(profilers: list[tuple[subprocess.Popen[bytes], Path]]) -> collections.Counter[str]:
    """py-spy writes its file on SIGINT; returns the collapsed stacks of every worker."""
    stacks: collections.Counter[str] = collections.Counter()
    for process, _ in profilers:
        process.send_signal(2)
    for process, path in profilers:
        process.wait(timeout=60)
        if path.exists():
            for line in path.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                stacks[stack] += int(count)
    return stacks


def frame_name(frame: str) -> str:
    """'handle (gunicorn/workers/gthread.py:12)' -> 'gunicorn/workers/gthread.py handle'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "src/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{where} {name}"


def summary(stacks: collections.Counter[str], top: int) -> str:
    total = sum(stacks.values()) or 1
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    hashing = 0
    for stack, count in stacks.items():
        frames = [frame_name(f) for f in stack.split(";") if " (" in f]
        for name in set(frames):
            inclusive[name] += count
        if frames:
            own[frames[-1]] += count
        if any("argon2" in f for f in frames):
            hashing += count
    lines = [f"samples: {total}; in argon2 (the hash): {100 * hashing / total:.1f}%", ""]
    lines.append("inclusive % (a function and what it calls), beside the hash:")
    for name, count in inclusive.most_common(top):
        lines.append(f"  {100 * count / total:5.1f}%  {name}")
    lines.append("")
    lines.append("own % (the innermost frame):")
    for name, count in own.most_common(top // 2):
        lines.append(f"  {100 * count / total:5.1f}%  {name}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--signin-users", type=int, default=8)
    parser.add_argument("--workers", type=int, default=0, help="per node (default: edgate serve's)")
    parser.add_argument("--profile", action="store_true", help="sample the workers with py-spy")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=40)
    server_options(parser, database="edgate_signinprof", redis_db=7)
    args = parser.parse_args()
    if args.profile and not shutil.which(PY_SPY):
        sys.exit("py-spy is not installed: make bench-tools")
    cluster = Cluster(args.database_url, args.redis_url, THROTTLES, workers=args.workers)
    try:
        cluster.fresh_database()
        cluster.flush_redis()
        accounts = cluster.python("bench.load.seed", "accounts", str(2 * args.signin_users))
        (cluster.work / "accounts.json").write_text(accounts)
        argon = json.loads(cluster.python("bench.load.seed", "argon2", "15"))
        verify_ms = 1000 * argon["verify_cpu_s"]
        cluster.start_node()
        cluster.start_nginx()
        profilers = start_profilers(cluster, args.rate) if args.profile else []
        run: Run = run_locust(cluster, "sign-in", {"SignInUser": args.signin_users}, args.seconds, 1)
        stacks = stop_profilers(profilers) if profilers else collections.Counter()
        signins = [r for r in run.of((SIGN_IN,)) if r[3]]
        errors = len(run.records) - sum(1 for r in run.records if r[3])
        cpu_ms = 1000 * run.worker_cpu / max(len(signins), 1)
        print()
        print(f"Argon2id {argon['params']}: {verify_ms:.1f} ms CPU per verify (median of {argon['rounds']})")
        print(
            f"{cluster.server}; {args.signin_users} sign-in clients for {args.seconds} s"
            f"{' (profiled with py-spy)' if args.profile else ''}; load average before {run.loadavg}"
        )
        print(
            f"sign-ins {len(signins)} (errors {errors}), p50 {pct([r[2] for r in signins], 50):.0f} ms; "
            f"workers' CPU {run.worker_cpu:.1f} s -> {cpu_ms:.1f} ms per sign-in with its GET /login/; "
            f"hash share {verify_ms / cpu_ms:.2f}"
        )
        if stacks:
            print()
            print(summary(stacks, args.top))
    finally:
        cluster.close()


if __name__ == "__main__":
    log("bench.signin_profile")
    main()
