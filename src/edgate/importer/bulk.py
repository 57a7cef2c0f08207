"""The bulk path of `edgate import` on PostgreSQL: the same outcomes as the per-row path, fast.

Rows that create a new person — nearly all of them in a first load — are matched against an
in-memory index of the person table (kept up to date with every row, so duplicates within
the file are found), given a User Name allocated in memory (`usernames.NameBook`, the rule of
a single allocation), and written in batches with COPY: Person, Profile (awaiting setup), the
ImportedRow, with --org the staff entry, and their audit events. Rows and events are built by
the builders the per-row actions use themselves (`build_person`, `build_precreated_profile`,
`build_staff_entry`, `person_created_event`, …), so a batch writes what the actions would,
with the actor and client address of the import's context. Every other row (an exact match to
update, a conflict, a changed row of an earlier import) first flushes the batch, then goes
through the per-row path (`service.import_row`).

A batch holds the bulk-import advisory lock, which every User Name allocation and
registration holds shared, and re-reads what others created since the last batch, so a
registration arriving during an import can neither take a staged User Name nor duplicate a
staged SSN.

With `background=True` (the command, outside a dry run) a full batch is written by a second
thread on its own database connection while the rows after it are matched: PostgreSQL's work
on one batch (COPY into indexed tables, the commit) overlaps the matching of the next. Only
one batch is in flight; it is joined — reported, or redone row by row — before anything else
touches the database (the next batch, a row taking the per-row path, the end of the file), so
the report keeps the order and the outcomes of the synchronous path.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from django.db import IntegrityError, connection, connections, models, transaction
from django.utils import timezone

from edgate.accounts import usernames
from edgate.accounts.actions import build_precreated_profile, profile_precreated_event
from edgate.accounts.models import Profile
from edgate.audit.events import COPY_COLUMNS as AUDIT_COLUMNS
from edgate.audit.events import chained_rows
from edgate.core.context import Ctx
from edgate.directory.actions import build_staff_entry, staff_added_event
from edgate.directory.models import Organization, StaffEntry
from edgate.identity.blocking import MemoryIndex, memo
from edgate.identity.engine import Outcome as MatchOutcome
from edgate.identity.records import Identity
from edgate.matching import service as matching
from edgate.matching.candidates import identity_of
from edgate.people.actions import Sealed, build_person, person_created_event
from edgate.people.models import Person, new_state_id, ssn_lookup

from .models import ImportedRow
from .prepare import Prepared
from .rows import Row
from .service import RowResult, content_hash, import_row, person_data


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
    row: Row
    person: Person
    profile_id: int
    username: str
    row_key: str
    digest: str


@dataclass
class Written:
    """What writing a batch found: whether COPY went through, and what others created since the
    previous batch (read by its catch-up, inside its transaction) for the matcher's index."""

    ok: bool
    people: list[Person] = field(default_factory=list)
    usernames: set[str] = field(default_factory=set)


def _values(row: models.Model, columns: Iterable[str]) -> tuple:  # type: ignore[type-arg]
    return tuple(getattr(row, column) for column in columns)


_PROBLEMS = PERSON_COLUMNS.index("data_problems")


def _person_values(person: Person) -> tuple:  # type: ignore[type-arg]
    # COPY sends text: the JSON column goes as its JSON text.
    values = _values(person, PERSON_COLUMNS)
    return (*values[:_PROBLEMS], json.dumps(person.data_problems), *values[_PROBLEMS + 1 :])


