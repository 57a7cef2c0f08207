"""Learn the matcher's field weights (Fellegi-Sunter m and u per comparison kind) from data.

    .venv/bin/python -m bench.learn_weights [--models project,noisy,clean] [--people 50000]
        [--registrations 10000] [--seed 55001]

How RULES_3.weights were obtained (src/edgate/identity/rules.py, docs/matching.md):

* data: generated person files and registrations against them from both error models, pooled
  (bench.synth, and bench.synth_published's noisy and clean settings with their dirty
  records), on a seed of their own (55001), never the evaluation's (73001, 91001); the truth
  is NOT used — the estimate is unsupervised, as it would be on an agency's own files;
* m (how often a kind is seen for one person): expectation-maximisation of a two-class
  mixture over the comparison vectors of every blocked pair (the candidates `MemoryIndex`
  gives each registration), both classes' distributions estimated there, fields taken as
  conditionally independent given the class (the usual Fellegi-Sunter assumption, untrue
  within families, which is why the decision never rests on the total); a missing field is
  no evidence and is left out; half-count smoothing, and no m below 0.001 (M_FLOOR);
* u (how often a kind is seen for two different people): the kinds of random record ×
  registration pairs (--random pairs), add-one smoothed — as Splink estimates u;
* weight = log2(m / u), rounded to 0.1; a kind never seen in blocked pairs keeps a smoothed m.

It prints the table and a `weights = {...}` literal to paste into rules.py. The weights rank
candidates with the same outcome and fill the reviewers' score; they never decide `exact`.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgate.settings.dev")
django.setup()

from bench import synth, synth_published  # noqa: E402
from edgate.identity.blocking import MemoryIndex  # noqa: E402
from edgate.identity.compare import FIELDS, compare_all  # noqa: E402
from edgate.importer.rows import open_csv, read  # noqa: E402
from edgate.people.models import ssn_lookup  # noqa: E402

Vector = tuple[str, ...]
# No kind is taken as rarer than this for one person: a kind the data never showed for the
# same person (a changed phone in a model that never changes it) is rare, not impossible.
M_FLOOR = 0.001


def load(model: str, people: int, registrations: int, seed: int, out: Path) -> tuple[list, list]:
    """Records and registrations of one error model: `project` (bench.synth) or `noisy` /
    `clean` (bench.synth_published), as the importer reads them (dirty fields unusable)."""
    out = out / model
    out.mkdir(parents=True, exist_ok=True)
    if model == "project":
        data = synth.generate(people, registrations, seed=seed)
        synth.write_csv(out / "records.csv", data.records)
        synth.write_csv(out / "registrations.csv", data.registrations)
    else:
        published = synth_published.generate(
            people, registrations, setting=synth_published.SETTINGS[model], seed=seed
        )
        synth_published.write(published, out)
    parsed = []
    for name in ("records.csv", "registrations.csv"):
        with open_csv(out / name) as fh:
            parsed.append([(row.row_id, row.identity) for row in read(fh) if row.identity is not None])
    return parsed[0], parsed[1]


def vector(q, r) -> Vector:
    results = compare_all(q, r, ssn_lookup)
    return tuple(results[name].kind for name in FIELDS)


def _counts(pairs: Counter[Vector], i: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for v, n in pairs.items():
        counts[v[i]] += n
    return counts


def estimate(
    blocked: Counter[Vector], randoms: Counter[Vector], iterations: int = 100
) -> tuple[list[dict[str, float]], list[dict[str, float]], float]:
    """m by EM for a two-class mixture over the blocked pairs (its u estimated there too, so
    that relatives sharing a surname, birth date and address fall in the other class instead
    of pulling m towards them); u of the weights from random pairs, as Splink does. A missing
    field is no evidence: it is left out of both likelihoods. Returns m, u, λ."""
    kinds = [(set(_counts(blocked, i)) | set(_counts(randoms, i))) - {"missing"} for i in range(len(FIELDS))]
    n_random = sum(randoms.values())
    u_random = []
    for i in range(len(FIELDS)):
        counts = _counts(randoms, i)
        u_random.append({k: (counts[k] + 1) / (n_random + len(kinds[i])) for k in kinds[i]})
    u = u_random
    m = [{k: (0.9 if k == "exact" else 0.1 / max(len(ks) - 1, 1)) for k in ks} for ks in kinds]
    lam = 0.5
    for _ in range(iterations):
        m_counts: list[defaultdict[str, float]] = [defaultdict(float) for _ in FIELDS]
        u_counts: list[defaultdict[str, float]] = [defaultdict(float) for _ in FIELDS]
        n_match = n_other = 0.0
        for v, n in blocked.items():
            pm = lam * math.prod(m[i][k] for i, k in enumerate(v) if k != "missing")
            pu = (1 - lam) * math.prod(u[i][k] for i, k in enumerate(v) if k != "missing")
            p = pm / (pm + pu)
            n_match += p * n
            n_other += (1 - p) * n
            for i, k in enumerate(v):
                if k != "missing":
                    m_counts[i][k] += p * n
                    u_counts[i][k] += (1 - p) * n
        lam = n_match / (n_match + n_other)
        m = [_smoothed(m_counts[i], kinds[i]) for i in range(len(FIELDS))]
        u = [_smoothed(u_counts[i], kinds[i]) for i in range(len(FIELDS))]
    m = [{k: max(p, M_FLOOR) for k, p in by_kind.items()} for by_kind in m]
    return m, u_random, lam


def _smoothed(counts: dict[str, float], kinds: set[str]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: (counts.get(k, 0.0) + 0.5) / (total + 0.5 * len(kinds)) for k in kinds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="project,noisy,clean", help="error models, pooled")
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--random", type=int, default=100_000, help="random pairs per model, for u")
    parser.add_argument("--seed", type=int, default=55001, help="not an evaluation seed")
    parser.add_argument("--out", type=Path, default=Path("bench/out/weights"))
    args = parser.parse_args()

    start = time.perf_counter()
    blocked: Counter[Vector] = Counter()
    randoms: Counter[Vector] = Counter()
    rng = random.Random(args.seed)  # noqa: S311 - sampling, not secrets
    sizes = []
    for model in args.models.split(","):
        records, queries = load(model, args.people, args.registrations, args.seed, args.out)
        index = MemoryIndex()
        for rid, identity in records:
            index.add(rid, identity)
        pairs = 0
        for _, q in queries:
            for candidate in index.candidates(q):
                blocked[vector(q, candidate.identity)] += 1
                pairs += 1
        for _ in range(args.random):
            randoms[vector(rng.choice(queries)[1], rng.choice(records)[1])] += 1
        sizes.append(f"{model}: {len(records)} records, {len(queries)} registrations, {pairs} blocked pairs")
    m, u, lam = estimate(blocked, randoms)
    print(
        f"seed {args.seed}; " + "; ".join(sizes) + f"; {args.random} random pairs per model; "
        f"λ = {lam:.3f}; {time.perf_counter() - start:.0f} s\n"
    )
    print(f"{'field':<14} {'kind':<18} {'m':>9} {'u':>11} {'log2(m/u)':>10}")
    weights: dict[str, dict[str, float]] = {}
    for i, name in enumerate(FIELDS):
        weights[name] = {}
        for k in sorted(m[i], key=lambda k: -m[i][k]):
            weight = round(math.log2(m[i][k] / u[i][k]), 1)
            weights[name][k] = weight
            print(f"{name:<14} {k:<18} {m[i][k]:>9.5f} {u[i][k]:>11.3g} {weight:>10.1f}")
    print("\nweights = {")
    for name, by_kind in weights.items():
        print(f'    "{name}": {by_kind!r},'.replace("'", '"'))
    print("}")


if __name__ == "__main__":
    main()
