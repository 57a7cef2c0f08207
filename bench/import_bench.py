"""Import N synthetic people with the `edgate import` command into a fresh PostgreSQL database.

    .venv/bin/python -m bench.import_bench --rows 1000000

Drops and re-creates the database (default postgres://postgres@127.0.0.1:5432/edgate_import_bench),
migrates it, writes the person file, then times the real command — parse, match every row
against what is already there (earlier rows included), create each new Person with a
pre-created Profile, audit events and the per-row report — and then a second run of the same
file (which must change nothing). Prints the figures; asserts nothing.

The machine is shared, so each run also prints the CPU seconds of the import process (user +
system, from the kernel's accounting of the finished child) and of the PostgreSQL backends
serving this database (sampled from /proc every second while the run lasts; a backend's last
second before it exits may be missed), and the load average before and after. The kernel's
figure for the import process includes the children it reaped (the row-preparing process of
importer/prepare.py, the batch writer of importer/writer.py); the split between them is sampled
from /proc every second, each child by its name.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

from bench import synth

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/edgate_import_bench"


def _backend_cpu(database: str, seen: dict[int, float]) -> None:
    """CPU seconds (user + system) so far of each PostgreSQL backend serving `database`."""
    tick = os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not cmdline.startswith("postgres: ") or f" {database} " not in cmdline:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        seen[int(pid)] = (int(fields[11]) + int(fields[12])) / tick


def _own_cpu(pid: int) -> tuple[float, dict[str, float]]:
    """CPU seconds so far of process `pid` itself (all its threads) and of each of its live
    children by name (/proc/PID/comm: `edgate-prepare`, the row-preparing process of
    importer/prepare.py; `edgate-writer`, the batch writer of importer/writer.py)."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(p: str) -> list[str]:
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    try:
        own = stat(str(pid))
    except OSError:
        return 0.0, {}
    kids: dict[str, float] = {}
    for other in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = stat(other)
            if fields[1] != str(pid):
                continue
            name = Path(f"/proc/{other}/comm").read_text().strip()
        except OSError:
            continue
        kids[name] = kids.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return (int(own[11]) + int(own[12])) / tick, kids


class ImportSampler(threading.Thread):
    """The import process's own CPU and its children's, sampled every second (the last second
    may be missed): the process's share is what bounds the wall time."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.own, self.kids, self.done = pid, 0.0, {}, threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            own, kids = _own_cpu(self.pid)
            self.own = max(self.own, own)
            for name, cpu in kids.items():
                self.kids[name] = max(self.kids.get(name, 0.0), cpu)

    def children(self) -> str:
        return ", ".join(f"{name} >= {cpu:.1f}" for name, cpu in sorted(self.kids.items())) or "none"


class BackendSampler(threading.Thread):
    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database, self.seen, self.done = database, {}, threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            _backend_cpu(self.database, self.seen)

    def stop(self) -> float:
        _backend_cpu(self.database, self.seen)
        self.done.set()
        self.join()
        return sum(self.seen.values())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=424242)
    args = parser.parse_args()

    name = args.database_url.rsplit("/", 1)[1]
    with psycopg.connect(args.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": args.database_url}
    edgate = str(Path(sys.executable).parent / "edgate")
    subprocess.run([edgate, "migrate", "-v0"], env=env, check=True)

    out = Path("bench/out") / f"import-{args.rows}"
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data = synth.generate(args.rows, 1000, seed=args.seed)
    synth.write_csv(out / "people.csv", data.records)
    print(f"generated {len(data.records):,} rows in {time.perf_counter() - start:.0f} s", flush=True)

    for label in ("first run", "second run (same file)"):
        load, cpu, sampler = _load(), _children_cpu(), BackendSampler(name)
        sampler.start()
        start = time.perf_counter()
        with subprocess.Popen(
            [edgate, "import", str(out / "people.csv"), "--source", "bench"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        ) as process:
            watch = ImportSampler(process.pid)
            watch.start()
            stdout, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"{label}: the import failed (exit code {process.returncode})")
        seconds = time.perf_counter() - start
        backends = sampler.stop()
        watch.done.set()
        watch.join()
        # The kernel's figure covers the import process and every child it reaped (the
        # row-preparing process): its own share and the child's are the samples.
        print(
            f"{label}: {seconds:.0f} s ({len(data.records) / seconds:,.0f} rows/s) — {stdout.strip()}",
            f"\n  CPU s: import process with its children {_children_cpu() - cpu:.1f}"
            f" (sampled: its own >= {watch.own:.1f}; children: {watch.children()}),"
            f" PostgreSQL backends {backends:.1f}; load average {load} before, {_load()} after",
            flush=True,
        )


if __name__ == "__main__":
    main()