def _copy(cursor, table: str, columns: Iterable[str], rows: list[tuple]) -> None:  # type: ignore[no-untyped-def,type-arg]
    if not rows:
        return
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608 - fixed names
        for row in rows:
            copy.write_row(row)


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
        self.report, self.batch_size = report, batch_size or BATCH_SIZE
        # A batch written on a second connection sees only what is committed: not with an
        # enclosing transaction (a dry run), whose uncommitted rows that connection cannot see.
        self.writer = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
            if background and not connection.in_atomic_block
            else None
        )
        self.in_flight: tuple[Future[Written], list[Staged]] | None = None
        self.analyzed = False
        # The User Name book is shared with the writer's catch-up (a registration's name noted,
        # a staged name allocated again); everything else the writer touches is its own.
        self.names_lock = threading.Lock()
        self.matcher = matching.matcher()
        self.index = MemoryIndex(hasher=ssn_lookup)
        self.names = usernames.NameBook()
        self.state_ids: set[str] = set()
        self.ssn_hashes: set[str] = set()
        self.imported: dict[str, str] = {}
        self.staged: list[Staged] = []
        self.max_person = self.max_profile = self.placeholders = 0

    # --- what is already there --------------------------------------------------------
    def preload(self) -> None:
        for person in self._read_people(0):
            self._index_person(person)
        self._read_usernames(0)
        for key, digest in ImportedRow.objects.filter(source=self.source).values_list(
            "row_key", "content_hash"
        ):
            self.imported[key] = digest
        self._settle()

    @staticmethod
    def _settle() -> None:
        # The index holds millions of long-lived objects; left in the collector's generations,
        # every full collection would walk all of them again (quadratic in the file size).
        gc.collect()
        gc.freeze()

    def _read_people(self, after: int) -> list[Person]:
        """The people after `after` (by pk), noting the highest pk; the caller indexes them."""
        fields = (
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
            # A dirty record is matched as the per-row path sees it (matching.candidates):
            # its unusable fields never count, its typed birth-date digits are blocked on.
            "data_problems",
            "dob_digits",
        )
        people = []
        for values in (
            Person.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list(*fields)
            .iterator(chunk_size=20_000)
        ):
            people.append(Person(**dict(zip(fields, values, strict=True))))
            self.max_person = max(self.max_person, people[-1].pk)
        return people

    def _index_person(self, person: Person) -> None:
        self.index.add(str(person.pk), identity_of(person))
        self._note_person(person)

    def _note_person(self, person: Person) -> None:
        self.max_person = max(self.max_person, person.pk)
        self.state_ids.add(person.state_id)
        if person.ssn_hash:
            self.ssn_hashes.add(person.ssn_hash)

    def _read_usernames(self, after: int) -> set[str]:
        """Note the User Names of Profiles after `after`; return them."""
        found: set[str] = set()
        rows = Profile.objects.filter(pk__gt=after).values_list("pk", "username").iterator(chunk_size=50_000)
        for pk, name in rows:
            found.add(name)
            with self.names_lock:
                self.names.note(name)
            self.max_profile = max(self.max_profile, pk)
        return found

    # --- rows -------------------------------------------------------------------------
    @property
    def extra(self) -> dict[str, str]:
        """What a row's content hash covers besides the row."""
        return {"org": self.organization.code if self.organization else "", "role": self.role_title}

    def add(self, row: Row, prepared: Prepared | None = None) -> None:
        """One row of the file, in order. `prepared`: what depends on the row alone, computed
        ahead (`importer.prepare`, the second process); the same values this computes without."""
        if row.identity is None:
            self.report(RowResult(row.line, row.row_id, "rejected", reason=row.error))
            return
        digest = prepared.digest if prepared is not None else content_hash(row, self.extra)
        key = row.row_id or digest
        if self.imported.get(key) == digest:
            self.report(RowResult(row.line, row.row_id, "unchanged", unusable="; ".join(row.problems)))
            return
        if prepared is not None and prepared.sealed is None:
            # Unchanged when the child looked, not now (the file repeats the row): the rest here.
            prepared = None
        ssn = row.identity.ssn
        hasher = memo(ssn_lookup, {ssn: prepared.ssn_hash} if prepared is not None and ssn else None)
        decision = self.matcher.match(  # a row of an agency's file (rules marked agency_only)
            replace(row.identity, agency_file=True),
            self.index.candidates(row.identity, hasher, prepared.keys if prepared is not None else None),
            hasher=hasher,
        )
        if (
            decision.outcome != MatchOutcome.NONE
            or key in self.imported
            or self._clashes(row.identity, hasher)
        ):
            self._slow(row, key)
            return
        self._stage(
            row, key, digest, hasher(ssn) if ssn else "", prepared.sealed if prepared is not None else None
        )
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

    def _stage(self, row: Row, key: str, digest: str, ssn_hash: str, sealed: Sealed | None = None) -> None:
        # `ssn_hash` is already known (matching computed it); build_person hashes again: 1 µs.
        identity = row.identity
        assert identity is not None
        state_id = identity.state_id
        while not state_id or state_id in self.state_ids:
            state_id = new_state_id()
        person = build_person(person_data(row, state_id=state_id), source=self.source, sealed=sealed)
        # In the index under a placeholder id, so later rows of the file find this person; the
        # id is never used to write anything (rows that match go the per-row way).
        self.placeholders += 1
        self.index.add(f"staged:{self.placeholders}", identity_of(person))
        self.state_ids.add(state_id)
        if ssn_hash:
            self.ssn_hashes.add(ssn_hash)
        self.imported[key] = digest
        with self.names_lock:
            username = self.names.allocate(person.first_name, person.last_name)
        self.staged.append(Staged(row, person, 0, username, key, digest))

    # --- writing ----------------------------------------------------------------------
    def flush(self, *, wait: bool = True) -> None:
        """Write the staged rows and report them. `wait=False` (with a background writer): hand
        them to the writer and return; they are reported when joined (`_join`)."""
        self._join()
        if not self.staged:
            return
        staged, self.staged = self.staged, []
        if self.writer is not None and not wait:
            # What others created since the previous batch, read here and indexed before the
            # next rows are matched, as the synchronous path does; the writer's own catch-up,
            # under the lock, then finds only what committed in between (joined with the batch).
            self._absorb(self._catch_up(staged))
            self.in_flight = (self.writer.submit(self._write_batch, staged), staged)
            return
        self._written(staged, self._write_batch(staged))

    def finish(self) -> None:
        """The last batch written and reported; the writer's connection closed."""
        self.flush()
        if self.writer is not None:
            self.writer.submit(connections.close_all).result()
            self.writer.shutdown()
            self.writer = None

    def _join(self) -> None:
        if self.in_flight is None:
            return
        future, staged = self.in_flight
        self.in_flight = None
        self._written(staged, future.result())

    def _write_batch(self, staged: list[Staged]) -> Written:
        """One transaction: the lock, what others created since, COPY. Runs on the writer thread
        (its own connection) or the caller's."""
        written = Written(ok=True)
        try:
            with transaction.atomic():
                usernames.lock_for_bulk_import()
                written = self._catch_up(staged)
                self._write(staged)
        except IntegrityError:
            # What the catch-up read stays true (others committed it): only COPY failed.
            written.ok = False
        return written

    def _absorb(self, written: Written) -> None:
        """What others created since the previous batch, for the rows still to come."""
        for person in written.people:
            self._index_person(person)
        if written.usernames:
            # Rows staged while this batch was written may hold a name a registration took:
            # allocated again, as the catch-up did for the batch's own rows.
            with self.names_lock:
                for item in self.staged:
                    if item.username.lower() in written.usernames:
                        item.username = self.names.allocate(item.person.first_name, item.person.last_name)

    def _written(self, staged: list[Staged], written: Written) -> None:
        self._absorb(written)
        if not written.ok:
            # Someone registered the same SSN, state ID or User Name between our catch-up and
            # COPY (a window the catch-up narrows but cannot close): redo these rows one by one.
            for item in staged:
                self.imported.pop(item.row_key, None)
                self._slow(item.row, item.row_key, flush=False)
            return
        self._settle()
        if not self.analyzed:
            self._analyze()
        # Already in the index under their placeholders; note their ids so that the next
        # catch-up reads only what others wrote since.
        for item in staged:
            self._note_person(item.person)
            self.max_profile = max(self.max_profile, item.profile_id)
            self.report(
                RowResult(
                    item.row.line,
                    item.row.row_id,
                    "created",
                    state_id=item.person.state_id,
                    username=item.username,
                    unusable="; ".join(item.row.problems),
                )
            )

    def _analyze(self) -> None:
        """Table statistics once the first batch is in. Without any (a new database, and no
        autovacuum run yet), PostgreSQL plans each batch's catch-up — the rows after a known id
        — as a scan of the whole table: 0.1–0.3 s a batch at 340,000 people, and growing. With
        them, the ids past the statistics are estimated from the primary key's actual end (an
        index scan) however large the table grows."""
        self.analyzed = True
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE people_person, accounts_profile")

    def _write(self, staged: list[Staged]) -> None:
        with connection.cursor() as cursor:
            n = len(staged)
            person_ids = self._reserve(cursor, "people_person_id_seq", n)
            profile_ids = self._reserve(cursor, "accounts_profile_id_seq", n)
            staff_ids = (
                self._reserve(cursor, "directory_staffentry_id_seq", n) if self.organization else [0] * n
            )
            now = timezone.now()
            people, profiles, imported, staff, events = [], [], [], [], []
            for item, person_id, profile_id, staff_id in zip(
                staged, person_ids, profile_ids, staff_ids, strict=True
            ):
                person = item.person
                person.pk, person.created_at, person.updated_at = person_id, now, now
                profile = build_precreated_profile(person=person, username=item.username)
                profile.pk, profile.created_at = profile_id, now
                item.profile_id = profile_id
                people.append(_person_values(person))
                profiles.append(_values(profile, PROFILE_COLUMNS))
                events += [
                    person_created_event(person, ctx=self.ctx),
                    profile_precreated_event(profile, ctx=self.ctx),
                ]
                imported.append((self.source, item.row_key, item.digest, "created", person_id, now))
                if self.organization is not None:
                    entry = build_staff_entry(
                        person=person, organization=self.organization, role_title=self.role_title
                    )
                    entry.pk, entry.created_at = staff_id, now
                    staff.append(_values(entry, STAFF_COLUMNS))
                    events.append(staff_added_event(entry, ctx=self.ctx))
            # The events the per-row actions would record (their own builders made them), with
            # the import's context, chained (a chain claimed, hashes computed) in this transaction.
            audit_rows = chained_rows(events, at=now)
            raw = cursor.cursor
            # COPY runs on the driver's cursor; this turns its errors into Django's (IntegrityError).
            with connection.wrap_database_errors:
                self._copy_all(raw, people, profiles, imported, staff, audit_rows)

    @staticmethod
    def _copy_all(raw, people, profiles, imported, staff, audits) -> None:  # type: ignore[no-untyped-def]
        _copy(raw, "people_person", PERSON_COLUMNS, people)
        _copy(raw, "accounts_profile", PROFILE_COLUMNS, profiles)
        _copy(raw, "importer_importedrow", ROW_COLUMNS, imported)
        _copy(raw, "directory_staffentry", STAFF_COLUMNS, staff)
        _copy(raw, "audit_auditevent", AUDIT_COLUMNS, audits)

    @staticmethod
    def _reserve(cursor, sequence: str, count: int) -> list[int]:  # type: ignore[no-untyped-def]
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
        return [value for (value,) in cursor.fetchall()]

    def _catch_up(self, staged: list[Staged]) -> Written:
        """Read what registrations created since the last batch; re-allocate clashing User Names."""
        new_names = {name.lower() for name in self._read_usernames(self.max_profile)}
        with self.names_lock:
            for item in staged:
                if item.username.lower() in new_names:
                    item.username = self.names.allocate(item.person.first_name, item.person.last_name)
        return Written(ok=True, people=self._read_people(self.max_person), usernames=new_names)
