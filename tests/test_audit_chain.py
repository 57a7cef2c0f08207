"""The audit log is tamper-evident: `edgate audit verify` finds what was changed behind its back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.audit import events as audit_events
from edgate.audit.events import PendingEvent, chained_rows
from edgate.audit.models import AuditEvent, EventType, Outcome
from edgate.audit.record import record_event
from edgate.core import conf, crypto
from edgate.core.context import Ctx
from edgate.people import models as people_models
from edgate.people.actions import PersonData, do_create_person
from edgate.people.models import Person
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile
from tests.pii import register_secret

BEFORE_CHAIN = [("audit", "0004_event_type_catalogue_in_code")]


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def verify_broken(*args: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def broken_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("broken ")]


def chains() -> dict[int, list[int]]:
    seqs: dict[int, list[int]] = {}
    for chain, seq in AuditEvent.objects.order_by("chain", "seq").values_list("chain", "seq"):
        seqs.setdefault(chain, []).append(seq)
    return seqs


def in_chain_order() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("chain", "seq"))


@contextmanager
def behind_the_back() -> Iterator[object]:
    """Raw SQL with the append-only triggers out of the way, as someone with database access
    could. The test's transaction rolls the trigger change back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
            yield cursor
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER ALL")
        else:  # SQLite cannot disable a trigger; whoever holds the file can drop it
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            yield cursor


def some_events(n: int) -> list[AuditEvent]:
    for i in range(n):
        record_event(EventType.SIGN_OUT, ctx=Ctx(client_ip=f"192.0.2.{i + 1}"), detail={"n": i})
    return in_chain_order()


# --- clean logs ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_events_written_by_sign_ins_and_actions_verify_clean(client: Client) -> None:
    profile = with_profile(on_file(someone("Rowan", "Achterberg")))
    login = reverse("accounts:login")
    client.post(login, {"username": profile.username, "password": register_secret("not it, sorry")})
    client.post(login, {"username": profile.username, "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    kinds = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {EventType.PERSON_CREATED, EventType.PROFILE_CREATED, EventType.SIGN_IN_FAILED} <= kinds
    assert EventType.SIGN_IN in kinds and EventType.SIGN_OUT in kinds

    total = AuditEvent.objects.count()
    out = verify()
    assert f"{len(chains())} chain{'s' if len(chains()) > 1 else ''}, {total} events checked" in out
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in chains().values())
    for event in in_chain_order():
        assert f"anchor chain={event.chain} seq=" in out
        assert len(event.hash) == 64 and event.hash != event.prev_hash


@pytest.mark.django_db
def test_what_the_databases_do_to_values_does_not_break_the_hash() -> None:
    # jsonb reorders keys and keeps numbers as decimals; inet rewrites IPv6; "" becomes NULL.
    odd = {
        "zeta": 1,
        "alpha": "é ü 漢字 \U0001f600",
        "none": None,
        "empty": "",
        "tenth": 0.1,
        "big": 1e16,
        "huge": 1.5e300,
        "negative_zero": -0.0,
        "two": 2.0,
        "large_int": 2**62,
        "items": ["x", 2, True, None, 0.5],
    }
    record_event(EventType.SIGN_OUT, ctx=Ctx(client_ip="2001:DB8:0:0:0:0:0:1"), detail=odd)
    record_event(EventType.SIGN_OUT, ctx=Ctx(client_ip="::ffff:192.0.2.9", actor_id=2**40))
    record_event(EventType.SIGN_OUT, ctx=Ctx(client_ip=""), outcome=Outcome.DENIED)
    record_event(EventType.SIGN_OUT, ctx=Ctx(actor_label="label\nwith\x00controls"))
    assert "4 events checked" in verify()


# --- tampering -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "kind", "reported"),
    [
        ("UPDATE audit_auditevent SET detail = %s WHERE id = %s", "content changed", 2),
        ("UPDATE audit_auditevent SET outcome = 'failure' WHERE id = %s", "content changed", 2),
        ("UPDATE audit_auditevent SET prev_hash = %s WHERE id = %s", "link broken", 2),
        ("DELETE FROM audit_auditevent WHERE id = %s", "sequence gap", 3),
    ],
    ids=["detail edited", "outcome edited", "link rewritten", "event deleted"],
)
def test_a_change_behind_the_back_names_the_first_broken_event(sql: str, kind: str, reported: int) -> None:
    events = some_events(6)
    victim = events[2]
    params: list[object] = [victim.pk]
    if "detail" in sql:
        params.insert(0, json.dumps({"n": 99}))
    elif "prev_hash" in sql:
        params.insert(0, events[0].hash)
    with behind_the_back() as cursor:
        cursor.execute(sql, params)
        # A later event of the same chain is broken too: only the first is reported.
        cursor.execute("UPDATE audit_auditevent SET detail = %s WHERE id = %s", ['{"n": 100}', events[4].pk])
    first = events[reported]
    (line,) = broken_lines(verify_broken())
    assert line.startswith(f"broken chain={first.chain} seq={first.seq} (event {first.pk}): {kind}: ")


