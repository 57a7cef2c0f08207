"""The `edgate` console command, as an operator runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from edgate.people.models import Person
from tests.flows.helpers import post_step, start, step
from tests.pii import register_dob, register_ssn

# The console command installed beside this interpreter (the project's virtual environment).
EDGATE = str(Path(sys.executable).parent / "edgate")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run([EDGATE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_migrate_and_demo_twice_through_the_console_command(tmp_path: Path) -> None:
    assert run("migrate", "--noinput", "-v0", cwd=tmp_path).returncode == 0
    first = run("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = run("demo", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    for outcome in ("no match", "pre-created Profile", "partial match", "exact match"):
        assert outcome in first.stdout
    count = re.search(r"Demo data ready: (\d+) people", first.stdout)
    assert count and int(count.group(1)) >= 1000
    assert f"Demo data ready: {count.group(1)} people" in second.stdout  # idempotent
    assert (tmp_path / "edgate.sqlite3").exists()
    assert not (tmp_path / ".edgate-dev-secrets.json").stat().st_mode & 0o077  # keys readable by owner only


def test_cleanup_command(tmp_path: Path) -> None:
    assert run("migrate", "--noinput", "-v0", cwd=tmp_path).returncode == 0
    result = run("cleanup", cwd=tmp_path)
    assert result.returncode == 0 and "Removed 0 expired flows" in result.stdout


def test_createsuperuser_is_refused_because_user_names_are_assigned(tmp_path: Path) -> None:
    assert run("migrate", "--noinput", "-v0", cwd=tmp_path).returncode == 0
    result = run("createsuperuser", "--noinput", "--username", "chosen", cwd=tmp_path)
    assert result.returncode != 0
    assert "assigned" in result.stderr


@pytest.mark.django_db
def test_demo_identities_lead_to_the_outcome_they_promise() -> None:
    out = StringIO()
    call_command("demo", "--force", stdout=out)
    call_command("demo", "--force", stdout=StringIO())
    assert Person.objects.count() >= 1000
    lines = [line for line in out.getvalue().splitlines() if "SSN" in line]
    expected = {
        "no match": "contact",
        "pre-created": "setup",
        "partial": "partial",
        "exact": "exact",
    }
    pattern = re.compile(
        r"• (?P<label>[^:]+): (?P<first>\S+) (?P<last>.+?), born (?P<born>.+?), SSN (?P<ssn>[\d-]+)"
    )
    assert len(lines) == 4
    from datetime import datetime

    from tests.factories import Someone

    for line in lines:
        match = pattern.search(line)
        assert match, line
        ssn = register_ssn(match["ssn"].replace("-", ""))
        born = register_dob(datetime.strptime(match["born"], "%B %d %Y").date())
        who = Someone(first_name=match["first"], last_name=match["last"], date_of_birth=born, ssn=ssn)
        target = next(state for key, state in expected.items() if match["label"].startswith(key))
        client = Client()
        start(client)
        assert post_step(client, "identity", who.identity_post())["Location"] == step(target), line
