"""Import N synthetic people with the `edgate import` command into a fresh PostgreSQL database.

    .venv/bin/python -m bench.import_bench --rows 1000000

Drops and re-creates the database (default postgres://postgres@127.0.0.1:5432/edgate_import_bench),
migrates it, writes the person file, then times the real command — parse, match every row
against what is already there (earlier rows included), create each new Person with a
pre-created Profile, audit events and the per-row report — and then a second run of the same
file (which must change nothing). Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from bench import synth

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/edgate_import_bench"


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
        start = time.perf_counter()
        result = subprocess.run(
            [edgate, "import", str(out / "people.csv"), "--source", "bench"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        print(
            f"{label}: {seconds:.0f} s ({len(data.records) / seconds:,.0f} rows/s) — {result.stdout.strip()}",
            flush=True,
        )


if __name__ == "__main__":
    main()
