"""The bulk path of `edgate import` on PostgreSQL: the same outcomes as the per-row path, fast.

Rows that create a new person — nearly all of them in a first load — are matched against an
in-memory index of the person table (kept up to date with every row, so duplicates within
the file are found), given a User Name allocated in memory (`usernames.NameBook`, the rule of
a single allocation), and written in batches with COPY: Person, Profile (awaiting setup), the
ImportedRow, with --org the staff entry, and their audit events. Rows and events are what
the builders the per-row actions use themselves give (`person_row`, from which `build_person`
builds its Person; `build_precreated_profile`, `build_staff_entry`, `person_created_event`, …
for a batch's first row, the template of the others, which differ only by their ids, User
Name and random password: `batch_rows`), so a batch writes what the actions would, with the
actor and client address of the import's context. Every other row (an exact match to
update, a conflict, a changed row of an earlier import) first flushes the batch, then goes
through the per-row path (`service.import_row`).

A batch holds the bulk-import advisory lock, which every User Name allocation and
registration holds shared, and re-reads what others created since the last batch, so a
registration arriving during an import can neither take a staged User Name nor duplicate a
staged SSN.

With `background=True` (the command, outside a dry run) the batches are written by a process of
their own (`importer/writer.py`, forked before the preload) on its own database connection while
the rows after them are matched: building a batch's rows (each Person, Profile, import record
and audit event, the chain's hashes) and COPY run on the other core, outside this process's
interpreter lock. It receives plain values (`Staged.record`: what `build_person` needs, the SSN
left out when the row-preparing process sealed it already) and runs `write_batch`, which this
process runs itself otherwise. Only one batch is in flight; it is joined — reported, sent
again with a User Name allocated again, or redone row by row — before anything else touches the
database (the next batch, a row taking the per-row path, the end of the file), so the report
keeps the order and the outcomes of the synchronous path. A writer that fails or dies before
its batch's COMMIT leaves it unwritten (one transaction); its rows go the per-row way and this
process writes the rest itself. One that dies after the COMMIT and before its answer (killed in
that instant) leaves the batch written and whole, but the per-row path then finds those rows
already imported and reports them "unchanged", without their User Names: nothing is lost or
doubled, the report undercounts (known, not handled).
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone

from edgate.accounts import usernames
from edgate.accounts.actions import build_precreated_profile, profile_precreated_event, unusable_password
from edgate.accounts.models import Profile
from edgate.audit.events import COPY_COLUMNS as AUDIT_COLUMNS
from edgate.audit.events import chained_rows_for_targets
from edgate.core.context import Ctx
from edgate.directory.actions import build_staff_entry, staff_added_event
from edgate.directory.models import Organization, StaffEntry
from edgate.identity.blocking import MemoryIndex, memo
from edgate.identity.engine import Outcome as MatchOutcome
from edgate.identity.records import Identity
from edgate.matching import service as matching
from edgate.matching.candidates import identity_of
from edgate.people.actions import PersonData, Sealed, build_person, person_created_event, person_row
from edgate.people.models import Person, new_state_id, ssn_lookup

from . import writer as writer_process
from .models import ImportedRow
from .prepare import Prepared, staged_identity
from .rows import Row
from .service import RowResult, content_hash, import_row, person_values, refused

logger = logging.getLogger(__name__)


def _columns(model: type[models.Model]) -> tuple[str, ...]:
    """Every column of the model's table, so that a field added to the model later is written
    by COPY too (a NOT NULL column left out would fail every batch, and each batch would then
    go the per-row way: the same outcome, many times slower)."""
    return tuple(f.attname for f in model._meta.concrete_fields)


PERSON_COLUMNS = _columns(Person)
PROFILE_COLUMNS = _columns(Profile)
# Rows per batch (one transaction, one COPY per table).
BATCH_SIZE = 20_000
ROW_COLUMNS = ("source", "row_key", "content_hash", "result", "person_id", "imported_at")
STAFF_COLUMNS = _columns(StaffEntry)


@dataclass
class Staged:
    """A row that creates a new person, waiting for its batch. The Person is built by the
    writer (`write_batch`), from `values` and `sealed`, wherever the writer runs."""

    row: Row
    values: tuple[Any, ...]  # `service.person_values`: its SSN left out when `sealed` holds it
    sealed: Sealed | None
    state_id: str
    username: str
    row_key: str
    digest: str

    def record(self) -> Record:
        return (self.values, _sealed_parts(self.sealed), self.username, self.row_key, self.digest)


# What the writer receives per row (the import's row itself stays with the import process):
# plain values, cheap to pickle there and back — the PersonData's (`service.person_values`),
# the Sealed's (or None), the User Name, the row key and the content hash. The writer builds
# the PersonData and the Sealed (`_data`).
Record = tuple[tuple[Any, ...], tuple[Any, ...] | None, str, str, str]


def as_record(data: PersonData, sealed: Sealed | None, username: str, row_key: str, digest: str) -> Record:
    """A Record from a PersonData and a Sealed (the tests' way to build one)."""
    values = tuple(getattr(data, name) for name in PersonData.__dataclass_fields__)
    return (values, _sealed_parts(sealed), username, row_key, digest)


def _sealed_parts(sealed: Sealed | None) -> tuple[Any, ...] | None:
    if sealed is None:
        return None
    return (sealed.ssn_ciphertext, sealed.ssn_hash, sealed.ssn_last4, sealed.data_problems_ciphertext)


def _data(record: Record) -> tuple[PersonData, Sealed | None]:
    values, sealed = record[0], record[1]
    return PersonData(*values), None if sealed is None else Sealed(*sealed)


@dataclass
class Written:
    """What writing a batch found: whether COPY went through, whether it must be sent again
    (a User Name of the batch taken meanwhile: `usernames`), what others created since the
    previous batch (read by its catch-up, inside its transaction) for the matcher's index, and
    the highest person and Profile ids read or written."""

    ok: bool = True
    retry: bool = False
    people: list[Person] = field(default_factory=list)
    usernames: set[str] = field(default_factory=set)
    max_person: int = 0
    max_profile: int = 0


def _values(row: models.Model, columns: tuple[str, ...]) -> tuple:  # type: ignore[type-arg]
    return _getter(columns)(row)


@lru_cache(maxsize=8)
def _getter(columns: tuple[str, ...]) -> Callable[[models.Model], tuple]:  # type: ignore[type-arg]
    """The columns' values as a tuple, in one C call (`attrgetter` of two or more names)."""
    get = attrgetter(*columns)
    return get if len(columns) > 1 else lambda row: (get(row),)


# Where batch_rows puts what varies from row to row.
_PROBLEMS = PERSON_COLUMNS.index("data_problems")
_PERSON_ID = PERSON_COLUMNS.index("id")
_PERSON_CREATED = PERSON_COLUMNS.index("created_at")
_PERSON_UPDATED = PERSON_COLUMNS.index("updated_at")
_PROFILE_ID = PROFILE_COLUMNS.index("id")
_PROFILE_PASSWORD = PROFILE_COLUMNS.index("password")
_PROFILE_USERNAME = PROFILE_COLUMNS.index("username")
_PROFILE_PERSON = PROFILE_COLUMNS.index("person_id")
_PROFILE_CREATED = PROFILE_COLUMNS.index("created_at")
_STAFF_ID = STAFF_COLUMNS.index("id")
_STAFF_PERSON = STAFF_COLUMNS.index("person_id")
_STAFF_CREATED = STAFF_COLUMNS.index("created_at")


def _copy(cursor, table: str, columns: Iterable[str], rows: list[tuple]) -> None:  # type: ignore[no-untyped-def,type-arg]
    if not rows:
        return
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608 - fixed names
        for row in rows:
            copy.write_row(row)


PEOPLE_FIELDS = (
    "pk",
    "first_name",
    "middle_name",
    "last_name",
    "former_last_name",
    "date_of_birth",
    "ssn_hash",
    "ssn_last4",
    "state_id",
    "street",
    "city",
    "state",
    "postcode",
    "email",
    "phone",
    # A dirty record is matched as the per-row path sees it (matching.candidates): its
    # unusable fields never count, its typed birth-date digits are blocked on.
    "data_problems",
    "dob_digits",
)


def read_people(after: int) -> list[Person]:
    """The people after `after` (by pk), in order, with what the matcher's index needs."""
    return [
        Person(**dict(zip(PEOPLE_FIELDS, values, strict=True)))
        for values in Person.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list(*PEOPLE_FIELDS)
        .iterator(chunk_size=20_000)
    ]


def read_usernames(after: int) -> tuple[set[str], int]:
    """The User Names of the Profiles after `after`, and the highest Profile id read."""
    names: set[str] = set()
    last = after
    for pk, name in (
        Profile.objects.filter(pk__gt=after).values_list("pk", "username").iterator(chunk_size=50_000)
    ):
        names.add(name)
        last = max(last, pk)
    return names, last


def catch_up(after_person: int, after_profile: int) -> Written:
    """What others created since the last batch: their people and User Names."""
    people = read_people(after_person)
    names, last_profile = read_usernames(after_profile)
    return Written(
        people=people,
        usernames=names,
        max_person=max([after_person, *(p.pk for p in people)]),
        max_profile=last_profile,
    )


@dataclass(frozen=True)
class Target:
    """Where and as whom a batch is written (the same for every batch of an import)."""

    source: str
    organization: Organization | None
    role_title: str
    ctx: Ctx


def write_batch(
    records: list[Record], target: Target, *, after_person: int, after_profile: int, analyze: bool
) -> Written:
    """One transaction: the bulk-import lock, what others created since (`catch_up`), COPY.
    Runs in the writer process (its own connection) or in the import process (a dry run, a
    writer that failed). A User Name of the batch taken meanwhile: nothing written, `retry`
    (the import process allocates it again; the User Name book is its alone). `analyze`: take
    the tables' statistics once the batch is in (see `BulkImporter`)."""
    try:
        with transaction.atomic():
            usernames.lock_for_bulk_import()
            written = catch_up(after_person, after_profile)
            taken = {name.lower() for name in written.usernames}
            if any(username.lower() in taken for _, _, username, _, _ in records):
                written.retry = True
                return written
            person_id, profile_id = _write(records, target)
            written.max_person = max(written.max_person, person_id)
            written.max_profile = max(written.max_profile, profile_id)
    except IntegrityError:
        # Someone registered the same SSN or state ID between the catch-up and COPY (a window
        # the catch-up narrows but cannot close): the import process redoes the rows one by one.
        return Written(ok=False)
    if analyze:
        # The batch is in (committed): the statistics help later batches, they are not the
        # batch. A failure here must not make the import process redo rows that are written.
        try:
            _analyze()
        except DatabaseError as exc:
            logger.warning(
                "ANALYZE after the first batch failed (%s); the import goes on",
                type(exc).__name__,
            )
    return written


def _write_batch(*args: Any, **kwargs: Any) -> Written:
    return write_batch(*args, **kwargs)  # looked up when called (tests replace it)


def _analyze() -> None:
    """Table statistics once the first batch is in. Without any (a new database, and no
    autovacuum run yet), PostgreSQL plans each batch's catch-up — the rows after a known id
    — as a scan of the whole table: 0.1–0.3 s a batch at 340,000 people, and growing. With
    them, the ids past the statistics are estimated from the primary key's actual end (an
    index scan) however large the table grows."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_person, accounts_profile")


def _write(records: list[Record], target: Target) -> tuple[int, int]:
    """COPY the batch; returns the highest person and Profile ids given."""
    with connection.cursor() as cursor:
        n = len(records)
        person_ids = _reserve(cursor, "people_person_id_seq", n)
        profile_ids = _reserve(cursor, "accounts_profile_id_seq", n)
        staff_ids = _reserve(cursor, "directory_staffentry_id_seq", n) if target.organization else [0] * n
        tables = batch_rows(records, target, (person_ids, profile_ids, staff_ids), timezone.now())
        raw = cursor.cursor
        # COPY runs on the driver's cursor; this turns its errors into Django's (IntegrityError).
        with connection.wrap_database_errors:
            for table, columns, rows in tables:
                _copy(raw, table, columns, rows)
    return max(person_ids, default=0), max(profile_ids, default=0)


Table = tuple[str, tuple[str, ...], list[Any]]


def batch_rows(
    records: list[Record], target: Target, ids: tuple[list[int], list[int], list[int]], now: datetime
) -> list[Table]:
    """Each table's COPY rows for a batch: what the per-row actions write, built without a
    model object per row. A Person's columns are `person_row`'s (what `build_person` builds its
    Person from); a Profile and a staff entry differ from one row to the next only by their id,
    person, User Name and (the Profile) unusable password, so the rest of their columns are
    taken from one built by the actions' own builder (`build_precreated_profile`,
    `build_staff_entry`) for the batch's first row; the audit events likewise differ only by
    their targets' ids (`chained_rows_for_targets`, from the events the actions' builders make
    for that first row). A test compares every table with the rows of model objects built for
    each row."""
    if not records:
        return []
    person_ids, profile_ids, staff_ids = ids
    organization, ctx = target.organization, target.ctx
    # The batch's first row, built by the actions' builders: the template of the others.
    data, sealed = _data(records[0])
    username = records[0][2]
    person = build_person(data, source=target.source, sealed=sealed)
    person.pk = person_ids[0]
    profile = build_precreated_profile(person=person, username=username)
    profile.pk = profile_ids[0]
    events = [person_created_event(person, ctx=ctx), profile_precreated_event(profile, ctx=ctx)]
    profile_template = list(_values(profile, PROFILE_COLUMNS))
    profile_template[_PROFILE_CREATED] = now
    staff_template: list[Any] = []
    if organization is not None:
        entry = build_staff_entry(person=person, organization=organization, role_title=target.role_title)
        entry.pk = staff_ids[0]
        events.append(staff_added_event(entry, ctx=ctx))
        staff_template = list(_values(entry, STAFF_COLUMNS))
        staff_template[_STAFF_CREATED] = now

    people, profiles, imported, staff, targets = [], [], [], [], []
    source = target.source
    for record, person_id, profile_id, staff_id in zip(
        records, person_ids, profile_ids, staff_ids, strict=True
    ):
        _, _, username, row_key, digest = record
        data, sealed = _data(record)
        row = person_row(data, source=source, sealed=sealed)
        row[_PERSON_ID] = person_id
        row[_PERSON_CREATED] = row[_PERSON_UPDATED] = now
        row[_PROBLEMS] = json.dumps(row[_PROBLEMS])  # COPY sends text: the JSON column as JSON
        people.append(row)
        profile_row = profile_template.copy()
        profile_row[_PROFILE_ID] = profile_id
        profile_row[_PROFILE_PASSWORD] = unusable_password()
        profile_row[_PROFILE_USERNAME] = username
        profile_row[_PROFILE_PERSON] = person_id
        profiles.append(profile_row)
        imported.append((source, row_key, digest, "created", person_id, now))
        if organization is not None:
            staff_row = staff_template.copy()
            staff_row[_STAFF_ID] = staff_id
            staff_row[_STAFF_PERSON] = person_id
            staff.append(staff_row)
            targets.append((str(person_id), str(profile_id), str(staff_id)))
        else:
            targets.append((str(person_id), str(profile_id)))
    # The events the per-row actions would record, with the import's context, chained (a chain
    # claimed, hashes computed) in this transaction.
    audit_rows = chained_rows_for_targets(events, targets, at=now)
    return [
        ("people_person", PERSON_COLUMNS, people),
        ("accounts_profile", PROFILE_COLUMNS, profiles),
        ("importer_importedrow", ROW_COLUMNS, imported),
        ("directory_staffentry", STAFF_COLUMNS, staff),
        ("audit_auditevent", AUDIT_COLUMNS, audit_rows),
    ]


def _reserve(cursor, sequence: str, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
    return [value for (value,) in cursor.fetchall()]


class BulkImporter:
    def __init__(
        self,
        *,
        source: str,
        organization: Organization | None,
        role_title: str,
        ctx: Ctx,
        report: Callable[[RowResult], None],
        batch_size: int | None = None,
        background: bool = False,
    ) -> None:
        self.source, self.organization, self.role_title, self.ctx = source, organization, role_title, ctx
        self.target = Target(source, organization, role_title, ctx)
        self.report, self.batch_size = report, batch_size or BATCH_SIZE
        self.in_flight: tuple[list[Staged], Written | None] | None = None
        self.analyzed = False
        self.matcher = matching.matcher()
        self.index = MemoryIndex(hasher=ssn_lookup)
        self.names = usernames.NameBook()
        self.state_ids: set[str] = set()
        self.ssn_hashes: set[str] = set()
        self.imported: dict[str, str] = {}
        self.staged: list[Staged] = []
        self.max_person = self.max_profile = self.placeholders = 0
        self.unsettled = 0  # rows added since the last full collection (`_settle`)
        # Batches written by a process of their own, on its own connection, while the rows after
        # them are matched: not with an enclosing transaction (a dry run), whose uncommitted rows
        # that connection cannot see. Forked here, before the preload (see `writer`).
        self.writer = (
            writer_process.WriterProcess(_write_batch, self.target)
            if background and not connection.in_atomic_block
            else None
        )

    def close(self) -> None:
        """The writer process stopped (a batch in flight there is rolled back) and reaped."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # --- what is already there --------------------------------------------------------
    def preload(self) -> None:
        for person in read_people(0):
            self._index_person(person)
        names, self.max_profile = read_usernames(0)
        for name in names:
            self.names.note(name)
        for key, digest in ImportedRow.objects.filter(source=self.source).values_list(
            "row_key", "content_hash"
        ):
            self.imported[key] = digest
        self._settle()

    def _settle(self) -> None:
        # The index holds millions of long-lived objects; left in the collector's generations,
        # every full collection would walk all of them again (quadratic in the file size).
        gc.collect()
        gc.freeze()
        self.unsettled = 0

    @contextmanager
    def full_collections_per_batch(self) -> Iterator[None]:
        """While the rows are added: no automatic full collection, only this importer's, after
        each batch (and every `batch_size` rows, whatever they were: `add`). After `gc.freeze()`
        the oldest generation is empty, so Python's own rule (a full collection when it has
        grown by a quarter) ran one every 70,000 allocations, each walking every object made
        since the last freeze — a batch's index entries, staged rows and Identities: about a
        sixth of the import process's CPU at 60,000 rows. The young generations are still
        collected as usual (most cyclic garbage dies young)."""
        thresholds = gc.get_threshold()
        gc.set_threshold(thresholds[0], thresholds[1], 1 << 30)
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)

    def _index_person(self, person: Person) -> None:
        self.index.add(str(person.pk), identity_of(person))
        self.max_person = max(self.max_person, person.pk)
        self.state_ids.add(person.state_id)
        if person.ssn_hash:
            self.ssn_hashes.add(person.ssn_hash)

    # --- rows -------------------------------------------------------------------------
    @property
    def extra(self) -> dict[str, str]:
        """What a row's content hash covers besides the row."""
        return {"org": self.organization.code if self.organization else "", "role": self.role_title}

    def add(self, row: Row, prepared: Prepared | None = None) -> None:
        """One row of the file, in order. `prepared`: what depends on the row alone, computed
        ahead (`importer.prepare`, the second process); the same values this computes without."""
        self.unsettled += 1
        if self.unsettled >= self.batch_size:  # whatever the rows were (`full_collections_per_batch`)
            self._settle()
        if (refusal := refused(row)) is not None:
            self.report(refusal)
            return
        digest = prepared.digest if prepared is not None else content_hash(row, self.extra)
        key = row.row_id or digest
        if self.imported.get(key) == digest:
            self.report(RowResult(row.line, row.row_id, "unchanged", unusable="; ".join(row.problems)))
            return
        if prepared is not None and prepared.sealed is None:
            # Unchanged when the child looked, not now (the file repeats the row): the rest here.
            prepared = None
        identity = row.identity
        ssn = identity.ssn
        hasher = memo(ssn_lookup, {ssn: prepared.ssn_hash} if prepared is not None and ssn else None)
        decision = self.matcher.match(  # a row of an agency's file (rules marked agency_only)
            identity if identity.agency_file else replace(identity, agency_file=True),
            self.index.candidates(identity, hasher, prepared.keys if prepared is not None else None),
            hasher=hasher,
        )
        if decision.outcome != MatchOutcome.NONE or key in self.imported or self._clashes(identity, hasher):
            self._slow(row, key)
            return
        self._stage(row, key, digest, hasher(ssn) if ssn else "", prepared)
        if len(self.staged) >= self.batch_size:
            self.flush(wait=False)

    def _clashes(self, identity: Identity, hasher: Callable[[str], str]) -> bool:
        """A state ID or SSN already on file that the matcher did not pair: let the slow path decide."""
        return bool(
            identity.state_id in self.state_ids or (identity.ssn and hasher(identity.ssn) in self.ssn_hashes)
        )

    def _slow(self, row: Row, key: str, *, flush: bool = True) -> None:
        """The per-row path, for everything but a plain new person (and as the fallback)."""
        if flush:
            self.flush()
        result = import_row(
            row, source=self.source, organization=self.organization, role_title=self.role_title, ctx=self.ctx
        )
        if result.result in ("created", "updated"):
            self._index_person(Person.objects.get(state_id=result.state_id))
            if result.username:
                self.names.note(result.username)
        self.imported[key] = ""  # known to the database now; a repeat goes the per-row way
        self.report(result)

    def _stage(
        self, row: Row, key: str, digest: str, ssn_hash: str, prepared: Prepared | None = None
    ) -> None:
        sealed, keys = (prepared.sealed, prepared.record_keys) if prepared is not None else (None, None)
        identity = row.identity
        assert identity is not None
        state_id = identity.state_id
        while not state_id or state_id in self.state_ids:
            state_id = new_state_id()
        # The Person itself is built by the writer; its SSN goes there only when not sealed ahead.
        values = person_values(row, state_id=state_id, ssn=sealed is None)
        # In the index under a placeholder id, so later rows of the file find this person; the
        # id is never used to write anything (rows that match go the per-row way).
        self.placeholders += 1
        self.index.add(
            f"staged:{self.placeholders}",
            staged_identity(identity, state_id=state_id, ssn_hash=ssn_hash),
            # The keys the child computed (all but the state ID's, drawn here), or None.
            (*keys, f"sid:{state_id}") if keys is not None else None,
        )
        self.state_ids.add(state_id)
        if ssn_hash:
            self.ssn_hashes.add(ssn_hash)
        self.imported[key] = digest
        username = self.names.allocate(identity.first_name, identity.last_name)
        self.staged.append(Staged(row, values, sealed, state_id, username, key, digest))

    # --- writing ----------------------------------------------------------------------
    def flush(self, *, wait: bool = True) -> None:
        """Write the staged rows and report them. `wait=False` (with a writer process): hand
        them to the writer and return; they are reported when joined (`_join`)."""
        self._join()
        if not self.staged:
            return
        batch, self.staged = self.staged, []
        # What others created since the previous batch, read here and indexed before the next
        # rows are matched; the writer's catch-up, under the lock, then finds only what
        # committed in between.
        self._absorb(self._catch_up(batch), batch)
        self._submit(batch)
        if wait:
            self._join()

    def finish(self) -> None:
        """The last batch written and reported; the writer process stopped."""
        self.flush()
        self.close()

    def _catch_up(self, staged: list[Staged]) -> Written:
        """What registrations created since the last batch (read on this process's connection)."""
        return catch_up(self.max_person, self.max_profile)

    def _absorb(self, written: Written, batch: list[Staged]) -> None:
        """What others created since the previous batch, for the rows still to come; a User Name
        a registration took meanwhile is allocated again for `batch` and the rows staged since."""
        for person in written.people:
            self._index_person(person)
        for name in written.usernames:
            self.names.note(name)
        self.max_person = max(self.max_person, written.max_person)
        self.max_profile = max(self.max_profile, written.max_profile)
        taken = {name.lower() for name in written.usernames}
        if taken:
            for item in (*batch, *self.staged):
                if item.username.lower() in taken:
                    identity = item.row.identity
                    assert identity is not None
                    item.username = self.names.allocate(identity.first_name, identity.last_name)

    def _submit(self, batch: list[Staged]) -> None:
        records = [item.record() for item in batch]
        if self.writer is not None:
            try:
                self.writer.send(records, self.max_person, self.max_profile, not self.analyzed)
            except writer_process.WriterFailed:
                self._writer_failed()
            else:
                self.in_flight = (batch, None)
                return
        written = write_batch(
            records,
            self.target,
            after_person=self.max_person,
            after_profile=self.max_profile,
            analyze=not self.analyzed,
        )
        self.in_flight = (batch, written)

    def _writer_failed(self) -> None:
        logger.warning("the import's writer process failed; the import process writes the rest itself")
        self.close()

    def _join(self) -> None:
        while self.in_flight is not None:
            batch, written = self.in_flight
            self.in_flight = None
            if written is None:
                assert self.writer is not None
                try:
                    written = self.writer.result()
                except writer_process.WriterFailed:
                    # Its transaction ended with it: nothing of the batch is written. (Had
                    # it died just after its COMMIT, the per-row path finds every row already
                    # imported and reports it "unchanged": see the module's docstring.)
                    self._writer_failed()
                    written = Written(ok=False)
            if written.retry:
                self._absorb(written, batch)
                self._submit(batch)
                continue
            self._written(batch, written)

    def _written(self, batch: list[Staged], written: Written) -> None:
        self._absorb(written, [])
        if not written.ok:
            # COPY met a duplicate (or the writer failed): these rows one by one.
            for item in batch:
                self.imported.pop(item.row_key, None)
                self._slow(item.row, item.row_key, flush=False)
            return
        self.analyzed = True
        self._settle()
        for item in batch:
            self.report(
                RowResult(
                    item.row.line,
                    item.row.row_id,
                    "created",
                    state_id=item.state_id,
                    username=item.username,
                    unusable="; ".join(item.row.problems),
                )
            )
