"""Matching quality and speed: EdGate's matcher and Splink 5 (DuckDB) on the same data, one run.

    .venv/bin/python -m bench.evaluate [--people 100000] [--registrations 20000] [--skip-splink]

Data: bench.synth (documented error model; not a public benchmark set). Both systems get the
same records and registrations; EdGate runs its in-memory index (the `edgate link --against`
path) and Splink a link-only model trained the usual way (u by random sampling, m by EM),
its best candidate per registration classified exact (p ≥ 0.99), partial (0.5 ≤ p < 0.99)
or none. Prints, for each: false exact (target 0), recall into exact + partial (≥ 0.995),
automation = correct exact among people on file (≥ 0.95), false block = partial among people
not on file (≤ 1%), and per-registration latency.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgate.settings.dev")
django.setup()

from bench import synth  # noqa: E402
from bench.splink_ref import EXACT_P, PARTIAL_P, SplinkReference  # noqa: E402
from edgate.identity.blocking import MemoryIndex  # noqa: E402
from edgate.identity.engine import RuleMatcher  # noqa: E402
from edgate.importer.rows import open_csv, read  # noqa: E402
from edgate.people.models import ssn_lookup  # noqa: E402


@dataclass
class Scores:
    name: str
    decisions: dict[str, tuple[str, str]] = field(default_factory=dict)  # qid -> (outcome, record id)
    latencies_ms: list[float] = field(default_factory=list)
    setup_s: float = 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")
    )


def run_edgate(out: Path) -> Scores:
    scores = Scores("EdGate rules-2")
    start = time.perf_counter()
    index = MemoryIndex()
    with open_csv(out / "records.csv") as fh:
        for row in read(fh):
            if row.identity is not None:
                index.add(row.row_id, row.identity)
    scores.setup_s = time.perf_counter() - start
    matcher = RuleMatcher(hasher=ssn_lookup)
    with open_csv(out / "registrations.csv") as fh:
        for row in read(fh):
            if row.identity is None or row.problems:  # the wizard refuses a bad value
                scores.decisions[row.row_id] = ("rejected", "")
                continue
            t = time.perf_counter()
            decision = matcher.match(row.identity, index.candidates(row.identity))
            scores.latencies_ms.append((time.perf_counter() - t) * 1000)
            scores.decisions[row.row_id] = (decision.outcome.value, decision.candidate_id or "")
    return scores


def run_splink(out: Path, valid_queries: set[str], latency_sample: int) -> Scores:
    reference = SplinkReference(out / "records.csv", out / "registrations.csv")
    scores = Scores("Splink 5 (DuckDB)", setup_s=reference.setup_s)
    decisions, bulk_s = reference.decide_all()
    for qid in valid_queries:
        scores.decisions[qid] = decisions.get(qid, ("none", ""))
    for qid in sorted(valid_queries)[:latency_sample]:
        scores.latencies_ms.append(reference.decide_one(qid)[2])
    scores.bulk_ms_per_query = bulk_s * 1000 / max(len(valid_queries), 1)  # type: ignore[attr-defined]
    return scores


def metrics(scores: Scores, truth: dict[str, tuple[str, str]]) -> dict[str, float]:
    on_file = [
        q for q, (rid, _) in truth.items() if rid and scores.decisions.get(q, ("rejected",))[0] != "rejected"
    ]
    off_file = [
        q
        for q, (rid, _) in truth.items()
        if not rid and scores.decisions.get(q, ("rejected",))[0] != "rejected"
    ]
    relatives = [q for q in off_file if truth[q][1] == "relative"]
    false_exact = sum(
        1
        for q, (outcome, record) in scores.decisions.items()
        if outcome == "exact" and q in truth and record != truth[q][0]
    )
    correct_exact = sum(1 for q in on_file if scores.decisions[q] == ("exact", truth[q][0]))
    found = sum(
        1
        for q in on_file
        if scores.decisions[q][0] in ("exact", "partial") and scores.decisions[q][1] == truth[q][0]
    )
    blocked = sum(1 for q in off_file if scores.decisions[q][0] == "partial")
    relative_exact = sum(1 for q in relatives if scores.decisions[q][0] == "exact")
    return {
        "registrations scored": len(on_file) + len(off_file),
        "on file / not on file (relatives)": f"{len(on_file)} / {len(off_file)} ({len(relatives)})",
        "false exact (target 0)": false_exact,
        "  of which a relative given the User Name": relative_exact,
        "recall into exact + partial (≥ 0.995)": f"{found / len(on_file):.4f}",
        "automation: correct exact (≥ 0.95)": f"{correct_exact / len(on_file):.4f}",
        "false block: partial, not on file (≤ 1%)": f"{blocked / len(off_file):.2%}",
        "latency p50 / p95 / p99 ms": " / ".join(
            f"{percentile(scores.latencies_ms, p):.2f}" for p in (50, 95, 99)
        ),
        "set-up (index or training) s": f"{scores.setup_s:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=73001)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument(
        "--latency-sample", type=int, default=200, help="Splink registrations timed one by one"
    )
    args = parser.parse_args()

    data = synth.generate(args.people, args.registrations, seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    synth.write_csv(args.out / "records.csv", data.records)
    synth.write_csv(args.out / "registrations.csv", data.registrations)
    truth = {q: (rid, data.kinds[q]) for q, rid in data.truth.items()}
    print(
        f"data: {len(data.records)} people on file, {len(data.registrations)} registrations "
        f"(seed {args.seed}; kinds {dict(Counter(data.kinds.values()))})\n"
    )

    results = [run_edgate(args.out)]
    valid = {q for q, (outcome, _) in results[0].decisions.items() if outcome != "rejected"}
    rejected = len(results[0].decisions) - len(valid)
    if not args.skip_splink:
        results.append(run_splink(args.out, valid, args.latency_sample))
    table = [(s.name, metrics(s, truth)) for s in results]
    width = max(len(k) for k in table[0][1])
    print(f"{'':{width}}  " + "  ".join(f"{name:>22}" for name, _ in table))
    for key in table[0][1]:
        print(f"{key:{width}}  " + "  ".join(f"{str(m[key]):>22}" for _, m in table))
    if len(results) > 1:
        edgate, splink = results
        print(
            f"\nper-registration latency p95, Splink / EdGate: "
            f"{percentile(splink.latencies_ms, 95) / percentile(edgate.latencies_ms, 95):.1f}×; "
            f"Splink in bulk: {splink.bulk_ms_per_query:.3f} ms per registration"
        )  # type: ignore[attr-defined]
    print(
        f"({rejected} registrations refused by validation, as the wizard would, and not scored; "
        f"Splink decisions: exact p ≥ {EXACT_P}, partial p ≥ {PARTIAL_P})"
    )


if __name__ == "__main__":
    main()
