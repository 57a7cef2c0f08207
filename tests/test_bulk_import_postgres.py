"""The bulk import path (PostgreSQL) gives the same outcome, row for row, as the per-row path."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import re
from io import StringIO
from pathlib import Path

import pytest
from bench import synth
from django.core.management import call_command
from django.db import connection

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.core.context import Ctx
from edgate.directory.models import Organization, OrgType
from edgate.people.models import Person
from tests.pii import register_ssn

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def person_file(tmp_path: Path) -> Path:
    """Records plus, appended, registrations of the same people (typos, nicknames, duplicates)."""
    data = synth.generate(300, 120, seed=11)
    rows = data.records + data.registrations + data.records[:5]  # exact duplicates too
    for r in rows:
        register_ssn(r.ssn)
    path = tmp_path / "people.csv"
    synth.write_csv(path, rows)
    with path.open("a", encoding="utf-8") as fh:
        # Dirty rows are kept (an impossible birth date; an invalid SSN and ZIP), one is rejected.
        fh.write("bad1,Ann,,Lee,,1990-02-30,,,,,,,,\n")
        fh.write("bad2,Ola,,Berg,,1985-06-07,666-12-3456,,,,,0123,,\n")
        fh.write("none1,,,,,1990-02-03,,,,,,,x@example.org,\n")
    return path


def audit_log_intact() -> bool:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return f"{AuditEvent.objects.count()} events checked" in out.getvalue()


def outcomes(report: Path) -> list[tuple[str, str]]:
    with report.open(newline="", encoding="utf-8") as fh:
        return [(row["row_id"], row["result"]) for row in csv.DictReader(fh)]


def snapshot() -> tuple[list[tuple[object, ...]], int, int]:
    people = sorted(
        (p.first_name, p.last_name, p.ssn_last4, json.dumps(p.data_problems, sort_keys=True), p.dob_digits)
        + tuple(sorted(p.data_problem_values().items()))
        for p in Person.objects.all()
    )
    created = AuditEvent.objects.filter(event_type=EventType.PERSON_CREATED).count()
    return people, Profile.objects.count(), created


def audit_trail() -> list[tuple[object, ...]]:
    """Every event as the two paths must agree on it (ids and times aside; case references are random)."""
    trail = []
    for event in AuditEvent.objects.all():
        detail = {k: v for k, v in event.detail.items() if k != "reference"}
        trail.append(
            (
                event.event_type,
                event.outcome,
                event.actor_id,
                event.actor_label,
                event.client_ip,
                event.target_type,
                json.dumps(detail, sort_keys=True),
            )
        )
    return sorted(trail)


IMPORTER = Ctx(client_ip="192.0.2.44", actor_id=7, actor_label="import:bulk")


def second_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Rows prepared by the second process whatever the file's size; returns the file in which
    each child writes its process id."""
    from edgate.importer import prepare

    monkeypatch.setattr(prepare, "MIN_ROWS", 0)
    pids, produce = tmp_path / "children.txt", prepare._produce

    def noted(*args: object) -> None:
        with pids.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        produce(*args)

    monkeypatch.setattr(prepare, "_produce", noted)
    return pids


def children(pids: Path) -> list[int]:
    return [int(pid) for pid in pids.read_text().split()] if pids.exists() else []


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True  # ended and reaped
    return False


@pytest.mark.parametrize(
    ("prepared_ahead", "writer_process"),
    [(False, True), (True, True), (True, False)],
    ids=["one-process", "second-process", "no-writer-process"],
)
def test_bulk_and_per_row_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prepared_ahead: bool, writer_process: bool
) -> None:
    from edgate.importer import bulk as bulk_module

    pids = second_process(tmp_path, monkeypatch) if prepared_ahead else tmp_path / "none.txt"

    # The import's context, as an operator's console would give it: both paths must carry it.
    monkeypatch.setattr(Ctx, "system", classmethod(lambda cls, label="system": IMPORTER))
    # Small batches, so that most are written by the writer process while the next is matched
    # (the command's way), between rows that take the per-row path.
    monkeypatch.setattr(bulk_module, "BATCH_SIZE", 40)
    writers = tmp_path / "writers.txt"
    write_batch = bulk_module.write_batch

    def spied(*args, **kwargs):  # type: ignore[no-untyped-def]
        with writers.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return write_batch(*args, **kwargs)

    monkeypatch.setattr(bulk_module, "write_batch", spied)
    if not writer_process:  # every batch written by the import process itself (as in a dry run)
        init = bulk_module.BulkImporter.__init__

        def in_process(self, **kwargs):  # type: ignore[no-untyped-def]
            init(self, **(kwargs | {"background": False}))

        monkeypatch.setattr(bulk_module.BulkImporter, "__init__", in_process)
    preload, children_at_preload = bulk_module.BulkImporter.preload, []

    def preload_spied(self):  # type: ignore[no-untyped-def]
        # The children are forked before the index is read (else they would share its pages).
        children_at_preload.append(len(multiprocessing.active_children()))
        preload(self)

    monkeypatch.setattr(bulk_module.BulkImporter, "preload", preload_spied)
    Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
    path = person_file(tmp_path)
    out = StringIO()
    options = {"source": "bulk", "org": "01230000", "role_title": "Teacher"}
    call_command("import", str(path), report=str(tmp_path / "bulk.csv"), stdout=out, **options)
    bulk = outcomes(tmp_path / "bulk.csv")
    batches_by = children(writers)
    assert len(batches_by) >= 3
    if writer_process:  # every batch written by the one writer process, gone now
        [writer] = set(batches_by)
        assert writer != os.getpid() and gone(writer)
    else:
        assert set(batches_by) == {os.getpid()}
    assert len(children(pids)) == int(prepared_ahead)  # the rows were read by a child, or not
    assert children_at_preload == [int(prepared_ahead) + int(writer_process)]
    assert all(pid != os.getpid() and gone(pid) for pid in children(pids))
    assert multiprocessing.active_children() == []
    with connection.cursor() as cursor:  # statistics taken after the first batch (catch-up plans)
        cursor.execute(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'people_person'"
        )
        assert cursor.fetchone() == (True,)
    bulk_state, bulk_trail = snapshot(), audit_trail()
    assert dict(bulk)["none1"] == "rejected" and dict(bulk)["bad1"] == dict(bulk)["bad2"] == "created"
    assert Person.objects.get(last_name="Berg").data_problems == {"ssn": "invalid", "postcode": "invalid"}
    assert bulk_state[2] == bulk_state[1] == len(bulk_state[0])  # one audit event per person created
    kinds = {row[0] for row in bulk_trail}
    assert {EventType.PERSON_CREATED, EventType.PROFILE_PRECREATED, EventType.STAFF_ADDED} <= kinds
    assert {(row[2], row[3], row[4]) for row in bulk_trail} == {(7, "import:bulk", "192.0.2.44")}
    assert audit_log_intact()  # the COPY'd events are chained like record_event's
    # Same file through the per-row path into an empty database.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE people_person, accounts_profile, importer_importedrow, matching_matchcase, "
            "matching_matchcase_organizations, directory_staffentry, audit_auditevent CASCADE"
        )
    call_command(
        "import", str(path), per_row=True, report=str(tmp_path / "rows.csv"), stdout=StringIO(), **options
    )
    # (The bulk report lists a rejected row at once, the created ones when their batch is written.)
    assert sorted(outcomes(tmp_path / "rows.csv")) == sorted(bulk)
    assert snapshot() == bulk_state
    assert audit_trail() == bulk_trail  # the same events: type, actor, address, target kind, detail
    # A second bulk run changes nothing.
    again = StringIO()
    call_command("import", str(path), report=str(tmp_path / "again.csv"), stdout=again, **options)
    assert "0 created" in again.getvalue()
    assert snapshot() == bulk_state
    assert audit_log_intact()
    assert len(children(pids)) == 2 * int(prepared_ahead)


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError], ids=["ctrl-c", "exception"])
def test_the_second_process_ends_with_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: type[BaseException]
) -> None:
    """Ctrl-C or an exception in the import process while the child is reading ahead: the child
    is stopped and reaped, and what was written stays written."""
    from edgate.importer import bulk, prepare

    pids = second_process(tmp_path, monkeypatch)
    monkeypatch.setattr(prepare, "CHUNK", 10)  # the child is ahead, blocked on a full queue
    monkeypatch.setattr(prepare, "QUEUED", 2)
    add, seen = bulk.BulkImporter.add, []

    def failing(self, row, prepared=None):  # type: ignore[no-untyped-def]
        seen.append(row.row_id)
        if len(seen) == 100:
            raise interrupt
        add(self, row, prepared)

    monkeypatch.setattr(bulk.BulkImporter, "add", failing)
    with pytest.raises(interrupt):
        call_command("import", str(person_file(tmp_path)), source="s", stdout=StringIO())
    [pid] = children(pids)
    assert gone(pid)
    assert multiprocessing.active_children() == []  # the writer process too