@pytest.mark.django_db
def test_an_event_slipped_in_at_a_taken_place_is_found() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's unique constraint is part of the table: no way around it short of a rebuild")
    events = some_events(3)
    copy = events[1]
    with behind_the_back() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DROP CONSTRAINT audit_event_chain_seq")
        cursor.execute(
            "INSERT INTO audit_auditevent (at, event_type, outcome, actor_label, target_type, target_id, "
            "detail, chain, seq, prev_hash, hash) SELECT at, event_type, outcome, actor_label, target_type, "
            "target_id, detail, chain, seq, prev_hash, hash FROM audit_auditevent WHERE id = %s",
            [copy.pk],
        )
    (line,) = broken_lines(verify_broken())
    assert f"broken chain={copy.chain} seq={copy.seq} " in line and "sequence repeated" in line


@pytest.mark.django_db
def test_a_forged_hash_does_not_verify() -> None:
    events = some_events(3)
    forged = crypto.lookup_hash("audit-chain", "something else")  # right shape, wrong content
    with behind_the_back() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET detail = %s, hash = %s WHERE id = %s",
            ['{"n": 7}', forged, events[2].pk],
        )
    assert "content changed" in broken_lines(verify_broken())[0]


@pytest.mark.django_db
def test_a_cut_off_tail_is_found_only_against_an_anchor(tmp_path: Path) -> None:
    events = some_events(4)
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(verify(), encoding="utf-8")
    with behind_the_back() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    # Intact in itself: what the help text and the docs warn about.
    assert "3 events checked" in verify()
    out = verify_broken("--anchors", str(anchors))
    assert broken_lines(out) == [
        f"broken chain={events[2].chain} seq=3 (event {events[2].pk}): truncated: "
        "the chain ends at seq 3 but the anchor names seq 4: its last events were deleted"
    ]
    # More events after an anchor are fine; the anchored event itself must not change.
    record_event(EventType.SIGN_OUT, ctx=CTX)
    anchors.write_text(verify(), encoding="utf-8")
    record_event(EventType.SIGN_OUT, ctx=CTX)
    assert "intact" in verify("--anchors", str(anchors))
    # A chain deleted whole is gone from the log, not from the anchors.
    with behind_the_back() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert "0 chains, 0 events checked" in verify()
    assert "truncated: the chain ends at seq 0" in broken_lines(verify_broken("--anchors", str(anchors)))[0]


