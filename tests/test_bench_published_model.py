"""bench/synth_published.py, the second error model `make evaluate` reports: what it promises.

Faker is a bench-only dependency (requirements-bench.lock, installed by `make evaluate`); without
it these tests are skipped."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("faker")

from bench import synth_published as model  # noqa: E402

from edgate.importer.rows import open_csv, read  # noqa: E402


@pytest.fixture(scope="module")
def noisy() -> model.Dataset:
    return model.generate(4000, 800, setting=model.NOISY, seed=5)


def test_the_same_seed_gives_the_same_data() -> None:
    a = model.generate(500, 100, setting=model.CLEAN, seed=9)
    b = model.generate(500, 100, setting=model.CLEAN, seed=9)
    assert a.records == b.records and a.registrations == b.registrations and a.truth == b.truth


def test_agency_records_are_dirty_and_registrations_are_what_the_wizard_accepts(
    noisy: model.Dataset, tmp_path: Path
) -> None:
    model.write(noisy, tmp_path)
    with open_csv(tmp_path / "records.csv") as fh:
        records = list(read(fh))
    unusable = Counter(problem.split(":")[0] for row in records for problem in row.problems)
    assert {"date_of_birth", "ssn", "postcode"} <= set(unusable)
    assert sum(not row.ssn for row in (r.identity for r in records) if row) > len(records) / 10
    with open_csv(tmp_path / "registrations.csv") as fh:
        registrations = list(read(fh))
    assert len(registrations) == 800
    assert all(row.identity is not None and not row.problems for row in registrations)


def test_truth_links_only_the_same_person_and_relatives_are_not_on_file(noisy: model.Dataset) -> None:
    on_file = {noisy.people[r["id"]].pid for r in noisy.records}
    duplicates = 0
    for query in noisy.registrations:
        person = noisy.people[query["id"]]
        ids = noisy.truth[query["id"]]
        if noisy.kinds[query["id"]] == "on_file":
            assert ids and all(noisy.people[r].pid == person.pid for r in ids)
            duplicates += len(ids) > 1
        else:
            assert not ids and person.pid not in on_file
    assert duplicates  # a person with two records on file is among the registrants
    kin = Counter(noisy.relation.values())
    assert kin["twin"] and kin["father/son of one name"] and kin["sibling"] and kin["spouse"]


def test_the_noisy_setting_is_as_far_apart_as_documented(noisy: model.Dataset) -> None:
    """About 45% of true pairs agree on names, birth date and SSN, about 40% differ in one."""
    by_id = {r["id"]: r for r in noisy.records}
    apart = Counter(
        min(len(model.disagreements(q, by_id[r])) for r in noisy.truth[q["id"]])
        for q in noisy.registrations
        if noisy.truth[q["id"]]
    )
    total = sum(apart.values())
    assert 0.38 <= apart[0] / total <= 0.55
    assert 0.33 <= apart[1] / total <= 0.48