def import_and_empty(path: Path, report: Path) -> tuple[object, ...]:
    """Import `path` through the command; return what the import made, then empty the tables."""
    out = StringIO()
    call_command("import", str(path), source="s", org="01230000", report=str(report), stdout=out)
    made = (out.getvalue().split(". Report")[0], sorted(outcomes(report)), snapshot(), audit_trail())
    assert audit_log_intact()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE people_person, accounts_profile, importer_importedrow, matching_matchcase, "
            "matching_matchcase_organizations, directory_staffentry, audit_auditevent CASCADE"
        )
    return made


@pytest.mark.parametrize("failure", ["row", "crash"])
def test_a_failure_in_the_second_process_loses_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """A row the child fails on is prepared by the import process; a child that dies leaves the
    rest to the import process: the same outcome as without the child, nothing lost."""
    from edgate.importer import bulk, prepare

    monkeypatch.setattr(Ctx, "system", classmethod(lambda cls, label="system": IMPORTER))
    monkeypatch.setattr(bulk, "BATCH_SIZE", 40)
    Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
    path = person_file(tmp_path)
    expected = import_and_empty(path, tmp_path / "one.csv")  # below MIN_ROWS: no child

    pids = second_process(tmp_path, monkeypatch)
    monkeypatch.setattr(prepare, "CHUNK", 10)
    real, count = prepare.prepare, [0]

    def failing(row, extra, imported):  # type: ignore[no-untyped-def]
        count[0] += 1
        if count[0] in (55, 56, 200):
            if failure == "crash":
                os._exit(3)
            raise ValueError("a bug")
        return real(row, extra, imported)

    monkeypatch.setattr(prepare, "prepare", failing)
    assert import_and_empty(path, tmp_path / "two.csv") == expected
    [pid] = children(pids)
    assert gone(pid)
    assert multiprocessing.active_children() == []


def rows_in(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def _through_a_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, tuple[object, ...], Path]:
    """The person file, what importing it in one process makes (below MIN_ROWS: no child), and
    the file of the child's process id for the next import, which goes through a child."""
    from edgate.importer import bulk, prepare

    monkeypatch.setattr(Ctx, "system", classmethod(lambda cls, label="system": IMPORTER))
    monkeypatch.setattr(bulk, "BATCH_SIZE", 40)
    Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
    path = person_file(tmp_path)
    expected = import_and_empty(path, tmp_path / "one.csv")
    pids = second_process(tmp_path, monkeypatch)
    monkeypatch.setattr(prepare, "CHUNK", 10)
    return path, expected, pids


def test_a_child_out_of_step_loses_no_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """review2 L1: the import process checks that the child is in step with the file. Here row
    55's slot carries row 54 again (one row twice, one lost, without the check): the import
    process notices (a line not after the one before) and reads from row 55 itself."""
    from edgate.importer import prepare

    path, expected, pids = _through_a_child(tmp_path, monkeypatch)
    real, seen = prepare.prepare, []

    def out_of_step(row, extra, imported):  # type: ignore[no-untyped-def]
        seen.append(row)
        return real(seen[-2] if len(seen) == 55 else row, extra, imported)

    monkeypatch.setattr(prepare, "prepare", out_of_step)
    assert import_and_empty(path, tmp_path / "two.csv") == expected
    [pid] = children(pids)
    assert gone(pid)