@pytest.mark.django_db
def test_after_a_key_rotation_verification_starts_from_the_anchors(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    some_events(3)
    anchors = tmp_path / "before-rotation.txt"
    anchors.write_text(verify(), encoding="utf-8")
    settings.LOOKUP_KEY = "a-new-lookup-key-for-the-test"
    conf.reset()
    crypto.reset()
    record_event(EventType.SIGN_OUT, ctx=CTX)
    assert "content changed" in broken_lines(verify_broken())[0]  # old events, new key
    assert "4 events checked" in verify("--anchors", str(anchors), "--trust-anchored")
    with pytest.raises(CommandError, match="needs --anchors"):
        verify("--trust-anchored")


# --- transactions ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_record_event_works_in_autocommit_and_in_nested_atomics() -> None:
    assert connection.get_autocommit()
    record_event(EventType.SIGN_OUT, ctx=CTX, detail={"where": "autocommit"})
    with transaction.atomic():
        record_event(EventType.SIGN_OUT, ctx=CTX, detail={"where": "outer"})
        with transaction.atomic():
            record_event(EventType.SIGN_OUT, ctx=CTX, detail={"where": "inner"})
        with pytest.raises(RuntimeError), transaction.atomic():
            record_event(EventType.SIGN_OUT, ctx=CTX, detail={"where": "rolled back"})
            raise RuntimeError
        record_event(EventType.SIGN_OUT, ctx=CTX, detail={"where": "after the rollback"})
    wheres = [e.detail["where"] for e in in_chain_order()]
    assert wheres == ["autocommit", "outer", "inner", "after the rollback"]
    assert list(chains().values()) == [[1, 2, 3, 4]]
    assert "4 events checked" in verify()


@pytest.mark.django_db(transaction=True)
def test_chained_rows_refuse_to_run_outside_the_transaction_that_writes_them() -> None:
    with pytest.raises(transaction.TransactionManagementError):
        chained_rows([PendingEvent(EventType.SIGN_OUT, ctx=CTX)])


@pytest.mark.django_db
def test_chained_rows_continue_the_chain_they_claim() -> None:
    first = record_event(EventType.SIGN_OUT, ctx=CTX)
    event = PendingEvent(
        EventType.PERSON_CREATED, ctx=Ctx(actor_label="importer"), target=first, detail={"source": "bulk"}
    )
    rows = chained_rows([event] * 3)
    # Written the way a caller without COPY would: one INSERT per row.
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO audit_auditevent (at, event_type, outcome, actor_id, actor_label, target_type, "
            "target_id, client_ip, detail, chain, seq, prev_hash, hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    assert [(r[9], r[10]) for r in rows] == [(first.chain, 2), (first.chain, 3), (first.chain, 4)]
    assert "4 events checked" in verify()


# --- the migration ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_events_written_before_the_chain_are_chained_by_the_migration() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_CHAIN)
    try:
        # The way record_event wrote before the chain…
        old = executor.loader.project_state(BEFORE_CHAIN).apps.get_model("audit", "AuditEvent")
        old.objects.create(
            event_type="accounts.sign_in",
            actor_id=7,
            actor_label="old code",
            target_type="accounts.profile",
            target_id="7",
            client_ip="2001:DB8::1",
            detail={"b": 2, "a": [1, "x"], "c": 0.25},
        )
        old.objects.create(event_type="accounts.sign_out", client_ip=None)
        # …and the way the bulk importer's COPY did: no actor, no address, detail as JSON text.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (at, event_type, outcome, actor_label, target_type, "
                "target_id, detail) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    timezone.now(),
                    "people.person_created",
                    "success",
                    "import",
                    "people.person",
                    "12",
                    '{"z": 1, "a": 2}',
                ],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(AuditEvent.objects.order_by("id").values_list("chain", "seq")) == [(0, 1), (0, 2), (0, 3)]
    assert "3 events checked" in verify()
    record_event(EventType.SIGN_OUT, ctx=CTX)  # new events chain on
    assert "4 events checked" in verify()
    # The append-only trigger is back after the migration.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET outcome = 'failure'")


# --- do_create_person ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_is_never_saved_without_its_event(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_record(*args: object, **kwargs: object) -> None:
        raise DatabaseError("the audit log is unavailable")

    monkeypatch.setattr(audit_events, "record_event", failing_record)  # what PendingEvent.record calls
    with pytest.raises(DatabaseError):
        on_file(someone("Ingrid", "Valtonen"))
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_a_state_id_collision_is_retried_and_the_event_names_the_saved_person(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = on_file(someone("Tomasz", "Wieczorek"))
    draws = iter([first.state_id, "87654321"])
    monkeypatch.setattr(people_models, "new_state_id", lambda: next(draws))
    second = on_file(someone("Tomasz", "Wieczorek"))
    assert second.state_id == "87654321"
    created = AuditEvent.objects.filter(event_type=EventType.PERSON_CREATED)
    assert sorted(created.values_list("target_id", flat=True)) == sorted([str(first.pk), str(second.pk)])
    assert "2 events checked" in verify()


@pytest.mark.django_db
def test_a_duplicate_ssn_still_raises_and_leaves_the_callers_transaction_usable() -> None:
    who = someone("Odile", "Marchetti")
    on_file(who)
    with pytest.raises(IntegrityError):
        do_create_person(data=PersonData(first_name="O", last_name="M", ssn=who.ssn), source="test", ctx=CTX)
    assert Person.objects.count() == 1  # the caller's transaction can go on
    assert AuditEvent.objects.filter(event_type=EventType.PERSON_CREATED).count() == 1
    assert "1 event checked" in verify()
