"""The per-row work of a bulk import that depends on the row alone, done ahead in a second
process (docs/matching.md §7, "The second core").

Reading and checking a row, its content hash, the SSN's lookup hash, the query's blocking keys
and the encryption of a new person's SSN and unusable raw values do not depend on the rows
before it. A child process (forked before the importer's preload, so it holds the same
settings and keys, and no database connection of its own to use; it receives the map of rows
imported before once the importer has read it) reads the file — through the descriptor the
import process opened, so both read the same file even if another is renamed over its path —
and does that work for each row, and sends each row as it read and checked it (the clean
values, what is unusable and why) with those results, in order, in chunks, as plain values.
The import process builds each Row from them once — it neither reads nor checks a row again —
and keeps everything that depends on order — matching against the in-memory index, User Name
allocation, writing — as it was. It checks that the child stays in step: line numbers strictly
increase, and each chunk and the end carry the child's count of rows read, which must match
the rows received. If the child fails or falls out of step, the import process reads the rest
of the file itself, from the same descriptor (from the start again, skipping to the row after
the last one it took), unless the file it opened was changed in place meanwhile: then it stops
(`FileChanged`). The outcomes are the same: only where the work is done moves.

The child is a daemon that ignores Ctrl-C (the import process stops it), exits if the import
process goes away, and is stopped and reaped when the rows are done, or on any exception in
the import process. It sends what an import process would hold anyway; nothing is logged,
nothing passes through its arguments or environment (fork: it inherits them).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from queue import Empty, Full
from typing import TextIO

from django.views.decorators.debug import sensitive_variables

from edgate.identity.blocking import memo, query_keys, record_keys
from edgate.identity.records import Identity
from edgate.people.actions import Sealed, seal_values
from edgate.people.models import ssn_lookup

from .rows import BrokenFile, Row, read
from .service import content_hash

logger = logging.getLogger(__name__)

# Rows per message between the processes (one pickle each way): large enough that the
# per-message cost vanishes, small enough to start at once.
CHUNK = 500
# Chunks the child may be ahead by (memory bound: ~CHUNK × QUEUED rows).
QUEUED = 64
# Below this many rows (and in a dry run) the import reads and prepares rows itself: starting
# the child costs more than it saves.
MIN_ROWS = 20_000
# How long to wait for a child whose end of the queue closed to be reaped (its exit code).
GRACE = 5.0


@dataclass(frozen=True)
class Prepared:
    """A row and what the bulk importer would compute from it alone. `digest` is empty for a
    rejected row; `sealed` is None when the row was unchanged since an earlier import (nothing
    more is needed then)."""

    row: Row
    digest: str = ""
    ssn_hash: str = ""
    keys: tuple[str, ...] = ()
    sealed: Sealed | None = field(default=None, repr=False)
    # The staged person's own index keys (`record_keys` of `staged_identity`), all but the
    # state ID's: that one may be drawn by the import process.
    record_keys: tuple[str, ...] | None = None


# What the child sends per row: the row as it read and checked it, and what it computed from
# it, as plain values, cheap to pickle and unpickle (about 0.6 µs a row; a pickled `Row` cost
# about 7 µs to unpickle, and reading and checking the row again about 28). The import process
# builds the Row and its Identity from them, once (`_received`), and does not read the file
# (unless the child fails: then from the row after the last one received).
#   line, row id, error (a rejected row), the Identity's values in field order (None: rejected),
#   problems, unusable raw values, reasons — the Row — then the digest, the SSN's hash, the
#   query's keys, the SSN's and the unusable values' ciphertexts, the staged person's own keys,
#   and whether the rest was computed: False for a rejected row or one unchanged since an
#   earlier import, None for a row the child failed on (the import process does it itself).
Sent = tuple[
    int,
    str,
    str,
    "tuple[object, ...] | None",
    tuple[str, ...],
    tuple[tuple[str, str], ...],
    tuple[tuple[str, str], ...],
    str,
    str,
    tuple[str, ...],
    bytes | None,
    bytes | None,
    tuple[str, ...],
    bool | None,
]
IDENTITY_FIELDS = tuple(Identity.__dataclass_fields__)
_identity_values = attrgetter(*IDENTITY_FIELDS)


def _row_parts(row: Row) -> tuple[object, ...]:
    identity = row.identity
    values = _identity_values(identity) if identity is not None else None
    return (row.line, row.row_id, row.error, values, row.problems, row.unusable_raw, row.reasons)


def staged_identity(identity: Identity, *, state_id: str, ssn_hash: str) -> Identity:
    """What `identity_of(build_person(person_data(row, state_id=…)))` gives for a row's
    identity, without building the Person (the writer builds it): the matcher's index holds
    a staged person as it will read the record back (a test compares the two)."""
    ssn = identity.ssn
    return Identity(  # positionally, in field order: a keyword call costs more, once a row
        identity.first_name,
        identity.last_name,
        identity.middle_name,
        identity.former_last_name,
        identity.date_of_birth,
        "",
        ssn_hash,
        ssn[-4:] if ssn else "",
        state_id,
        identity.street,
        identity.city,
        identity.state,
        identity.postcode,
        identity.email,
        identity.phone,
        identity.unusable,
        identity.dob_digits,
    )


@sensitive_variables()
def prepare(row: Row, extra: Mapping[str, str], imported: Mapping[str, str]) -> Sent:
    """The row's parts (`_row_parts`), then its digest, SSN hash, blocking keys, SSN
    ciphertext, unusable values' ciphertext, the staged person's own keys, and whether the rest
    was computed: not for a rejected row, nor one unchanged since an earlier import."""
    parts = _row_parts(row)
    identity = row.identity
    if identity is None:
        return (*parts, "", "", (), None, None, (), False)  # type: ignore[return-value]
    digest = content_hash(row, dict(extra))
    if imported.get(row.row_id or digest) == digest:
        return (*parts, digest, "", (), None, None, (), False)  # type: ignore[return-value]
    hasher = memo(ssn_lookup)
    keys = tuple(query_keys(identity, hasher))
    ssn_hash = hasher(identity.ssn) if identity.ssn else ""
    sealed = seal_values(identity.ssn, row.unusable_raw, ssn_hash=ssn_hash)  # `seal(person_data(row))`
    # `record_keys(staged_identity(identity, state_id="", ssn_hash=ssn_hash), ssn_lookup)`, without
    # building that Identity: the SSN keyed by the hash already computed, no state ID's key.
    own = tuple(record_keys(identity, hasher, state_id=False))
    return (  # type: ignore[return-value]
        *parts,
        digest,
        ssn_hash,
        keys,
        sealed.ssn_ciphertext,
        sealed.data_problems_ciphertext,
        own,
        True,
    )


def _failed(row: Row) -> Sent:
    return (*_row_parts(row), "", "", (), None, None, (), None)  # type: ignore[return-value]


@sensitive_variables()
def _received(sent: Sent) -> tuple[Row, Prepared | None]:
    """The row the child read (built here once: never read or checked again) and what it
    computed for it; None for a row it failed on."""
    (line, row_id, error, values, problems, raw, reasons, digest, ssn_hash, keys, ssn_ciphertext,
     problems_ciphertext, own_keys, ready) = sent  # fmt: skip
    identity = Identity(*values) if values is not None else None
    row = Row(line, row_id, identity, error, problems, raw, reasons)
    if ready is None:
        return row, None
    if not ready:
        return row, Prepared(row, digest)
    ssn = identity.ssn if identity is not None else ""
    sealed = Sealed(ssn_ciphertext, ssn_hash or None, ssn[-4:] if ssn else "", problems_ciphertext)
    return row, Prepared(row, digest, ssn_hash, keys, sealed, own_keys)


class PrepareFailed(RuntimeError):
    """The child could not prepare the rows (its traceback, without local values), or fell out
    of step with the file: the import process prepares the rest itself."""


class FileChanged(RuntimeError):
    """The file being imported was changed in place (its size or modification time is no longer
    what it was when opened), and the import process would have to read the rest of it: the
    rest would not be the file the import began with, so the import stops there."""


@dataclass(frozen=True)
class _Failure:
    text: str


@dataclass(frozen=True)
class _End:
    """The child read and sent every row: `rows` of them. `broken`: where the file broke
    (`rows.BrokenFile`'s message), the rows before it sent."""

    rows: int
    broken: str = ""


def _version(handle: TextIO) -> tuple[int, int]:
    """The size and modification time of the file open at `handle` (the same file, whatever is
    renamed over its path). Not its change time: a file renamed over its path changes that."""
    stat = os.fstat(handle.fileno())
    return (stat.st_size, stat.st_mtime_ns)


def _put(queue, item, parent: int) -> bool:  # type: ignore[no-untyped-def]
    """Wait for room; False when the import process is gone (nobody will ever read)."""
    while True:
        try:
            queue.put(item, timeout=1.0)
            return True
        except Full:
            if os.getppid() != parent:
                return False


def name_process(name: bytes) -> None:
    """Linux: the name `ps` and /proc/PID/comm show (up to 15 bytes), so that the bench and an
    operator can tell the import's processes apart."""
    if sys.platform == "linux":
        try:
            ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(name[:15]), 0, 0, 0)  # PR_SET_NAME
        except (OSError, AttributeError):
            pass