@pytest.mark.parametrize("lost", ["middle", "last"])
def test_a_chunk_of_the_child_lost_on_the_way_is_out_of_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lost: str
) -> None:
    """review2 L1: a chunk the child read but that never arrives (the lines of the next one
    still increase) is noticed by the count of rows read that each chunk, and the end, carry:
    the import process reads from the row after the last one received itself."""
    from edgate.importer import prepare

    path, expected, pids = _through_a_child(tmp_path, monkeypatch)
    real, puts = prepare._put, [0]
    chunks = -(-rows_in(path) // 10)

    def losing(queue, item, parent):  # type: ignore[no-untyped-def]
        puts[0] += 1
        if puts[0] == (7 if lost == "middle" else chunks):
            return True  # "sent"
        return real(queue, item, parent)

    monkeypatch.setattr(prepare, "_put", losing)
    assert import_and_empty(path, tmp_path / "two.csv") == expected


def test_a_file_replaced_during_the_import_is_not_mixed_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """review2 M1: the file is replaced (a sync that writes a new copy and renames it over the
    old) while the import runs, and the child then dies: the rest of the rows still come from
    the file the import opened (the descriptor both processes read), not from the new one."""
    from edgate.importer import prepare

    path, expected, pids = _through_a_child(tmp_path, monkeypatch)
    real, count = prepare.prepare, [0]
    header, *lines = path.read_text(encoding="utf-8").splitlines(keepends=True)

    def replaced_then_dies(row, extra, imported):  # type: ignore[no-untyped-def]
        count[0] += 1
        if count[0] == 200:
            newer = path.with_suffix(".new")
            newer.write_text(header + "".join(reversed(lines)), encoding="utf-8")
            os.replace(newer, path)
            os._exit(3)
        return real(row, extra, imported)

    monkeypatch.setattr(prepare, "prepare", replaced_then_dies)
    assert import_and_empty(path, tmp_path / "two.csv") == expected
    [pid] = children(pids)
    assert gone(pid)


def test_a_file_changed_in_place_during_the_import_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """review2 M1: the file the import opened is written to (a row appended) while the import
    runs, and the child then dies: the import process would read the rest from a file that is
    no longer the one it began with, so it stops with a clear error instead; what it wrote
    stays written, whole (the audit chain intact, nobody twice)."""
    from django.core.management.base import CommandError

    from edgate.importer import prepare

    path, _expected, pids = _through_a_child(tmp_path, monkeypatch)
    real, count = prepare.prepare, [0]
    rows = rows_in(path)

    def changed_then_dies(row, extra, imported):  # type: ignore[no-untyped-def]
        count[0] += 1
        if count[0] == 200:
            with path.open("a", encoding="utf-8") as fh:
                fh.write("late1,Kim,,Ode,,1991-03-04,,,,,,,,\n")
            os._exit(3)
        return real(row, extra, imported)

    monkeypatch.setattr(prepare, "prepare", changed_then_dies)
    report = tmp_path / "two.csv"
    with pytest.raises(CommandError, match="changed while it was being imported"):
        call_command("import", str(path), source="s", org="01230000", report=str(report), stdout=StringIO())
    assert audit_log_intact()
    assert "late1" not in {row_id for row_id, _ in outcomes(report)}
    assert len(outcomes(report)) < rows
    [pid] = children(pids)
    assert gone(pid)
    assert multiprocessing.active_children() == []


def report_rows(report: Path, path: Path) -> list[dict[str, str]]:
    """The report's rows, every column, in order; a state ID drawn for a row that gave none and
    a case reference (both random) masked."""
    with path.open(newline="", encoding="utf-8") as fh:
        given = {row["state_id"] for row in csv.DictReader(fh)}
    with report.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["state_id"] = row["state_id"] if row["state_id"] in given else "drawn"
        row["case"] = "case" if row["case"] else ""
    return rows


def test_rows_the_second_process_read_are_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row-preparing process sends each row as it read and checked it (the clean values,
    the unusable fields and why): the import process neither reads nor checks a row again,
    and the report is the one-process import's, row for row and column for column."""
    from edgate.importer import bulk, rows

    monkeypatch.setattr(Ctx, "system", classmethod(lambda cls, label="system": IMPORTER))
    monkeypatch.setattr(bulk, "BATCH_SIZE", 40)
    Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
    path = person_file(tmp_path)
    expected = import_and_empty(path, tmp_path / "one.csv")  # below MIN_ROWS: no child

    pids = second_process(tmp_path, monkeypatch)
    here, parse, parsed_here = os.getpid(), rows.parse, []

    def counted(raw, **kwargs):  # type: ignore[no-untyped-def]
        if os.getpid() == here:
            parsed_here.append(raw.get("id"))
        return parse(raw, **kwargs)

    monkeypatch.setattr(rows, "parse", counted)
    assert import_and_empty(path, tmp_path / "two.csv") == expected
    assert len(children(pids)) == 1
    assert parsed_here == []
    one, two = report_rows(tmp_path / "one.csv", path), report_rows(tmp_path / "two.csv", path)
    assert any(row["unusable"] for row in one) and any(row["result"] == "rejected" for row in one)
    assert two == one


@pytest.mark.parametrize("failure", ["exception", "crash"])
def test_a_failure_in_the_writer_process_loses_no_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """The writer process fails on a batch (or dies): nothing of that batch was written, its rows
    go the per-row way, the import process writes the rest itself: the same outcome."""
    from edgate.importer import bulk

    monkeypatch.setattr(Ctx, "system", classmethod(lambda cls, label="system": IMPORTER))
    monkeypatch.setattr(bulk, "BATCH_SIZE", 40)
    Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
    path = person_file(tmp_path)
    expected = import_and_empty(path, tmp_path / "one.csv")

    real, writers = bulk.write_batch, tmp_path / "writers.txt"

    def failing(records, target, **kwargs):  # type: ignore[no-untyped-def]
        with writers.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        if os.getpid() != test_process and len(children(writers)) == 3:  # its third batch
            if failure == "crash":
                os._exit(3)
            raise ValueError("a bug")
        return real(records, target, **kwargs)

    test_process = os.getpid()
    monkeypatch.setattr(bulk, "write_batch", failing)
    assert import_and_empty(path, tmp_path / "two.csv") == expected
    by = children(writers)
    assert test_process not in by[:3] and by[3:] and set(by[3:]) == {test_process}
    assert multiprocessing.active_children() == []


def test_a_failed_analyze_after_the_first_batch_is_only_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statistics taken after the first batch's COMMIT fail: that batch is written, and
    reported created with its User Names, not redone row by row as "unchanged"."""
    from django.db import DatabaseError

    from edgate.importer import bulk

    monkeypatch.setattr(Ctx, "system", classmethod(lambda cls, label="system": IMPORTER))
    monkeypatch.setattr(bulk, "BATCH_SIZE", 40)
    Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
    path = person_file(tmp_path)
    expected = import_and_empty(path, tmp_path / "one.csv")

    def failing() -> None:
        raise DatabaseError("no statistics today")

    monkeypatch.setattr(bulk, "_analyze", failing)
    assert import_and_empty(path, tmp_path / "two.csv") == expected


def test_no_automatic_full_collection_while_the_rows_are_matched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once `gc.freeze()` has emptied the oldest generation, Python's own rule ran a full
    collection every 70,000 allocations, each walking every object made since the freeze (a
    batch's index entries and staged rows): not while an import adds its rows. The importer's
    own full collections (`_settle`, after each batch) still run."""
    import gc

    from edgate.importer import bulk

    data = synth.generate(6000, 10, seed=21)
    for r in data.records:
        register_ssn(r.ssn)
    path = tmp_path / "people.csv"
    synth.write_csv(path, data.records)
    monkeypatch.setattr(bulk, "BATCH_SIZE", 5000)  # one batch written while the rows are added
    state = {"adding": False, "own": False}
    automatic, own = [], []
    add, settle = bulk.BulkImporter.add, bulk.BulkImporter._settle

    def adding(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        state["adding"] = True
        try:
            add(self, *args, **kwargs)
        finally:
            state["adding"] = False

    def settling(self):  # type: ignore[no-untyped-def]
        state["own"] = True
        try:
            settle(self)
        finally:
            state["own"] = False

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2 and state["adding"]:
            (own if state["own"] else automatic).append(1)

    monkeypatch.setattr(bulk.BulkImporter, "add", adding)
    monkeypatch.setattr(bulk.BulkImporter, "_settle", settling)
    gc.callbacks.append(watch)
    try:
        call_command("import", str(path), source="gc", report=str(tmp_path / "r.csv"), stdout=StringIO())
    finally:
        gc.callbacks.remove(watch)
    assert Person.objects.count() == len(data.records)
    assert own and automatic == []


def test_a_staged_person_is_indexed_as_it_will_be_read_back(tmp_path: Path) -> None:
    from edgate.core import crypto
    from edgate.identity.blocking import record_keys
    from edgate.importer import prepare
    from edgate.importer.prepare import staged_identity
    from edgate.importer.rows import open_csv, read
    from edgate.importer.service import person_data, person_values
    from edgate.matching.candidates import identity_of
    from edgate.people.actions import PersonData, build_person, seal
    from edgate.people.models import ssn_lookup

    with open_csv(person_file(tmp_path)) as handle:
        rows = [row for row in read(handle) if row.identity is not None]
    assert any(row.problems for row in rows) and len(rows) > 400
    for row in rows:
        identity = row.identity
        assert identity is not None
        data = person_data(row, state_id="S1234567")
        # What the import process sends the writer for it (the writer builds the PersonData).
        assert PersonData(*person_values(row, state_id="S1234567")) == data
        assert PersonData(*person_values(row, state_id="S1234567", ssn=False)) == person_data(
            row, state_id="S1234567", ssn=""
        )
        person = build_person(data, source="s")
        ssn_hash = ssn_lookup(identity.ssn) if identity.ssn else ""
        assert staged_identity(identity, state_id="S1234567", ssn_hash=ssn_hash) == identity_of(person)
        # The keys the row-preparing process computes for it, with the state ID's added.
        again, prepared = prepare._received(prepare.prepare(row, {}, {}))
        assert again == row  # the row as the import process builds it from the child's values
        assert prepared is not None and prepared.record_keys is not None
        # Sealed as `build_person` would have (`seal(person_data(row))`; the encryption is random).
        sealed, expected = prepared.sealed, seal(person_data(row))
        assert sealed is not None
        assert (sealed.ssn_hash, sealed.ssn_last4) == (expected.ssn_hash, expected.ssn_last4)
        assert (sealed.ssn_ciphertext is None) == (expected.ssn_ciphertext is None)
        if sealed.ssn_ciphertext is not None:
            assert crypto.decrypt(sealed.ssn_ciphertext) == identity.ssn
        assert (sealed.data_problems_ciphertext is None) == (not row.unusable_raw)
        if sealed.data_problems_ciphertext is not None:
            assert crypto.decrypt_json(sealed.data_problems_ciphertext) == dict(row.unusable_raw)
        keys = {*prepared.record_keys, "sid:S1234567"}
        assert keys == record_keys(identity_of(person), ssn_lookup)


def test_a_registration_racing_a_batch_falls_back_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from django.db import connections

    from edgate.core.context import Ctx
    from edgate.importer import bulk
    from edgate.people.actions import PersonData, do_create_person

    data = synth.generate(40, 10, seed=12)
    for r in data.records:
        register_ssn(r.ssn)
    path = tmp_path / "p.csv"
    synth.write_csv(path, data.records)
    original = bulk.BulkImporter._catch_up

    def racing_catch_up(self, staged):  # type: ignore[no-untyped-def]
        found = original(self, staged)
        first = staged[0].row.identity

        def register() -> None:  # another session commits the same SSN after the catch-up looked
            try:
                do_create_person(
                    data=PersonData(
                        first_name=first.first_name,
                        last_name=first.last_name,
                        date_of_birth=first.date_of_birth,
                        ssn=first.ssn,
                    ),
                    source="registration",
                    ctx=Ctx.system(),
                )
            finally:
                connections.close_all()

        thread = threading.Thread(target=register)
        thread.start()
        thread.join()
        return found

    monkeypatch.setattr(bulk.BulkImporter, "_catch_up", racing_catch_up)
    out = StringIO()
    call_command("import", str(path), source="race", report=str(tmp_path / "r.csv"), stdout=out)
    results = list(dict(outcomes(tmp_path / "r.csv")).values())
    # COPY met the registration's SSN, rolled back, and every row went the per-row way: the raced
    # row is found as the registered person (its state ID differs: a conflict), the rest created.
    assert results.count("created") == len(data.records) - 1
    assert results.count("conflict") == 1
    assert Person.objects.count() == len(data.records)
    assert Profile.objects.count() == len(data.records) - 1


def test_a_user_name_taken_while_its_row_waits_in_a_batch_is_allocated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from edgate.importer import bulk
    from edgate.importer.rows import open_csv, read
    from tests.factories import new_ssn, on_file, precreated, someone
    from tests.pii import register_dob

    born = register_dob(date(1980, 1, 2))
    path = tmp_path / "one.csv"
    path.write_text(
        f"id,first_name,last_name,date_of_birth,ssn\nr1,John,Smith,{born.isoformat()},{new_ssn()}\n",
        encoding="utf-8",
    )

    def no_fallback(*args: object, **kwargs: object) -> None:
        raise AssertionError("the batch fell back to the per-row path")

    monkeypatch.setattr(bulk, "import_row", no_fallback)
    results: list[bulk.RowResult] = []
    importer = bulk.BulkImporter(
        source="s", organization=None, role_title="", ctx=Ctx.system("t"), report=results.append
    )
    importer.preload()
    with open_csv(path) as handle:
        for row in read(handle):
            importer.add(row)
    assert [item.username for item in importer.staged] == ["jsmith"]
    assert precreated(on_file(someone("Jane", "Smith"))).username == "jsmith"  # a registration, meanwhile
    importer.flush()
    assert [(r.result, r.username) for r in results] == [("created", "jsmith2")]
    assert audit_log_intact()  # the rolled-back batch left no half chain behind


def test_bulk_import_into_an_organization_chains_every_event(tmp_path: Path) -> None:
    from edgate.directory.models import Organization, OrgType

    Organization.objects.create(code="04560000", name="Riverside Regional", org_type=OrgType.DISTRICT)
    data = synth.generate(30, 5, seed=13)
    for r in data.records:
        register_ssn(r.ssn)
    path = tmp_path / "staff.csv"
    synth.write_csv(path, data.records)
    call_command(
        "import", str(path), source="hr", org="04560000", report=str(tmp_path / "s.csv"), stdout=StringIO()
    )
    staff_events = AuditEvent.objects.filter(event_type=EventType.STAFF_ADDED)
    assert staff_events.count() == len(data.records)
    assert set(staff_events.values_list("detail__organization", flat=True)) == {"04560000"}
    assert audit_log_intact()


def test_a_dirty_record_already_on_file_is_matched_by_the_bulk_path_as_by_the_per_row_path(
    tmp_path: Path,
) -> None:
    from datetime import date

    from tests.pii import register_dob

    # On file from an earlier import: Ann Lee, born "1990-02-30" (kept as its typed digits).
    register_dob(date(1990, 2, 20))
    earlier = tmp_path / "earlier.csv"
    earlier.write_text("id,first_name,last_name,date_of_birth\ne1,Ann,Lee,1990-02-30\n", encoding="utf-8")
    call_command("import", str(earlier), source="earlier", report=str(tmp_path / "e.csv"), stdout=StringIO())
    assert Person.objects.get().dob_digits == "19900230"
    # A later file gives her a real date one keystroke away, and no SSN on either side: the
    # per-row path finds her through her typed digits and holds the row for a human.
    later = tmp_path / "later.csv"
    later.write_text("id,first_name,last_name,date_of_birth\nl1,Ann,Lee,1990-02-20\n", encoding="utf-8")
    results = {}
    for per_row in (True, False):
        report = tmp_path / f"later-{per_row}.csv"
        call_command(
            "import",
            str(later),
            source=f"later-{per_row}",
            per_row=per_row,
            report=str(report),
            stdout=StringIO(),
        )
        results[per_row] = dict(outcomes(report))["l1"]
    assert results == {True: "conflict", False: "conflict"}
    assert Person.objects.count() == 1


# --- a child killed through the real command ------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _child_named(parent: int, name: str) -> int | None:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
            if ppid == str(parent) and Path(f"/proc/{pid}/comm").read_text().strip() == name:
                return int(pid)
        except OSError:
            continue
    return None


def _blocked_writing_a_pipe(pid: int) -> bool:
    """A thread of `pid` waits in the kernel for room in a pipe (/proc/PID/task/TID/wchan: pipe_write,
    anon_pipe_write on newer kernels)."""
    try:
        return any(
            "pipe_write" in (task / "wchan").read_text() for task in Path(f"/proc/{pid}/task").iterdir()
        )
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="watches the processes in /proc")
@pytest.mark.parametrize("child", ["edgate-prepare", "edgate-writer"])
def test_a_child_killed_mid_import_neither_hangs_nor_loses_a_row(tmp_path: Path, child: str) -> None:
    """`edgate import`, and SIGKILL of one of its children: the row-preparing process (a file
    above prepare.MIN_ROWS) while its feeder thread is in the middle of writing a 500-row chunk
    to the queue's pipe (the import process stopped meanwhile, so that the pipe fills), or the
    batch writer. The import notices, carries on without it, and writes every row once, its
    audit chain intact. Without the fix the import process waited forever for the rest of the
    half-written chunk (its own copy of the pipe's write end kept the end of file away)."""
    import signal
    import subprocess
    import sys
    import time

    from edgate.importer import prepare

    # Above MIN_ROWS the command starts the row-preparing process; the writer always.
    rows = prepare.MIN_ROWS + 1000 if child == "edgate-prepare" else 2000
    data = synth.generate(rows, 100, seed=4711)
    path = tmp_path / "people.csv"
    synth.write_csv(path, data.records)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "edgate.settings.test", "DATABASE_URL": url}
    command = [str(Path(sys.executable).parent / "edgate"), "import", str(path), "--source", "kill"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline, victim = time.monotonic() + 120, None
        while victim is None and time.monotonic() < deadline and process.poll() is None:
            pid = _child_named(process.pid, child)
            if pid is not None and child == "edgate-writer":
                os.kill(pid, signal.SIGKILL)  # idle, waiting for its first batch
                victim = pid
            elif pid is not None and _cpu_seconds(pid) >= 0.3:  # it reads rows: the preload is over
                os.kill(process.pid, signal.SIGSTOP)  # nobody reads the queue now
                while time.monotonic() < deadline and not _blocked_writing_a_pipe(pid):
                    time.sleep(0.02)
                assert _blocked_writing_a_pipe(pid), "the row-preparing process never filled the pipe"
                os.kill(pid, signal.SIGKILL)  # half a chunk in the pipe, the rest never comes
                victim = pid
                os.kill(process.pid, signal.SIGCONT)
            else:
                time.sleep(0.02)
        assert victim is not None, f"{child} was never seen"
        try:
            stdout, stderr = process.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the import hung after {child} was killed")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, stderr[-2000:]
    assert f"{rows} created" in stdout, stdout
    assert "failed" in stderr and "the import process" in stderr  # the warning, kind only
    assert not any(r.ssn in stdout + stderr for r in data.records)
    assert Person.objects.count() == Profile.objects.count() == rows
    assert AuditEvent.objects.filter(event_type=EventType.PERSON_CREATED).count() == rows
    assert audit_log_intact()
    assert gone(victim)


# --- a batch's rows, built without a model object per row ---------------------------------
def _reference_rows(records, target, ids, now):  # type: ignore[no-untyped-def]
    """The rows as the writer built them before: each Person, Profile and staff entry by the
    actions' builders, one model object each, and every event chained by `chained_rows`."""
    from edgate.accounts.actions import build_precreated_profile, profile_precreated_event
    from edgate.audit.events import chained_rows
    from edgate.directory.actions import build_staff_entry, staff_added_event
    from edgate.importer import bulk
    from edgate.people.actions import build_person, person_created_event

    def values(obj, columns):  # type: ignore[no-untyped-def]
        return [getattr(obj, name) for name in columns]

    from edgate.people.actions import PersonData, Sealed

    people, profiles, imported, staff, events = [], [], [], [], []
    for (person_values, sealed_parts, username, row_key, digest), person_id, profile_id, staff_id in zip(
        records, *ids, strict=True
    ):
        data = PersonData(*person_values)
        sealed = Sealed(*sealed_parts) if sealed_parts is not None else None
        person = build_person(data, source=target.source, sealed=sealed)
        person.pk, person.created_at, person.updated_at = person_id, now, now
        profile = build_precreated_profile(person=person, username=username)
        profile.pk, profile.created_at = profile_id, now
        row = values(person, bulk.PERSON_COLUMNS)
        row[bulk.PERSON_COLUMNS.index("data_problems")] = json.dumps(person.data_problems)
        people.append(row)
        profiles.append(values(profile, bulk.PROFILE_COLUMNS))
        events += [
            person_created_event(person, ctx=target.ctx),
            profile_precreated_event(profile, ctx=target.ctx),
        ]
        imported.append((target.source, row_key, digest, "created", person_id, now))
        if target.organization is not None:
            entry = build_staff_entry(
                person=person, organization=target.organization, role_title=target.role_title
            )
            entry.pk, entry.created_at = staff_id, now
            staff.append(values(entry, bulk.STAFF_COLUMNS))
            events.append(staff_added_event(entry, ctx=target.ctx))
    return [
        ("people_person", bulk.PERSON_COLUMNS, people),
        ("accounts_profile", bulk.PROFILE_COLUMNS, profiles),
        ("importer_importedrow", bulk.ROW_COLUMNS, imported),
        ("directory_staffentry", bulk.STAFF_COLUMNS, staff),
        ("audit_auditevent", bulk.AUDIT_COLUMNS, chained_rows(events, at=now)),
    ]


@pytest.mark.parametrize("org", [True, False], ids=["with-org", "without-org"])
@pytest.mark.parametrize("ctx", [IMPORTER, Ctx.system("import:s")], ids=["operator", "system"])
def test_a_batch_is_what_the_builders_build_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, org: bool, ctx: Ctx
) -> None:
    """`bulk.batch_rows` (no model object per row; templates from the builders, the events'
    canonical text around the ids encoded once) gives every table's rows, column for column,
    as one model object per row did; the batch is then written (no column missing: a NOT NULL
    column that COPY left out would fail it) and the audit chain verifies."""
    from django.contrib.auth.hashers import is_password_usable
    from django.db import transaction
    from django.utils import timezone

    from edgate.core import crypto
    from edgate.importer import bulk
    from edgate.importer.rows import open_csv, read
    from edgate.importer.service import person_data
    from edgate.people.actions import seal

    # Encryption made repeatable (a fresh IV each time otherwise), so that both ways compare.
    monkeypatch.setattr(crypto, "encrypt", lambda text: b"sealed:" + text.encode()[::-1])
    organization = (
        Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
        if org
        else None
    )
    target = bulk.Target("s", organization, "Teacher", ctx)
    with open_csv(person_file(tmp_path)) as handle:
        rows, ssns = [], set()
        for row in read(handle):  # one row per person (the file repeats some): the batch is written
            if row.identity is not None and (not row.identity.ssn or row.identity.ssn not in ssns):
                rows.append(row)
                ssns.add(row.identity.ssn)
    records = []
    for i, row in enumerate(rows):
        data = person_data(row, state_id=f"{10_000_000 + i}")
        sealed = seal(data) if i % 2 else None  # sealed ahead by the row-preparing process, or not
        if sealed is not None:
            data = person_data(row, state_id=f"{10_000_000 + i}", ssn="")
        records.append(bulk.as_record(data, sealed, f"user{i}", f"key{i}", f"digest{i}"))
    n = len(records)
    ids = (list(range(1, n + 1)), list(range(501, n + 501)), list(range(901, n + 901)) if org else [0] * n)
    now = timezone.now()
    with transaction.atomic():  # the chain claimed once, its head read before anything is written
        fast = bulk.batch_rows(records, target, ids, now)
        slow = _reference_rows(records, target, ids, now)
    assert [(table, columns) for table, columns, _ in fast] == [
        (table, columns) for table, columns, _ in slow
    ]
    password = bulk.PROFILE_COLUMNS.index("password")
    for (table, columns, got), (_, _, expected) in zip(fast, slow, strict=True):
        count = {"audit_auditevent": n * (3 if org else 2), "directory_staffentry": n if org else 0}
        assert len(got) == len(expected) == count.get(table, n)
        assert all(len(row) == len(columns) for row in got)
        if table == "accounts_profile":  # random: each its own, and unusable
            passwords = [row[password] for row in got]
            assert len(set(passwords)) == n and not any(map(is_password_usable, passwords))
            got = [row[:password] + row[password + 1 :] for row in got]
            expected = [row[:password] + row[password + 1 :] for row in expected]
        assert [tuple(row) for row in got] == [tuple(row) for row in expected], table
    monkeypatch.undo()
    written = bulk.write_batch(
        [(*r[:2], f"writ{i}", *r[3:]) for i, r in enumerate(records)],
        target,
        after_person=0,
        after_profile=0,
        analyze=False,
    )
    assert written.ok and not written.retry
    assert Person.objects.count() == Profile.objects.count() == n
    assert audit_log_intact()


