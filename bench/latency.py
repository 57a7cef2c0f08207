"""Per-match latency against PostgreSQL at agency scale, beside Splink 5 on the same data.

    .venv/bin/python -m bench.latency --people 100000 --queries 2000
    .venv/bin/python -m bench.latency --people 1000000 --queries 2000

Loads N synthetic people (bench.synth) into a separate database (default
postgres://postgres@127.0.0.1:5432/edgate_bench; created if missing, reused when it already
holds the same N), then times `edgate.matching.service.match` — what the wizard and
`edgate link` call: blocking query on the indexes, comparison, decision — one registration
at a time. Splink gets the same people and registrations (DuckDB, trained the usual way) and
is timed one registration at a time too. Prints p50 / p95 / p99, the ratio, and how the two
systems' decisions compare on the timed registrations. Informational: asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/edgate_bench"


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    pick = [ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] for p in (50, 95, 99)]
    return " / ".join(f"{v:.2f}" for v in pick)


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            con.execute(f'CREATE DATABASE "{name}"')


def load_people(records: list, batch: int = 5000) -> float:  # type: ignore[type-arg]
    from django.db import connection, transaction

    from edgate.people.models import Person

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE people_person CASCADE")
    rows = []
    for r in records:
        person = Person(
            first_name=r.first_name,
            middle_name=r.middle_name,
            last_name=r.last_name,
            former_last_name=r.former_last_name,
            date_of_birth=r.date_of_birth,
            state_id=r.state_id,
            street=r.street,
            city=r.city,
            state=r.state,
            postcode=r.postcode,
            email=r.email.lower(),
            phone=r.phone,
            source="bench",
        )
        person.set_ssn(r.ssn)
        person.fill_keys()
        rows.append(person)
        if len(rows) == batch:
            with transaction.atomic():
                Person.objects.bulk_create(rows)
            rows = []
    with transaction.atomic():
        Person.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_person")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--splink-sample", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seed", type=int, default=73001)
    parser.add_argument("--skip-splink", action="store_true")
    args = parser.parse_args()

    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgate.settings.dev")
    import django

    django.setup()
    from django.core.management import call_command

    from bench import synth
    from edgate.importer.rows import open_csv, read
    from edgate.matching import service
    from edgate.people.models import Person

    call_command("migrate", verbosity=0)
    data = synth.generate(args.people, max(args.queries * 2, 1000), seed=args.seed)
    out = Path("bench/out") / f"latency-{args.people}"
    out.mkdir(parents=True, exist_ok=True)
    synth.write_csv(out / "records.csv", data.records)
    synth.write_csv(out / "registrations.csv", data.registrations)
    have = Person.objects.filter(source="bench").count()
    sample = [r.state_id for r in data.records[:: max(len(data.records) // 100, 1)]]
    same_people = Person.objects.filter(state_id__in=sample).count() == len(sample)
    if have != len(data.records) or Person.objects.count() != have or not same_people:
        print(f"loading {len(data.records)} people into {args.database_url.rsplit('@', 1)[-1]} …", flush=True)
        print(f"  loaded in {load_people(data.records):.0f} s", flush=True)
    with open_csv(out / "registrations.csv") as fh:
        # Registrations the wizard would accept (it refuses a bad value; a person file keeps it).
        queries = [row for row in read(fh) if row.identity is not None and not row.problems][: args.queries]

    for row in queries[:50]:  # warm the connection, caches and the planner
        service.match(row.identity)
    latencies, edgate_decisions = [], {}
    for row in queries:
        start = time.perf_counter()
        decision = service.match(row.identity)
        latencies.append((time.perf_counter() - start) * 1000)
        record = (
            Person.objects.filter(pk=decision.candidate_id).values_list("state_id", flat=True).first()
            if decision.outcome != "none" and decision.candidate_id
            else ""
        )
        edgate_decisions[row.row_id] = (decision.outcome.value, record or "")
    print(f"\n{len(data.records):,} people in PostgreSQL, {len(queries):,} registrations, one at a time")
    print(f"  EdGate (PostgreSQL, indexed blocking)   p50 / p95 / p99 ms: {percentiles(latencies)}")
    print(f"  EdGate decisions: {dict(Counter(o for o, _ in edgate_decisions.values()))}")
    if args.skip_splink:
        return
    from bench.splink_ref import SplinkReference

    reference = SplinkReference(out / "records.csv", out / "registrations.csv")
    state_ids = {r.id: r.state_id for r in data.records}
    timed = queries[: args.splink_sample]
    splink_ms, agree, splink_decisions = [], 0, Counter()
    for row in timed:
        outcome, record, ms = reference.decide_one(row.row_id)
        splink_ms.append(ms)
        splink_decisions[outcome] += 1
        agree += (outcome, state_ids.get(record, "")) == edgate_decisions[row.row_id]
    print(
        f"  Splink 5 (DuckDB, trained in {reference.setup_s:.0f} s) p50 / p95 / p99 ms: "
        f"{percentiles(splink_ms)}   ({len(timed)} registrations)"
    )
    print(
        f"  Splink decisions on those: {dict(splink_decisions)}; same decision and record as EdGate: "
        f"{agree}/{len(timed)}"
    )
    ratio = (
        sorted(splink_ms)[int(0.95 * (len(splink_ms) - 1))]
        / sorted(latencies)[int(0.95 * (len(latencies) - 1))]
    )
    print(f"  p95 ratio Splink / EdGate: {ratio:.1f}×")


if __name__ == "__main__":
    main()