def end_with(parent: int) -> None:
    """Linux: SIGTERM to this process when the import process ends, however it ends (killed
    too); elsewhere `_put`'s check of the parent is what remains."""
    if sys.platform == "linux":
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # gone before that took effect
        os._exit(0)


def _produce(handle: TextIO, extra: Mapping[str, str], receive, send, queue, parent: int) -> None:  # type: ignore[no-untyped-def]
    # Ctrl-C reaches the whole process group: the import process decides, and stops this one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    name_process(b"edgate-prepare")
    end_with(parent)
    # Never touch the inherited database connection: it is the import process's session.
    send.close()  # the import process's end: with it closed here, a gone import process is EOF
    delivered = False  # everything put was (or will be) read: wait for it to be sent
    try:
        try:
            imported = receive.recv()  # the rows imported before, once the import has read them
        except EOFError:
            return
        chunk: list[Sent] = []
        count = 0  # rows read: each chunk carries the count up to its last row
        # The import process's descriptor (inherited; it does not read it while this process
        # runs), so both read the file it opened, whatever is renamed over its path meanwhile.
        handle.seek(0)
        broken = ""
        try:
            for row in read(handle, agency_file=True):
                count += 1
                try:
                    chunk.append(prepare(row, extra, imported))
                except Exception:  # noqa: BLE001 - this row is the import process's to do (and to report)
                    chunk.append(_failed(row))
                if len(chunk) >= CHUNK:
                    if not _put(queue, (count, chunk), parent):
                        return
                    chunk = []
        except BrokenFile as exc:  # the import process stops there too, without reading again
            broken = str(exc)
        if chunk and not _put(queue, (count, chunk), parent):
            return
        delivered = _put(queue, _End(count, broken), parent)
    except Exception:  # noqa: BLE001 - reported to the import process, which raises it
        delivered = _put(queue, _Failure(traceback.format_exc()), parent)
    finally:
        queue.close()
        if delivered:
            queue.join_thread()
        else:
            # The import process is gone: nobody will read the pipe (this process holds its
            # other end too, so a write would wait forever). Exit without flushing.
            queue.cancel_join_thread()


