"""Database triggers that refuse a write whatever code path (ORM, admin, raw SQL) tries it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def refuse_trigger(
    name: str,
    table: str,
    *,
    event: str,
    condition: str,
    message: str,
    vendors: tuple[str, ...] = ("postgresql", "sqlite"),
) -> tuple[Callable[..., None], Callable[..., None]]:
    """Migration operations (forward, backward) for a trigger refusing `event` on `table`.

    `event` is "UPDATE", "DELETE" or "UPDATE OF column"; `condition` is an SQL expression
    over OLD/NEW that must be true for the refusal (use "TRUE" for always).
    """

    def forward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        vendor = schema_editor.connection.vendor
        if vendor not in vendors:
            return
        if vendor == "postgresql":
            schema_editor.execute(
                f"""CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger AS $$
                BEGIN
                  IF {condition} THEN RAISE EXCEPTION '{message}'; END IF;
                  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                  RETURN NEW;
                END $$ LANGUAGE plpgsql"""
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_fn()"
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )

    def backward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}_fn()")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")

    return forward, backward
