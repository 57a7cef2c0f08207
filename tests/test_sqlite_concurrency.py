"""`make run`'s SQLite database under concurrent page-1 posts: no "database is locked" 500s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def settings_for(database_url: str) -> dict[str, object]:
    """The default database as base settings configure it for DATABASE_URL (fresh interpreter)."""
    code = "import json; from edgate.settings import base; print(json.dumps(base.DATABASES['default']))"
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_file_databases_get_wal_a_busy_timeout_and_immediate_transactions(tmp_path: Path) -> None:
    options = settings_for(f"sqlite:///{tmp_path / 'edgate.sqlite3'}")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"] and options["timeout"] >= 5
    assert not settings_for("sqlite://:memory:").get("OPTIONS")
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        assert "transaction_mode" not in settings.DATABASES["default"]["OPTIONS"]


def test_45_simultaneous_page_1_posts_get_no_500() -> None:
    """bench/sqlite_concurrency.py: 45 threads, each its own test client, post page 1 at the
    same moment against a fresh SQLite file with the development settings."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-m", "bench.sqlite_concurrency", "--clients", "45", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.splitlines()[-1])["answers"]
    assert answers == {"303": 45}  # every one of them on to page 2
