"""Matching quality and speed: EdGate's matcher and Splink 5 (DuckDB) on the same data, one run.

    .venv/bin/python -m bench.evaluate [--people 100000] [--registrations 20000]
        [--published-people 50000] [--published-registrations 10000] [--models project,noisy,clean]
        [--skip-splink]

Data, one table per error model (not public benchmark sets):
  project — bench.synth, the error model written together with the rules (issue 3);
  published noisy / clean — bench.synth_published, a second model written from published figures
    on data-entry errors, name changes, twins and households, with dirty agency records (malformed
    dates, ZIPs and SSNs, missing fields, duplicates), not tuned to the rules (issue 9).
Both systems get the same records and registrations; EdGate runs its in-memory index (the `edgate
link --against` path), once with each registration's contact columns (as `edgate link` reads a
registrations file) and once as the wizard matches it, page 1 only — names, birth date, SSN, state
ID, no address, email or phone (the column "page 1"); and Splink a link-only model trained the
usual way (u by random sampling, m by EM), its best candidate per registration classified exact
(p ≥ 0.99), partial (0.5 ≤ p < 0.99) or none. Prints, for each: false exact (target 0),
recall into exact + partial (≥ 0.995),
automation = correct exact among people on file (≥ 0.95), false block = partial among people
not on file (≤ 1%), and per-registration latency; then, per model, what kind of disagreement
produced each of EdGate's partials and nones among people on file, and whom EdGate's partials for
people not on file pointed at. A person with two records on file (a duplicate) is found when
either is returned. Default sizes run in about three minutes on two cores.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgate.settings.dev")
django.setup()

from bench import synth, synth_published  # noqa: E402
from bench.splink_ref import EXACT_P, PARTIAL_P, SplinkReference  # noqa: E402
from edgate.core import conf  # noqa: E402
from edgate.identity.blocking import MemoryIndex  # noqa: E402
from edgate.identity.engine import RuleMatcher  # noqa: E402
from edgate.identity.rules import RULES  # noqa: E402
from edgate.importer.rows import open_csv, read  # noqa: E402
from edgate.people.models import ssn_lookup  # noqa: E402


@dataclass
class Scores:
    name: str
    decisions: dict[str, tuple[str, str]] = field(default_factory=dict)  # qid -> (outcome, record id)
    latencies_ms: list[float] = field(default_factory=list)
    setup_s: float = 0.0
    # Registrations whose exact needs a one-time set-up code (rules-4 E9, `Decision.needs_code`).
    needs_code: set[str] = field(default_factory=set)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")
    )


# What the registration wizard does not send the matcher: it matches after page 1 (names, birth
# date, SSN, state ID), before any address, email or phone is typed (registration.flows).
CONTACT = {"street": "", "city": "", "state": "", "postcode": "", "email": "", "phone": ""}


def run_edgate(out: Path, version: str, *, page1: bool = False) -> Scores:
    """`page1`: each registration as the wizard matches it, without its contact columns (no
    email or phone key, no partial rule that needs a contact); otherwise as `edgate link`
    reads a registrations file, contact columns included."""
    matcher = RuleMatcher(hasher=ssn_lookup, rules=RULES[version])
    scores = Scores(f"EdGate {matcher.version}" + (" page 1" if page1 else ""))
    start = time.perf_counter()
    index = MemoryIndex()
    refused: dict[str, str] = {}  # record id -> the column that made the importer refuse it
    kept_dirty = 0  # records kept with a field unusable for matching
    with open_csv(out / "records.csv") as fh:
        for row in read(fh):
            if row.identity is not None:
                index.add(row.row_id, row.identity)
                kept_dirty += bool(row.problems)
            else:
                refused[row.row_id] = row.error.split(":")[0]
    scores.setup_s = time.perf_counter() - start
    scores.records_refused = refused  # type: ignore[attr-defined]
    scores.records_kept_dirty = kept_dirty  # type: ignore[attr-defined]
    with open_csv(out / "registrations.csv") as fh:
        for row in read(fh):
            if row.identity is None or row.problems:  # the wizard refuses a bad value
                scores.decisions[row.row_id] = ("rejected", "")
                continue
            query = replace(row.identity, **CONTACT) if page1 else row.identity
            t = time.perf_counter()
            decision = matcher.match(query, index.candidates(query))
            scores.latencies_ms.append((time.perf_counter() - t) * 1000)
            scores.decisions[row.row_id] = (decision.outcome.value, decision.candidate_id or "")
            if decision.needs_code:
                scores.needs_code.add(row.row_id)
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


Truth = dict[str, tuple[frozenset[str], str]]  # registration -> (record ids of that person, kind)


def metrics(scores: Scores, truth: Truth) -> dict[str, object]:
    scored = [q for q in truth if scores.decisions.get(q, ("rejected",))[0] != "rejected"]
    on_file = [q for q in scored if truth[q][0]]
    off_file = [q for q in scored if not truth[q][0]]
    relatives = [q for q in off_file if truth[q][1] == "relative"]
    false_exact = sum(
        1
        for q, (outcome, record) in scores.decisions.items()
        if outcome == "exact" and q in truth and record not in truth[q][0]
    )
    correct_exact = sum(
        1 for q in on_file if scores.decisions[q][0] == "exact" and scores.decisions[q][1] in truth[q][0]
    )
    found = sum(
        1
        for q in on_file
        if scores.decisions[q][0] in ("exact", "partial") and scores.decisions[q][1] in truth[q][0]
    )
    blocked = sum(1 for q in off_file if scores.decisions[q][0] == "partial")
    coded = sum(
        1
        for q in on_file
        if q in scores.needs_code
        and scores.decisions[q][0] == "exact"
        and scores.decisions[q][1] in truth[q][0]
    )
    false_coded = sum(
        1 for q in scores.needs_code if q in truth and scores.decisions[q][1] not in truth[q][0]
    )
    relative_exact = sum(1 for q in relatives if scores.decisions[q][0] == "exact")
    return {
        "registrations scored": len(on_file) + len(off_file),
        "on file / not on file (relatives)": f"{len(on_file)} / {len(off_file)} ({len(relatives)})",
        "false exact (target 0)": false_exact,
        "  of which a relative given the User Name": relative_exact,
        "  of which held behind a set-up code (E9)": false_coded,
        "recall into exact + partial (≥ 0.995)": f"{found / max(len(on_file), 1):.4f}",
        "automation: correct exact (≥ 0.95)": f"{correct_exact / max(len(on_file), 1):.4f}",
        "  of which with a set-up code (E9)": f"{coded / max(len(on_file), 1):.4f}",
        "false block: partial, not on file (≤ 1%)": f"{blocked / max(len(off_file), 1):.2%}",
        "latency p50 / p95 / p99 ms": " / ".join(
            f"{percentile(scores.latencies_ms, p):.2f}" for p in (50, 95, 99)
        ),
        "set-up (index or training) s": f"{scores.setup_s:.1f}",
    }


# --- one error model's data -------------------------------------------------------------


@dataclass
class Model:
    name: str
    out: Path
    truth: Truth
    kin: dict[str, tuple[int, str, str, str]]  # any id -> (household, role, first name, birth date)
    tags: dict[str, list[str]] = field(default_factory=dict)  # any id -> errors the generator applied
    relation: dict[str, str] = field(default_factory=dict)  # relative registration -> closest kin on file
    note: str = ""


def project_model(people: int, registrations: int, seed: int, out: Path) -> Model:
    data = synth.generate(people, registrations, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    synth.write_csv(out / "records.csv", data.records)
    synth.write_csv(out / "registrations.csv", data.registrations)
    kin = {p.id: (p.household, p.role, p.first_name, p.date_of_birth) for p in data.records}
    kin.update({q.id: (q.household, q.role, q.first_name, q.date_of_birth) for q in data.registrations})
    truth = {q: (frozenset([rid]) if rid else frozenset(), data.kinds[q]) for q, rid in data.truth.items()}
    note = f"{len(data.records)} records, {len(data.registrations)} registrations, seed {seed}"
    return Model("project model (bench.synth)", out, truth, kin, note=note)


def published_model(setting: str, people: int, registrations: int, seed: int, out: Path) -> Model:
    data = synth_published.generate(
        people, registrations, setting=synth_published.SETTINGS[setting], seed=seed
    )
    synth_published.write(data, out)
    kin = {
        i: (p.household, "junior" if p.role == "junior" else p.role, p.first, p.dob.isoformat())
        for i, p in data.people.items()
    }
    truth = {q: (ids, data.kinds[q]) for q, ids in data.truth.items()}
    note = (
        f"{len(data.records)} records, {len(data.registrations)} registrations, seed {seed}; "
        + synth_published.summary(data)
    )
    return Model(
        f"published model, {setting} (bench.synth_published)",
        out,
        truth,
        kin,
        tags=data.tags,
        relation=data.relation,
        note=note,
    )


# --- what produced EdGate's misses ---------------------------------------------------------

CHILDREN = {"child", "twin", "junior"}


def kinship(a: tuple[int, str, str, str], b: tuple[int, str, str, str]) -> str:
    if a[0] != b[0]:
        return "not of the family"
    if a[3] == b[3] and a[1] in CHILDREN and b[1] in CHILDREN:
        return "twin"
    if a[2] == b[2]:
        return "father/son of one name"
    if a[1] in CHILDREN and b[1] in CHILDREN:
        return "sibling"
    if (a[1] in CHILDREN) != (b[1] in CHILDREN):
        return "parent/child"
    return "spouse"


def rows_by_id(path: Path) -> dict[str, dict[str, str]]:
    with open_csv(path) as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def _agree(query: dict[str, str], record: dict[str, str]) -> str:
    differ = set(synth_published.disagreements(query, record))
    same = [f for f in ("first", "last", "dob", "ssn") if not any(d.startswith(f) for d in differ)]
    return "same " + "+".join(same) if same else "nothing the same"


def _line(title: str, counts: Counter[str], total: int, top: int = 12) -> list[str]:
    lines = [f"  {title}: {total}"]
    for key, n in counts.most_common(top):
        lines.append(f"    {n:6d}  {key}")
    rest = total - sum(n for _, n in counts.most_common(top))
    if rest > 0:
        lines.append(f"    {rest:6d}  (other kinds)")
    return lines


def breakdown(model: Model, scores: Scores) -> str:
    """Per kind of miss, the fields in which the registration and the true record differ."""
    records = rows_by_id(model.out / "records.csv")
    queries = rows_by_id(model.out / "registrations.csv")
    refused: dict[str, str] = scores.records_refused  # type: ignore[attr-defined]
    buckets: dict[str, Counter[str]] = {
        k: Counter()
        for k in ("partial_on", "none_on", "partial_off", "false_exact", "tags_partial", "tags_none")
    }
    totals: Counter[str] = Counter()
    for q, (ids, kind) in model.truth.items():
        outcome, record = scores.decisions.get(q, ("rejected", ""))
        query = queries[q]
        if ids and outcome in ("none", "partial"):
            usable = [records[r] for r in ids if r not in refused]
            if usable:
                differ = min((synth_published.disagreements(query, r) for r in usable), key=len)
                pattern = " + ".join(differ) or "no difference in names, DOB, SSN"
            else:
                pattern = (
                    "record refused by the importer (" + ", ".join(sorted({refused[r] for r in ids})) + ")"
                )
            if outcome == "partial" and record not in ids:
                pattern += " (partial on someone else)"
            key = "partial_on" if outcome == "partial" else "none_on"
            buckets[key][pattern] += 1
            totals[key] += 1
            for tag in model.tags.get(q, []) + [t for r in ids for t in model.tags.get(r, [])]:
                buckets["tags_partial" if outcome == "partial" else "tags_none"][tag] += 1
        elif not ids and outcome == "partial":
            rel = kinship(model.kin[q], model.kin[record]) if record in model.kin else "?"
            buckets["partial_off"][f"{kind}, {rel} on file; {_agree(query, records[record])}"] += 1
            totals["partial_off"] += 1
        if outcome == "exact" and record not in ids:
            rel = kinship(model.kin[q], model.kin[record]) if record in model.kin else "?"
            buckets["false_exact"][f"{kind}: {rel}; {_agree(query, records[record])}"] += 1
            totals["false_exact"] += 1
    lines = [f"EdGate's misses on the {model.name}:"]
    if model.relation:
        kin_counts = Counter(model.relation.values())
        lines.append(
            "  (relatives not on file, by closest kin on file: "
            + ", ".join(f"{k} {n}" for k, n in kin_counts.most_common())
            + ")"
        )
    lines += _line(
        "partial for people on file, by fields that differ from their record",
        buckets["partial_on"],
        totals["partial_on"],
    )
    lines += _line(
        "none for people on file, by fields that differ from their record",
        buckets["none_on"],
        totals["none_on"],
    )
    lines += _line(
        "partial for people not on file, by who the candidate is",
        buckets["partial_off"],
        totals["partial_off"],
    )
    if totals["false_exact"]:
        lines += _line("false exact, by who the record is", buckets["false_exact"], totals["false_exact"])
    if model.tags:
        lines += _line(
            "errors the generator applied, behind those partials (on file)",
            buckets["tags_partial"],
            sum(buckets["tags_partial"].values()),
            10,
        )
        lines += _line(
            "errors the generator applied, behind those nones (on file)",
            buckets["tags_none"],
            sum(buckets["tags_none"].values()),
            10,
        )
    return "\n".join(lines)


def report(model: Model, args: argparse.Namespace) -> None:
    print(f"=== {model.name} — {model.note}")
    # The rules versions side by side; the last one listed is broken down below.
    versions = args.rules.split(",")
    results = [run_edgate(model.out, version) for version in versions]
    # The last version once more as the wizard sends it (page 1 only): the figures for registrations.
    results.append(run_edgate(model.out, versions[-1], page1=True))
    refused = Counter(results[0].records_refused.values())  # type: ignore[attr-defined]
    valid = {q for q, (outcome, _) in results[0].decisions.items() if outcome != "rejected"}
    rejected = len(results[0].decisions) - len(valid)
    if not args.skip_splink:
        results.append(run_splink(model.out, valid, args.latency_sample))
    table = [(s.name, metrics(s, model.truth)) for s in results]
    width = max(len(k) for k in table[0][1])
    print(f"{'':{width}}  " + "  ".join(f"{name:>22}" for name, _ in table))
    for key in table[0][1]:
        print(f"{key:{width}}  " + "  ".join(f"{str(m[key]):>22}" for _, m in table))
    if not args.skip_splink:
        edgate, splink = results[len(versions) - 1], results[-1]
        print(
            f"per-registration latency p95, Splink / EdGate: "
            f"{percentile(splink.latencies_ms, 95) / percentile(edgate.latencies_ms, 95):.1f}×; "
            f"Splink in bulk: {splink.bulk_ms_per_query:.3f} ms per registration"  # type: ignore[attr-defined]
        )
    print(
        f"({rejected} registrations refused by validation, as the wizard would, and not scored; "
        f"{results[0].records_kept_dirty} agency records kept with a field unusable for matching, "  # type: ignore[attr-defined]
        f"{sum(refused.values())} refused by the importer"
        + (f" — {', '.join(f'{k} {n}' for k, n in refused.most_common())}" if refused else "")
        + ")\n"
    )
    print(breakdown(model, results[len(versions) - 1]))
    print()
    wizard = breakdown(model, results[len(versions)])
    print(wizard.replace("EdGate's misses", "EdGate's misses, page 1 only,", 1))
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000, help="project model")
    parser.add_argument("--registrations", type=int, default=20_000, help="project model")
    parser.add_argument("--published-people", type=int, default=50_000)
    parser.add_argument("--published-registrations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=73001)
    parser.add_argument("--published-seed", type=int, default=91001)
    parser.add_argument(
        "--models", default="project,noisy,clean", help="comma-separated: project, noisy, clean"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument(
        "--rules",
        default=None,
        help="rules versions side by side, e.g. rules-2,rules-3 (default: EDGATE['MATCH_RULES'])",
    )
    parser.add_argument(
        "--latency-sample", type=int, default=200, help="Splink registrations timed one by one"
    )
    args = parser.parse_args()
    args.rules = args.rules or conf.get().match_rules
    started = time.perf_counter()
    for name in args.models.split(","):
        if name == "project":
            model = project_model(args.people, args.registrations, args.seed, args.out / "project")
        else:
            model = published_model(
                name,
                args.published_people,
                args.published_registrations,
                args.published_seed,
                args.out / f"published-{name}",
            )
        report(model, args)
    print(
        f"Splink decisions: exact p ≥ {EXACT_P}, partial p ≥ {PARTIAL_P}. "
        f"Whole run: {time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
