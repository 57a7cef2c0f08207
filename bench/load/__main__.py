"""Load benchmark: sign-in, cheap pages and full registrations, 1 node vs 2 nodes behind nginx.

    .venv/bin/python -m bench.load --seconds 60        # make bench-tools first (locust)

Serves EdGate for real (bench/load/cluster.py): production settings, PostgreSQL (a fresh
database, default edgate_loadbench on 127.0.0.1:5432, dropped and made again), Redis (the
database of --redis-url is EMPTIED), gunicorn nodes behind nginx with TLS on 127.0.0.1.
Seeds synthetic accounts, measures the Argon2 verify CPU time with the configured parameters
in the same run, then runs each scenario for --seconds with locust headless:

  sign-in    LOAD --signin-users clients signing in again and again (each its own account)
  pages      --page-users clients on /login/, register page 1, My applications (signed in)
  mixed      both at once: cheap pages while sign-ins run beside them
  register   --register-users clients each registering new synthetic people (the whole wizard)
  pages-think, mixed-think   the same as pages and mixed, but with --think-users page clients
             that wait --think-seconds (uniformly between MIN and MAX) after each page, as a
             person reads it; the sign-in clients of mixed-think still wait for nothing. Run
             beside the zero-think-time scenarios, never instead of them: those measure what
             the server does saturated, these what a person waits for at a realistic rate.

and prints one table. With --variant LABEL:NAME=VALUE,... (repeatable) every scenario runs once
per variant in the same run, the nodes restarted with those environment variables (e.g.
EDGATE_HASH_NICE=0, EDGATE_WORKERS=1); NGINX_KEEPALIVE=N is nginx's upstream keep-alive
(0: none) rather than an environment variable. Same-run A/B: the machine is shared, so ratios
and CPU per request compare, absolute latencies from different runs do not.

The bound is cores / (CPU seconds of one Argon2 verify): the most
sign-ins per second the machine could do if a sign-in cost nothing but its hash. Informational:
asserts nothing. docs/performance.md has a run's table and what it means.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from .cluster import Cluster
from .runner import Run, pct, run_locust

# Raised for the run (EDGATE_THROTTLES, settings/base.py): every client shares 127.0.0.1.
THROTTLES = {
    "register_address": "1000000/3600",
    "flow_start_address": "1000000/3600",
    "match_address": "1000000/3600",
    "sign_in_address": "1000000/900",
}
SIGN_IN = "POST /login/ (sign-in)"
CHEAP = ("GET /login/", "GET /register/identity/", "GET /applications/ (signed in)")
REGISTERED = "POST /register/review/"


@dataclass
class Row:
    variant: str
    scenario: str
    nodes: int
    what: str
    count: int
    errors: int
    times: list[float]
    per_second: float
    cpu_ms: float  # server CPU per counted operation
    rss: list[float]


def rows_of(run: Run) -> list[Row]:
    def row(what: str, names: tuple[str, ...], count_ok: bool = True) -> Row:
        recs = run.of(names)
        ok = [r for r in recs if r[3]]
        return Row(
            variant=run.variant,
            scenario=run.scenario,
            nodes=run.nodes,
            what=what,
            count=len(recs),
            errors=len(recs) - len(ok),
            times=[r[2] for r in ok],
            per_second=len(ok) / run.seconds,
            cpu_ms=1000 * run.worker_cpu / max(len(ok), 1),
            rss=run.rss,
        )

    everything = tuple({r[0] for r in run.records})
    out = [row("all requests", everything)]
    if run.scenario in ("sign-in", "mixed", "mixed-think"):
        out.append(row("sign-in POST", (SIGN_IN,)))
    if run.scenario in ("pages", "mixed", "pages-think", "mixed-think"):
        out.append(row("cheap pages", CHEAP))
    if run.scenario == "register":
        out.append(row("registrations (page 4)", (REGISTERED,)))
    for r in out:
        if r.what == "all requests" or run.scenario in ("mixed", "mixed-think"):
            r.cpu_ms = float("nan")  # the workers' CPU is shared: counted for one kind of work only
    return out


def table(rows: list[Row], bound: float, verify_ms: float) -> str:
    width = max([len(r.variant) for r in rows] + [7])
    head = (
        f"{'variant':<{width}} {'scenario':<11} {'nodes':>5} {'requests of':<23} {'count':>6} {'errors':>6} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'per s':>7} {'/bound':>6} {'CPU ms':>7} {'hash':>5} "
        f"{'RSS MiB':>13}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = f"{r.per_second / bound:.2f}" if r.what == "sign-in POST" else ""
        share = f"{verify_ms / r.cpu_ms:.2f}" if r.what == "sign-in POST" and r.cpu_ms == r.cpu_ms else ""
        rss = f"{statistics.mean(r.rss):.0f} (max {max(r.rss):.0f})" if r.rss else "-"
        cpu = "" if r.cpu_ms != r.cpu_ms else f"{r.cpu_ms:.0f}"
        lines.append(
            f"{r.variant:<{width}} {r.scenario:<11} {r.nodes:>5} {r.what:<23} {r.count:>6} {r.errors:>6} "
            f"{pct(r.times, 50):>7.0f} {pct(r.times, 95):>7.0f} {pct(r.times, 99):>7.0f} "
            f"{r.per_second:>7.1f} {ratio:>6} {cpu:>7} {share:>5} {rss:>13}"
        )
    return "\n".join(lines)


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """ "nice0:EDGATE_HASH_NICE=0,EDGATE_THREADS=8" -> ("nice0", {...})."""
    label, _, assignments = text.partition(":")
    settings = dict(a.split("=", 1) for a in assignments.split(",") if a.strip())
    return label.strip(), {k.strip(): v.strip() for k, v in settings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="per scenario and node count")
    parser.add_argument("--nodes", default="1,2", help="node counts to compare (behind one nginx)")
    parser.add_argument("--scenarios", default="sign-in,pages,mixed,register")
    parser.add_argument("--signin-users", type=int, default=8)
    parser.add_argument("--page-users", type=int, default=16)
    parser.add_argument("--register-users", type=int, default=4)
    parser.add_argument("--think-users", type=int, default=64, help="page clients of the -think scenarios")
    parser.add_argument(
        "--think-seconds",
        default="1,5",
        metavar="MIN,MAX",
        help="their wait after each page (-think scenarios)",
    )
    parser.add_argument("--workers", type=int, default=0, help="per node (default: edgate serve's)")
    parser.add_argument("--threads", type=int, default=0, help="per worker (default: edgate serve's)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/edgate_loadbench"),
        help="dropped and made again",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14"), help="emptied"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:NAME=VALUE,...",
        help="run every scenario with these node settings too (repeatable; see above)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=10,
        help="seconds of mixed load, not counted, after the nodes (re)start: a new worker's first "
        "requests compile templates and fill its caches",
    )
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    counts = [int(n) for n in args.nodes.split(",")]
    scenarios = args.scenarios.split(",")
    users = {
        "sign-in": {"SignInUser": args.signin_users},
        "pages": {"PageUser": args.page_users},
        "mixed": {"SignInUser": args.signin_users, "PageUser": args.page_users},
        "register": {"RegisterUser": args.register_users},
        "pages-think": {"PageUser": args.think_users},
        "mixed-think": {"SignInUser": args.signin_users, "PageUser": args.think_users},
    }
    cluster = Cluster(
        args.database_url, args.redis_url, THROTTLES, workers=args.workers, threads=args.threads
    )
    try:
        cluster.fresh_database()
        cluster.flush_redis()
        clients = args.signin_users + max(args.page_users, args.think_users)
        accounts = cluster.python(
            # Enough for every client at once, the -think scenarios' too: two clients signing in
            # with one User Name at the same moment are refused (one attempt per User Name at a
            # time: a 429), which counted as errors in mixed-think when 72 clients shared 48.
            "bench.load.seed",
            "accounts",
            str(2 * clients),
        )
        (cluster.work / "accounts.json").write_text(accounts)
        argon = json.loads(cluster.python("bench.load.seed", "argon2", "15"))
        cores = os.cpu_count() or 1
        bound = cores / argon["verify_cpu_s"]
        variants = [parse_variant(v) for v in args.variant] or [("", {})]
        rows: list[Row] = []
        runs: list[Run] = []
        for label, settings in variants:
            env = {k: v for k, v in settings.items() if k != "NGINX_KEEPALIVE"}
            keepalive = settings.get("NGINX_KEEPALIVE")
            cluster.nginx_keepalive = int(keepalive) if keepalive is not None else None
            for node in cluster.nodes:
                cluster.stop_node(node)
            cluster.nodes = []
            for _ in range(max(counts)):
                cluster.start_node(env=env)
            for n in counts:
                cluster.start_nginx(cluster.nodes[:n])
                if args.warmup:
                    run_locust(cluster, "mixed", users["mixed"], args.warmup, n, f"{label} warm-up".strip())
                for scenario in scenarios:
                    think = args.think_seconds if scenario.endswith("-think") else ""
                    run = run_locust(cluster, scenario, users[scenario], args.seconds, n, label, think=think)
                    runs.append(run)
                    rows.extend(rows_of(run))
        print()
        print(
            f"Argon2id {argon['params']}: {1000 * argon['verify_cpu_s']:.1f} ms CPU per verify "
            f"(median of {argon['rounds']}); {cores} cores -> bound {bound:.1f} sign-ins/s"
        )
        if argon.get("verify_cpu_s_all_cores"):
            together = argon["verify_cpu_s_all_cores"]
            print(
                f"  with all {cores} cores verifying at once: {1000 * together:.1f} ms "
                f"CPU per verify -> {cores / together:.1f} sign-ins/s (informational: "
                "the bound and /bound above use the verify alone)"
            )
        print(
            f"{cluster.server} per node; nginx (deploy/nginx/edgate.conf) with TLS; "
            f"{args.seconds} s per run; clients: sign-in {args.signin_users}, pages {args.page_users}, "
            f"register {args.register_users}"
            + (
                f"; -think scenarios: {args.think_users} page clients waiting {args.think_seconds} s"
                if any(s.endswith("-think") for s in scenarios)
                else ""
            )
        )
        print(table(rows, bound, 1000 * argon["verify_cpu_s"]))
        print("per s: successful requests per second; /bound: sign-ins per second / the bound")
        print("CPU ms: the workers' CPU per counted request (a sign-in with its GET /login/; a whole wizard)")
        print("hash: Argon2 verify CPU / CPU ms: the ratio to the bound with the cores to itself")
        print("RSS: resident memory per gunicorn worker, mean (max) of 1 s samples during the run")
        for label, settings in variants:
            if label:
                print(f"variant {label}: {settings}")
        for run in runs:
            spread = "/".join(str(n) for n in run.per_worker)
            print(
                f"  {run.variant + ' ' if run.variant else ''}{run.scenario}/{run.nodes}: load average "
                f"before {run.loadavg}; load generator CPU {run.locust_cpu:.0f} s of {run.seconds:.0f} s; "
                f"server CPU {run.worker_cpu:.0f} s; requests per worker {spread} "
                f"(busiest {100 * run.busiest_share:.0f}%)"
            )
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "argon2": argon,
                        "bound": bound,
                        "rows": [
                            {
                                "variant": r.variant,
                                "scenario": r.scenario,
                                "nodes": r.nodes,
                                "what": r.what,
                                "count": r.count,
                                "errors": r.errors,
                                "p50": pct(r.times, 50),
                                "p95": pct(r.times, 95),
                                "p99": pct(r.times, 99),
                                "per_second": r.per_second,
                            }
                            for r in rows
                        ],
                    },
                    indent=1,
                )
            )
    finally:
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