HEADER = "id,first_name,middle_name,last_name,former_last_name,date_of_birth,ssn,state_id,street,city,state,postcode,email,phone\n"


def report_by_line(report: Path) -> list[tuple[str, str, str, str]]:
    """The report's (line, row id, result, reason), in the file's order (the bulk path reports
    a rejected row at once, the created ones when their batch is written)."""
    with report.open(newline="", encoding="utf-8") as fh:
        rows = [(row["line"], row["row_id"], row["result"], row["reason"]) for row in csv.DictReader(fh)]
    return sorted(rows, key=lambda row: int(row[0]))


@pytest.mark.parametrize("mode", ["per-row", "bulk", "second-process"])
def test_a_row_id_longer_than_the_import_keeps_is_reported_and_the_file_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """ImportedRow keeps a row's id in 64 characters: a longer one is that row's rejection (its
    line, never its value), not a database error that stops the import (per row) or fails
    every batch it is in (bulk, the writer process)."""
    if mode == "second-process":
        second_process(tmp_path, monkeypatch)
    for ssn in ("219453381", "219453382", "219453383", "219453384"):
        register_ssn(ssn)
    long_id, longest = "X" * 65, "Y" * 64
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER
        + "ok1,Ann,,Lee,,,219-45-3381,,,,,,,\n"
        + f"{long_id},Bob,,Ray,,,219-45-3382,,,,,,,\n"
        + f"{longest},Cy,,Dee,,,219-45-3383,,,,,,,\n"
        + f"{long_id}Z,Ann,,Lee,,,219-45-3381,,,,,,,\n"  # the person of ok1 again (the per-row way)
        + "ok5,Eve,,Fox,,,219-45-3384,,,,,,,\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    out = StringIO()
    call_command("import", str(path), source="s", per_row=mode == "per-row", report=str(report), stdout=out)
    too_long = "id: longer than 64 characters; the row was not imported"
    assert report_by_line(report) == [
        ("2", "ok1", "created", ""),
        ("3", "", "rejected", too_long),
        ("4", longest, "created", ""),
        ("5", "", "rejected", too_long),
        ("6", "ok5", "created", ""),
    ]
    assert long_id not in report.read_text() and long_id not in out.getvalue()
    assert "3 created" in out.getvalue() and "2 rejected" in out.getvalue()
    assert Person.objects.count() == 3


