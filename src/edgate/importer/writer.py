"""The bulk import's batches written by a process of their own (docs/matching.md §7, "The
writer process").

Building a batch's rows — each Person with its blocking keys, the Profile with its unusable
password, the import record, the audit events, their chain's hashes — and handing them to COPY
was about a fifth of the import process's time, under the interpreter lock that the matching
needs too. A process forked before the importer's preload (so it shares none of the in-memory
index's pages, and holds no database connection: the import process closes its own before
forking) receives each batch as plain values, writes it in one transaction on its own
connection (`bulk.write_batch`, which the import process itself runs when there is no writer)
and answers with what it found. One batch is in flight at a time; the import process waits for
the answer before anything else touches the database, as it did with a writer thread.

The process ignores Ctrl-C (the import process decides), ends with the import process however
that ends (Linux `PR_SET_PDEATHSIG`, as the row-preparing process), and is stopped and reaped by
`close()`. If it fails or dies before the batch's COMMIT, the batch is not written (its
transaction ends with it) and the import process writes that batch row by row and the rest
itself (`WriterFailed`); killed just after the COMMIT, see `bulk`'s docstring.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections

from .prepare import end_with, name_process

# The batch writer's signature: (records, target, after_person=, after_profile=, analyze=) →
# what it found (`bulk.write_batch`, `bulk.Written`; given, not imported: bulk imports this).
Write = Callable[..., Any]

# How long `close()` waits for the process to finish on its own before stopping it.
GRACE = 30.0


class WriterFailed(RuntimeError):
    """The writer process failed or is gone: the batch it held is not written."""


@dataclass(frozen=True)
class _Failure:
    text: str  # the traceback, without local values


# Database connections this process inherited from the import process: set aside, never used
# and never closed (see `_forget_inherited_connections`); the process ends with os._exit.
_INHERITED: list[Any] = []


def _forget_inherited_connections() -> None:
    """Open its own connection, whatever came with the fork. The import process closes its
    connection before forking, yet in the test suite (after some other tests had run in the
    same process) the writer still found an open one in Django's connection handler, used it
    for its first batch and failed on its second with "server closed the connection
    unexpectedly": two processes on one PostgreSQL session. Used here, an inherited connection
    is the import process's session; closed here (libpq sends Terminate), that session would
    end. So each is set aside unclosed (a garbage-collected psycopg connection would close
    itself), its transaction state forgotten, and Django opens a fresh one on first use."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _INHERITED.append(conn.connection)
            conn.connection = None
        conn.closed_in_transaction = False
        conn.in_atomic_block = False
        conn.savepoint_ids = []
        conn.atomic_blocks = []
        conn.needs_rollback = False


def _serve(channel: Any, write: Write, target: Any, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the import process decides
    name_process(b"edgate-writer")
    end_with(parent)
    _forget_inherited_connections()

    try:
        while True:
            try:
                message = channel.recv()
            except EOFError:  # the import process is gone
                return
            if message is None:
                return
            records, after_person, after_profile, analyze = message
            try:
                answer = write(
                    records, target, after_person=after_person, after_profile=after_profile, analyze=analyze
                )
            except Exception:  # noqa: BLE001 - reported to the import process, which carries on
                answer = _Failure(traceback.format_exc())
            channel.send(answer)
    finally:
        connections.close_all()


class WriterProcess:
    def __init__(self, write: Write, target: Any) -> None:
        # The child must not share this process's database session: closed here (the import
        # process opens a new one when it next needs it), the child opens its own.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        self.channel, theirs = context.Pipe(duplex=True)
        self.process = context.Process(
            target=_serve, args=(theirs, write, target, os.getpid()), name="edgate-import-writer", daemon=True
        )
        self.process.start()
        theirs.close()
        self.busy = False  # a batch sent, its answer not yet received

    def send(self, records: list[Any], after_person: int, after_profile: int, analyze: bool) -> None:
        if not self.process.is_alive():
            raise WriterFailed(f"the writer process ended (exit code {self.process.exitcode})")
        try:
            self.channel.send((records, after_person, after_profile, analyze))
            self.busy = True
        except OSError as exc:
            raise WriterFailed(str(exc)) from None

    def result(self) -> Any:
        """The answer for the batch sent last (waits for it)."""
        try:
            while not self.channel.poll(1.0):
                if not self.process.is_alive():
                    raise WriterFailed(f"the writer process ended (exit code {self.process.exitcode})")
            answer = self.channel.recv()
            self.busy = False
        except (EOFError, OSError) as exc:
            raise WriterFailed(f"the writer process is gone ({type(exc).__name__})") from None
        if isinstance(answer, _Failure):
            raise WriterFailed(answer.text)
        return answer

    def close(self) -> None:
        """Stop the process (at once when it is busy: a batch in flight is rolled back) and reap it."""
        if self.process.is_alive() and not self.busy:
            try:
                self.channel.send(None)
            except OSError:
                pass
            self.process.join(GRACE)
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.channel.close()