class Preparer:
    """The child that prepares the rows of the file open at `handle` (the import process's: it
    must not read it until `rows` does; from then on it belongs to `rows`). Started before the importer's
    preload: forked after it, the two processes would share the pages of the in-memory index
    (gigabytes at a million people), and every match in the import process, touching its
    objects, would copy them. A context manager: the child is stopped and reaped on leaving it,
    however (the end, an exception, Ctrl-C)."""

    def __init__(self, handle: TextIO, *, extra: Mapping[str, str]) -> None:
        self.handle = handle
        self.opened = _version(handle)
        context = multiprocessing.get_context("fork")
        self.queue = context.Queue(maxsize=QUEUED)
        receive, self.send = context.Pipe(duplex=False)
        self.child = context.Process(
            target=_produce,
            args=(handle, dict(extra), receive, self.send, self.queue, os.getpid()),
            name="edgate-import-prepare",
            daemon=True,
        )
        self.child.start()
        receive.close()
        # This process only reads the queue: its copy of the pipe's write end is closed, so that
        # the child's death is an end of file here. Left open, a child killed while its feeder
        # thread was writing a chunk (500 rows, larger than the pipe's buffer: most of the time
        # the child is blocked there, waiting for this process to read) left half a message that
        # `get` began to read and then waited for forever, whatever its timeout (the timeout
        # covers only the wait for the first bytes). multiprocessing has no public call for this.
        self.queue._writer.close()  # type: ignore[attr-defined]

    def __enter__(self) -> Preparer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.child.is_alive():
            self.child.terminate()
        self.child.join()
        self.send.close()
        self.queue.close()
        self.queue.cancel_join_thread()

    def rows(self, imported: Mapping[str, str]) -> Iterator[tuple[Row, Prepared | None]]:
        """The rows of the file, in order, as the child read and checked them (the import
        process does not read them again), each with what the child computed for it: None for
        a row it failed on. From the row where the child failed, ended or fell out of step, the
        import process reads the rest of the file itself, from the descriptor both read (each
        with None; the child is stopped): no row is lost or given twice. `FileChanged` if that
        file was changed in place meanwhile. `imported`: the rows imported before (row key →
        content hash), as the importer's preload read them; a copy goes to the child."""
        last = 0  # the line of the last row given
        try:
            try:
                self.send.send(dict(imported))
            except OSError as exc:  # the child is gone already
                raise PrepareFailed(type(exc).__name__) from None
            finally:
                self.send.close()
            for row, prepared in self._from_child():
                last = row.line
                yield row, prepared
            return
        except PrepareFailed as exc:
            # The kind of failure only (an exception's message could quote a row's value).
            text = (str(exc).strip().splitlines() or [""])[-1]
            logger.warning(
                "the row-preparing process failed (%s); the import process prepares the rest itself",
                text.split(":", 1)[0],
            )
            self.close()
        # The child is gone: the descriptor is this process's again. The same file (another
        # renamed over its path meanwhile does not matter), but not if it was changed in place.
        if _version(self.handle) != self.opened:
            raise FileChanged(
                "the file was changed while it was being imported (its size or modification time is no "
                "longer what it was when the import opened it): the import stopped; what it wrote stays "
                "written, and importing the complete file again carries on from there"
            )
        self.handle.seek(0)
        for row in read(self.handle, agency_file=True):
            if row.line > last:
                yield row, None

    def _from_child(self) -> Iterator[tuple[Row, Prepared | None]]:
        """The child's rows, checked to be in step with the file as far as this process can
        tell without reading it: a chunk's rows are those the child read since the last chunk
        (its count), each row's line is after the one before (a row repeated, or sent out of
        order, is not), and the end comes after as many rows as the child read. (Not "one more
        than the one before": a blank line, or a quoted value over two lines, is a line without
        a row of its own.) Out of step: `PrepareFailed` before the row concerned is given."""
        received, line = 0, 0
        while True:
            try:
                chunk = self.queue.get(timeout=1.0)
            except Empty:
                if not self.child.is_alive():
                    ended = f"the row-preparing process ended (exit code {self.child.exitcode})"
                    raise PrepareFailed(ended) from None
                continue
            except (EOFError, OSError):  # it died, perhaps in the middle of a message
                self.child.join(GRACE)
                ended = f"the row-preparing process ended (exit code {self.child.exitcode})"
                raise PrepareFailed(ended) from None
            if isinstance(chunk, _End):
                if chunk.rows != received:
                    raise PrepareFailed(f"out of step: {chunk.rows} rows read, {received} received")
                if chunk.broken:
                    raise BrokenFile(chunk.broken)
                return
            if isinstance(chunk, _Failure):
                raise PrepareFailed(chunk.text)
            count, sent_rows = chunk
            if count != received + len(sent_rows):
                raise PrepareFailed(f"out of step: {count} rows read, {received + len(sent_rows)} received")
            for sent in sent_rows:
                if sent[0] <= line:
                    raise PrepareFailed(f"out of step: line {sent[0]} after line {line}")
                line = sent[0]
                received += 1
                yield _received(sent)