@pytest.mark.parametrize("mode", ["per-row", "bulk", "second-process"])
def test_a_control_character_in_a_row_id_is_that_rows_rejection_not_the_files_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """review6 M1: PostgreSQL refuses a NUL in text, so a NUL in a row's id stopped the import
    (per row) or failed the batch it was in (bulk). Now, like any control character in an id,
    it is that row's rejection on its line, the id (the value) not in the report."""
    if mode == "second-process":
        second_process(tmp_path, monkeypatch)
    for ssn in ("219453381", "219453382", "219453383", "219453384"):
        register_ssn(ssn)
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER
        + "ok1,Ann,,Lee,,,219-45-3381,,,,,,,\n"
        + "n\x00l,Bo,,Ray,,,219-45-3382,,,,,,,\n"
        + "t\x1bb,Cy,,Dee,,,219-45-3383,,,,,,,\n"
        + "n\x00,,,,,,,,,,,,,\n"  # rejected anyway: without its id in the report either
        + "ok5,Eve,,Fox,,,219-45-3384,,,,,,,\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    out = StringIO()
    call_command("import", str(path), source="s", per_row=mode == "per-row", report=str(report), stdout=out)
    control = "id: contains control characters; the row was not imported"
    rows = report_by_line(report)
    assert [row[:3] for row in rows] == [
        ("2", "ok1", "created"),
        ("3", "", "rejected"),
        ("4", "", "rejected"),
        ("5", "", "rejected"),
        ("6", "ok5", "created"),
    ]
    assert rows[1][3] == rows[2][3] == control
    assert "2 created" in out.getvalue() and "3 rejected" in out.getvalue()
    assert sorted(Person.objects.values_list("last_name", flat=True)) == ["Fox", "Lee"]


