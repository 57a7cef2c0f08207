"""Audit chains under concurrency on a real PostgreSQL: no lost link, no deadlock, no waiting."""

from __future__ import annotations

import threading
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from edgate.audit import chain
from edgate.audit.models import AuditEvent, EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from tests.factories import CTX

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def seqs_by_chain() -> dict[int, list[int]]:
    seqs: dict[int, list[int]] = {}
    for number, seq in AuditEvent.objects.order_by("chain", "seq").values_list("chain", "seq"):
        seqs.setdefault(number, []).append(seq)
    return seqs


def in_thread(target: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test's assertion
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_twenty_writers_at_once_leave_every_chain_whole() -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(i: int) -> Callable[[], None]:
        def write() -> None:
            ctx = Ctx(client_ip=f"203.0.113.{i}", actor_label=f"writer {i}")
            barrier.wait()
            for round_ in range(6):
                if round_ % 3 == 0:  # autocommit: the event is its own transaction
                    record_event(EventType.SIGN_OUT, ctx=ctx, detail={"round": round_})
                else:  # several events in one transaction, between other work
                    with transaction.atomic():
                        for k in range(round_ % 3 + 1):
                            record_event(EventType.SIGN_IN, ctx=ctx, detail={"round": round_, "k": k})
                            AuditEvent.objects.filter(actor_label=ctx.actor_label).count()

        return write

    per_writer = sum(1 if r % 3 == 0 else r % 3 + 1 for r in range(6))
    threads = [in_thread(writer(i), errors) for i in range(THREADS)]
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    expected = THREADS * per_writer
    assert AuditEvent.objects.count() == expected
    seqs = seqs_by_chain()
    assert all(s == list(range(1, len(s) + 1)) for s in seqs.values())
    assert len(seqs) > 1  # writers spread over chains instead of queueing on one
    # Every event of one transaction went to one chain, in order.
    for i in range(THREADS):
        for round_ in (1, 2, 4, 5):
            rows = list(
                AuditEvent.objects.filter(actor_label=f"writer {i}", detail__round=round_)
                .order_by("seq")
                .values_list("chain", "seq")
            )
            assert len({c for c, _ in rows}) == 1
            assert [s for _, s in rows] == list(range(rows[0][1], rows[0][1] + len(rows)))
    assert f"{expected} events checked" in verify()


class ChainHolder:
    """Another session that holds some chains in an open transaction until released."""

    def __init__(self, held: list[int]) -> None:
        self.held = held
        self.errors: list[BaseException] = []
        self.holding, self.release = threading.Event(), threading.Event()
        self.thread = in_thread(self._hold, self.errors)
        assert self.holding.wait(timeout=60), self.errors

    def _hold(self) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            for number in self.held:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [chain.LOCK_NAMESPACE, number])
            self.holding.set()
            self.release.wait(timeout=120)

    def done(self) -> None:
        self.release.set()
        self.thread.join(timeout=60)
        assert not self.errors, self.errors


def test_a_writer_takes_a_free_chain_instead_of_waiting_for_a_held_one() -> None:
    holder = ChainHolder(list(range(chain.CHAINS - 1)))  # all but the last one
    try:
        chain._last.chain = 0  # this connection's favourite is among the held ones
        with transaction.atomic():
            with connection.cursor() as cursor:  # turns a wait into an error instead of a hang
                cursor.execute("SET LOCAL lock_timeout = '30s'")
            first = record_event(EventType.SIGN_OUT, ctx=CTX)
            second = record_event(EventType.SIGN_OUT, ctx=CTX)
    finally:
        holder.done()
    assert first.chain == second.chain == chain.CHAINS - 1
    assert (first.seq, second.seq) == (1, 2)
    assert "2 events checked" in verify()


def test_when_every_chain_is_busy_a_writer_opens_an_overflow_chain_instead_of_waiting() -> None:
    holder = ChainHolder(list(range(chain.CHAINS + 1)))  # every regular chain and the first overflow one
    try:
        with transaction.atomic():
            first = record_event(EventType.SIGN_OUT, ctx=CTX)
            second = record_event(EventType.SIGN_OUT, ctx=CTX)
    finally:
        holder.done()
    assert first.chain == second.chain == chain.CHAINS + 1
    assert (first.seq, second.seq) == (1, 2)
    assert record_event(EventType.SIGN_IN, ctx=CTX).seq == 3  # the connection keeps to its chain
    assert "1 chain, 3 events checked" in verify()
