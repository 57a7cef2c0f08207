"""One locust run (headless, bounded in time) against a Cluster, with the servers' CPU and RSS."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .cluster import PYTHON, REPO, SERVER_NAME, Cluster, log, rss_mib

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass
class Run:
    scenario: str
    nodes: int
    seconds: float
    records: list[tuple[str, float, float, bool]]
    completed: list[dict[str, str]]
    worker_cpu: float  # CPU seconds of every gunicorn worker during the run
    rss: list[float] = field(default_factory=list)  # MiB per worker, every sample
    locust_cpu: float = 0.0
    loadavg: str = ""
    variant: str = ""
    # Requests per worker pid in the nodes' access logs during the run, busiest first: how
    # evenly the proxy's connections spread the work.
    per_worker: list[int] = field(default_factory=list)

    @property
    def busiest_share(self) -> float:
        return self.per_worker[0] / sum(self.per_worker) if self.per_worker else float("nan")

    def of(self, names: tuple[str, ...]) -> list[tuple[str, float, float, bool]]:
        return [r for r in self.records if r[0] in names]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


ACCESS_PID = re.compile(rb'" \d{3} \S+ \d+ms <(\d+)>$', re.M)


def _log_sizes(cluster: Cluster) -> dict[str, int]:
    return {node.name: node.log.stat().st_size for node in cluster.nodes if node.log and node.log.exists()}


def _requests_per_worker(cluster: Cluster, since: dict[str, int]) -> list[int]:
    counts: Counter[bytes] = Counter()
    for node in cluster.nodes:
        if node.log and node.log.exists():
            with node.log.open("rb") as f:
                f.seek(since.get(node.name, 0))
                counts.update(ACCESS_PID.findall(f.read()))
    return sorted(counts.values(), reverse=True)


def run_locust(
    cluster: Cluster,
    scenario: str,
    users: dict[str, int],
    seconds: int,
    nodes: int,
    variant: str = "",
    *,
    think: str = "",
) -> Run:
    """`think` ("MIN,MAX" seconds): the page clients' wait after each page (none when empty)."""
    out = cluster.work / f"{scenario}-{nodes}{'-' + variant if variant else ''}.json"
    env = {
        **os.environ,
        "LOAD_ACCOUNTS": str(cluster.work / "accounts.json"),
        "LOAD_OUT": str(out),
        "LOAD_SERVER_NAME": SERVER_NAME,
        "LOAD_SIGNIN_USERS": str(users.get("SignInUser", 0)),
        "LOAD_PAGE_USERS": str(users.get("PageUser", 0)),
        "LOAD_REGISTER_USERS": str(users.get("RegisterUser", 0)),
        "LOAD_PAGE_THINK": think,
    }
    total = sum(users.values())
    classes = [name for name, n in users.items() if n]
    args = [PYTHON, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", cluster.url,
            "--users", str(total), "--spawn-rate", str(total), "--run-time", f"{seconds}s",
            "--stop-timeout", "30", "--only-summary", "--loglevel", "WARNING", *classes]  # fmt: skip
    serving = [node for node in cluster.nodes if node.process.poll() is None]
    cpu_before = {node.name: node.workers_cpu() for node in serving}
    logs_before = _log_sizes(cluster)
    rss: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            rss.extend(rss_mib(pid) for pid in cluster.workers_now())

    loadavg = Path("/proc/loadavg").read_text().split()[:3]
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tag = f" [{variant}]" if variant else ""
    log(f"{scenario}, {nodes} node(s){tag}: {users} for {seconds} s (load average {' '.join(loadavg)})")
    started = time.monotonic()
    process = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    # Every worker's CPU, those restarted during the run included (Node.workers_cpu).
    worker_cpu = sum(node.workers_cpu() - cpu_before[node.name] for node in serving)
    time.sleep(0.5)  # the access log lines of the last requests
    per_worker = _requests_per_worker(cluster, logs_before)
    if not out.exists():
        err = process.stderr.read().decode(errors="replace")[-2000:] if process.stderr else ""
        raise RuntimeError(f"locust wrote nothing (exit {process.returncode}): {err}")
    data = json.loads(out.read_text())
    records = [tuple(r) for r in data["records"]]
    # The run proper: from the first request to the last one's end (locust's spawn and stop
    # are not load).
    if records:
        first = min(r[1] for r in records)
        last = max(r[1] + r[2] / 1000 for r in records)
        span = max(last - first, 1e-6)
    else:
        span = elapsed
    return Run(
        scenario=scenario,
        nodes=nodes,
        seconds=span,
        records=records,  # type: ignore[arg-type]
        completed=data["completed"],
        worker_cpu=worker_cpu,
        rss=rss,
        locust_cpu=usage.ru_utime + usage.ru_stime,
        loadavg=" ".join(loadavg),
        variant=variant,
        per_worker=per_worker,
    )