def import_modes(mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The command's options for `mode`: row by row, bulk (batches by the writer process), or
    bulk with the rows prepared by the second process too."""
    from edgate.importer import bulk as bulk_module

    monkeypatch.setattr(bulk_module, "BATCH_SIZE", 2)  # a batch written, one staged when the file breaks
    if mode == "second-process":
        second_process(tmp_path, monkeypatch)
    return {"source": "s", "per_row": mode == "per-row", "report": str(tmp_path / "report.csv")}


def kept_values() -> list[str]:
    """Every raw value kept for the administrator (a data-quality problem), decrypted."""
    return [value for person in Person.objects.all() for value in person.data_problem_values().values()]


MODES = ["per-row", "bulk", "second-process"]


@pytest.mark.parametrize("mode", MODES)
def test_malformed_rows_are_reported_each_on_its_lines_and_the_import_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """A stray quote, a cell over csv's limit (on main: `_csv.Error` stopped the import), a
    quoted cell over several lines (on main: the row after it became this row's street, another
    person's SSN kept as its unusable raw value): each its row's rejection, with its lines."""
    options = import_modes(mode, tmp_path, monkeypatch)
    for ssn in ("219453381", "219453382", "219453383", "219453384"):
        register_ssn(ssn)
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER
        + "ok1,Ann,,Lee,,,219-45-3381,,,,,,,\n"
        + 'bad2,Bo,,"Ray"s,,,,,,,,,,\n'
        + "big3,Cy,,Dee,,,,,"
        + "A" * 200_000
        + ",,,,,\n"
        + 'q4,Di,,Eck,,,,,"14 Elm St,,,,,\n'
        + "ok5,Eve,,Fox,,,219-45-3382,,,,,,,\n"  # swallowed by q4's street
        + 'ok6,Flo,,Gee,,,219-45-3383,,",,,,,\n'  # closes it: lines 5-7 are one record
        + "ok8,Gus,,Hay,,,219-45-3384,,,,,,,\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import", str(path), stdout=out, **options)
    rows = report_by_line(tmp_path / "report.csv")
    assert [row[:3] for row in rows] == [
        ("2", "ok1", "created"),
        ("3", "", "rejected"),
        ("4", "", "rejected"),
        ("5", "q4", "rejected"),
        ("8", "ok8", "created"),
    ]
    assert [row[3] for row in rows[1:4]] == [
        "not CSV on line 3: a quote in the middle of a cell (one inside a cell is written twice); the row is not read",
        "not CSV on line 4: a cell longer than 131072 characters; the row is not read",
        "lines 5–7 are one row: a line break inside a quoted cell (street), a quote left open?; one is kept "
        "only in a row with the header's number of cells, on at most 4 lines, with no comma or quote in it, so "
        "no row on these lines is read",
    ]
    assert "2 created" in out.getvalue() and "3 rejected" in out.getvalue()
    assert sorted(Person.objects.values_list("last_name", flat=True)) == ["Hay", "Lee"]
    assert kept_values() == []  # nobody's text kept as another row's value


@pytest.mark.parametrize("mode", MODES)
def test_a_street_typed_on_two_lines_keeps_its_person_and_a_swallowed_row_is_still_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Issue 9: a street typed on two lines in a spreadsheet (a quoted cell over two lines)
    keeps its person (on main: rejected, a duplicate Profile at the next import that has it on
    one line), the street unusable and its text kept for the administrator; the rows after it
    keep their own lines. A quote left open that a later quote closes (another person's SSN in
    the cell) and a cell over five lines are still rejected whole, none of their text kept."""
    options = import_modes(mode, tmp_path, monkeypatch)
    for ssn in ("219453381", "219453382", "219453383", "219453384"):
        register_ssn(ssn)
    path = tmp_path / "people.csv"
    path.write_bytes(
        (
            HEADER.replace("\n", "\r\n")
            + "ok1,Ann,,Lee,,,219-45-3381,,,,,,,\r\n"
            + 'st2,Bo,,Ray,,,219-45-3382,,"12 Oak Rd\nApt 2",Springfield,IL,62704,,\r\n'  # as Excel writes it
            + "ok4,Cy,,Dee,,,,,,,,,,\r\n"
            + 'q5,Di,,Eck,,,,,"14 Elm St,,,,,\r\n'
            + "ok6,Eve,,Fox,,,219-45-3383,,,,,,,\r\n"  # swallowed by q5's street
            + 'ok7,Flo,,Gee,,,,,",,,,,\r\n'  # closes it: lines 5–7 are one record
            + 'st8,Gus,,Hay,,,,,"1 Elm St\nApt 2\nBuilding B\nc/o Ida Hay\nPO Box 3",,,,,\r\n'  # five lines
            + "ok13,Jo,,Jay,,,219-45-3384,,,,,,,\r\n"
        ).encode()
    )
    out = StringIO()
    call_command("import", str(path), stdout=out, **options)
    rows = report_by_line(tmp_path / "report.csv")
    assert [row[:3] for row in rows] == [
        ("2", "ok1", "created"),
        ("3", "st2", "created"),
        ("5", "ok4", "created"),
        ("6", "q5", "rejected"),
        ("9", "st8", "rejected"),
        ("14", "ok13", "created"),
    ]
    assert "lines 6–8 are one row" in rows[3][3] and "lines 9–13 are one row" in rows[4][3]
    assert "4 created" in out.getvalue() and "2 rejected" in out.getvalue()
    with (tmp_path / "report.csv").open(newline="", encoding="utf-8") as fh:
        unusable = {row["row_id"]: row["unusable"] for row in csv.DictReader(fh)}
    assert unusable["st2"] == "street: line break in the cell" and not unusable["ok4"]
    bo = Person.objects.get(last_name="Ray")
    assert (bo.street, bo.city, bo.state, bo.postcode) == ("", "Springfield", "IL", "62704")
    assert bo.data_problems == {"street": "line_break"}
    assert bo.data_problem_values() == {"street": "12 Oak Rd\nApt 2"}
    assert sorted(Person.objects.values_list("last_name", flat=True)) == ["Dee", "Jay", "Lee", "Ray"]
    assert kept_values() == ["12 Oak Rd\nApt 2"]  # nobody else's text


@pytest.mark.parametrize("mode", MODES)
def test_a_lone_cr_in_a_cell_keeps_the_row_whole_its_field_unusable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """review6 M2: a lone CR in an unquoted cell ended the row there (the file is read with
    newline=""): half a person imported, the rest of the line another row, an SSN's last digits
    in the report's row_id column. Now the row is whole, that field unusable (its raw text kept
    for the administrator); a CR in the id is the row's rejection, the id not reported."""
    options = import_modes(mode, tmp_path, monkeypatch)
    for ssn in ("219453381", "219453382", "219453383"):
        register_ssn(ssn)
    path = tmp_path / "people.csv"
    path.write_bytes(
        (
            HEADER.replace("\n", "\r\n")
            + "ok1,Ann,,Lee,,,219-45-3381,,,,,,,\r\n"
            + "cr2,Bo,,Ray,,,219-45-\r3382,,12 Oak Rd,,,,,\r\n"
            + "c\r3,Cy,,Dee,,,219-45-3383,,,,,,,\r\n"
            + "ok4,Di,,Eck,,,,,,,,,,\r\n"
        ).encode()
    )
    out = StringIO()
    call_command("import", str(path), stdout=out, **options)
    rows = report_by_line(tmp_path / "report.csv")
    assert rows == [
        ("2", "ok1", "created", ""),
        ("3", "cr2", "created", ""),
        ("4", "", "rejected", "id: contains control characters; the row was not imported"),
        ("5", "ok4", "created", ""),
    ]
    # The SSN's digits are in no cell of the report (a cell is compared whole: a User Name or a
    # record number drawn at random can contain "3382").
    report_cells = [
        cell for row in csv.reader(StringIO((tmp_path / "report.csv").read_text())) for cell in row
    ]
    assert not [cell for cell in report_cells if re.search(r"(?<![0-9])3382(?![0-9])", cell)]
    bo = Person.objects.get(last_name="Ray")
    assert (bo.ssn_last4, bo.street, bo.data_problems) == ("", "12 Oak Rd", {"ssn": "line_break"})
    assert kept_values() == ["219-45-\r3382"]
    assert sorted(Person.objects.values_list("last_name", flat=True)) == ["Eck", "Lee", "Ray"]


@pytest.mark.parametrize("mode", MODES)
def test_a_quote_never_closed_stops_the_import_at_its_line_keeping_every_row_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """On main csv read the rest of the file silently into the street of the row with the
    quote (the rows after it gone, another person's SSN kept as its raw value). Now the import
    stops there with the line, after writing every row before it (a batch staged too); the
    file, its quote closed, is imported again from where it stopped."""
    from django.core.management.base import CommandError

    options = import_modes(mode, tmp_path, monkeypatch)
    for ssn in ("219453381", "219453382", "219453383", "219453384"):
        register_ssn(ssn)
    before = (
        HEADER
        + "ok1,Ann,,Lee,,,219-45-3381,,,,,,,\n"
        + "ok2,Bo,,Ray,,,219-45-3382,,,,,,,\n"
        + "ok3,Cy,,Dee,,,219-45-3383,,,,,,,\n"
    )
    path = tmp_path / "people.csv"
    path.write_text(before + 'q5,Di,,Eck,,,,,"14 Elm St,,,,,\n' + "ok6,Eve,,Fox,,,219-45-3384,,,,,,,\n")
    out = StringIO()
    with pytest.raises(CommandError) as stopped:
        call_command("import", str(path), stdout=out, **options)
    assert str(stopped.value) == (
        f"{path}, line 5: a quote opened on it or after it is never closed, so lines 5–6 would be one cell; "
        "no row from line 5 on is read. The rows before it are imported (see the report); close the quote "
        "and import the file again (the rows imported already are found unchanged)."
    )
    assert "3 created, 0 updated, 0 confirmed, 0 unchanged, 0 conflict, 0 rejected" in out.getvalue()
    assert [row[:3] for row in report_by_line(tmp_path / "report.csv")] == [
        ("2", "ok1", "created"),
        ("3", "ok2", "created"),
        ("4", "ok3", "created"),
    ]
    assert Person.objects.count() == 3 and kept_values() == []
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # the second process did not "fail"
    path.write_text(before + 'q5,Di,,Eck,,,,,"14 Elm St",,,,,\n' + "ok6,Eve,,Fox,,,219-45-3384,,,,,,,\n")
    again = StringIO()
    call_command("import", str(path), stdout=again, **options)
    assert "2 created, 0 updated, 0 confirmed, 3 unchanged" in again.getvalue()


@pytest.mark.parametrize("mode", MODES)
def test_a_quote_never_closed_in_a_big_file_stops_the_import_as_in_a_small_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """review6 M3: in a file with more than csv's field limit (131,072 characters) after a quote
    left open, the limit came first: ~6,500 people went into one "rejected" row, the summary
    said 1 rejected, and the rows after were imported. Now it stops at the quote's line as in a
    small file, every row before it written."""
    from django.core.management.base import CommandError

    options = import_modes(mode, tmp_path, monkeypatch)
    for ssn in ("219453381", "219453382", "219453383"):
        register_ssn(ssn)
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER
        + "ok1,Ann,,Lee,,,219-45-3381,,,,,,,\n"
        + "ok2,Bo,,Ray,,,219-45-3382,,,,,,,\n"
        + "ok3,Cy,,Dee,,,219-45-3383,,,,,,,\n"
        + 'q5,Di,,Eck,,,,,"14 Elm St,,,,,\n'
        + "".join(f"f{i},Zed,,Quo,,,,,,,,,,\n" for i in range(10_000)),  # ~200,000 characters
        encoding="utf-8",
    )
    out = StringIO()
    with pytest.raises(
        CommandError, match=r"line 5: a quote opened on it or after it is not closed within 131072"
    ):
        call_command("import", str(path), stdout=out, **options)
    assert "3 created, 0 updated, 0 confirmed, 0 unchanged, 0 conflict, 0 rejected" in out.getvalue()
    assert [row[:3] for row in report_by_line(tmp_path / "report.csv")] == [
        ("2", "ok1", "created"),
        ("3", "ok2", "created"),
        ("4", "ok3", "created"),
    ]
    assert Person.objects.count() == 3
