"""Indexes that no query uses, dropped without blocking a node that is still serving.

On PostgreSQL Django gives every `CharField` with `db_index=True` or `unique=True` a second
index, `<table>_<column>_<hash>_like` with the `varchar_pattern_ops` operator class, for
`LIKE 'prefix%'` (`__startswith`, `__contains`) under a non-C collation. A column queried only
by equality (or by `UPPER(…) LIKE`, the `__i…` lookups and the admin's search, which that index
cannot serve) pays for it on every row written and gains nothing: the plain index (or the
unique constraint's) serves `=`. It is not part of Django's migration state (it never was), so
dropping it changes no model; an `AlterField` that makes Django create it again (a column
newly indexed or made unique, or its type changed) would need another look.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

LIKE = "_like"  # Django's `varchar_pattern_ops` copy
PLAIN = ""  # the index of `db_index=True`


def index_name(schema_editor: BaseDatabaseSchemaEditor, table: str, column: str, kind: str) -> str:
    """The name Django gave the index of `column` (its own rule, `_create_index_name`)."""
    return schema_editor._create_index_name(table, [column], suffix=kind)


def drop_indexes(
    indexes: Sequence[tuple[str, str, str]],
) -> tuple[Callable[..., None], Callable[..., None]]:
    """Migration operations (forward: drop, backward: create again) for the single-column
    indexes `(table, column, LIKE or PLAIN)` Django made. On PostgreSQL CONCURRENTLY, so that a
    node still serving (a rolling upgrade) is never blocked behind the table's lock: the
    migration must be `atomic = False`. SQLite has no `_like` indexes; its plain ones are
    dropped too (and the table is not rebuilt, as an `AlterField` there would)."""

    def forward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        vendor = schema_editor.connection.vendor
        concurrently = " CONCURRENTLY" if vendor == "postgresql" else ""
        for table, column, kind in indexes:
            if vendor == "postgresql" or (vendor == "sqlite" and kind == PLAIN):
                name = schema_editor.quote_name(index_name(schema_editor, table, column, kind))
                schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {name}")

    def backward(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
        vendor = schema_editor.connection.vendor
        concurrently = " CONCURRENTLY" if vendor == "postgresql" else ""
        for table, column, kind in indexes:
            if vendor == "postgresql" or (vendor == "sqlite" and kind == PLAIN):
                name = schema_editor.quote_name(index_name(schema_editor, table, column, kind))
                opclass = " varchar_pattern_ops" if kind == LIKE else ""
                schema_editor.execute(
                    f"CREATE INDEX{concurrently} IF NOT EXISTS {name} ON {schema_editor.quote_name(table)} "
                    f"({schema_editor.quote_name(column)}{opclass})"
                )

    return forward, backward
