"""The `edgate` console command, as an operator runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.console import demo
from edgate.matching.models import CaseStatus, MatchCase
from edgate.people.models import Person
from tests.backoffice import console_client
from tests.factories import Someone
from tests.flows.helpers import location, post_step, start, step
from tests.pii import register_dob, register_secret, register_ssn

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
    cases = re.findall(r"^  • (EG-\w{4}-\w{4}), .*: sign in as ", first.stdout, re.MULTILINE)
    assert len(cases) == 2, first.stdout
    assert re.findall(r"^  • (EG-\w{4}-\w{4}), .*: sign in as ", second.stdout, re.MULTILINE) == cases
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
    section = out.getvalue().split("Try these at /register/", 1)[1].split("\n\n", 1)[0]
    lines = [line for line in section.splitlines() if "SSN" in line]
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
    for line in lines:
        match = pattern.search(line)
        assert match, line
        ssn = register_ssn(match["ssn"].replace("-", ""))
        born = register_dob(datetime.strptime(match["born"], "%B %d %Y").date())
        who = Someone(first_name=match["first"], last_name=match["last"], date_of_birth=born, ssn=ssn)
        target = next(state for key, state in expected.items() if match["label"].startswith(key))
        client = Client()
        start(client)
        if target == "partial":  # asked once to check what was typed, then the case
            assert location(post_step(client, "identity", who.identity_post())) == step("check"), line
            assert location(post_step(client, "check", {"unchanged": "1"})) == step(target), line
        else:
            assert location(post_step(client, "identity", who.identity_post())) == step(target), line


CASE_LINE = re.compile(
    r"^  • (?P<ref>EG-\w{4}-\w{4}), (?P<queue>[^:]+): sign in as (?P<username>\S+), open Cases, .+ "
    r"\(console: (?P<page>/console/cases/EG-\w{4}-\w{4}/)\)$",
    re.MULTILINE,
)


@pytest.mark.django_db
def test_demo_opens_a_case_for_a_directory_administrator_and_one_for_customer_service(tmp_path: Path) -> None:
    """The demo's open cases, opened as page 1 opens them (the match and the audited action),
    each in the queue `make run` names beside the account to sign in as; a second load finds
    them and adds nothing."""
    path = tmp_path / "accounts.json"
    out = StringIO()
    call_command("demo", "--force", "--accounts-json", str(path), stdout=out)
    accounts = json.loads(path.read_text(encoding="utf-8"))
    by_role = {(a["role"], a["organization"]): Profile.objects.get(username=a["username"]) for a in accounts}
    district_admin = by_role[("directory_administrator", "01230000")]
    service = by_role[("customer_service", None)]
    found = [m.groupdict() for m in CASE_LINE.finditer(out.getvalue())]
    assert [(f["queue"], f["username"]) for f in found] == [
        ("Northfield Public Schools", district_admin.username),
        ("customer service only (the record is on no organization's staff)", service.username),
    ], out.getvalue()
    staff_case, service_case = (MatchCase.objects.get(reference=f["ref"]) for f in found)
    for case, differs in ((staff_case, "first_name"), (service_case, "date_of_birth")):
        assert (case.status, case.source, case.attempts) == (CaseStatus.OPEN, "registration", 1)
        assert case.person.source == "demo"
        levels = case.explanation["fields"]
        assert levels[differs] == "differ" and levels["ssn"] == "agree", levels
        (opened,) = AuditEvent.objects.filter(event_type=EventType.MATCH_CASE_OPENED, target_id=str(case.pk))
        assert opened.actor_label == "edgate demo"
    # Routed as page 1 routes: to the organizations the record's person works for, or none.
    assert [o.code for o in staff_case.organizations.all()] == ["01230000"]
    assert not service_case.organizations.exists()

    # The Directory Administrator's queue holds the district's case, not customer service's;
    # another district's administrator sees neither; customer service sees both.
    administrator = console_client(district_admin)
    queue = administrator.get(reverse("backoffice:cases")).content.decode()
    assert staff_case.reference in queue and service_case.reference not in queue
    page = administrator.get(found[0]["page"])
    assert page.status_code == 200 and page.context["may_act"]
    assert administrator.get(found[1]["page"]).status_code == 404
    riverside = console_client(by_role[("directory_administrator", "04560000")])
    assert riverside.get(found[0]["page"]).status_code == 404
    agent = console_client(service)
    queue = agent.get(reverse("backoffice:cases")).content.decode()
    assert staff_case.reference in queue and service_case.reference in queue
    page = agent.get(found[1]["page"])
    assert page.status_code == 200 and page.context["may_act"]

    # A second load finds the cases (and prints them again) and writes nothing.
    events, cases = AuditEvent.objects.count(), MatchCase.objects.count()
    again = StringIO()
    call_command("demo", "--force", stdout=again)
    assert (AuditEvent.objects.count(), MatchCase.objects.count()) == (events, cases)
    assert [m["ref"] for m in CASE_LINE.finditer(again.getvalue())] == [f["ref"] for f in found]
    assert MatchCase.objects.get(pk=staff_case.pk).attempts == 1


@pytest.mark.django_db
def test_the_demo_cases_decided_as_make_run_says_let_their_people_finish_setting_up() -> None:
    out = StringIO()
    call_command("demo", "--force", stdout=out)
    lines = [m.group(0) for m in CASE_LINE.finditer(out.getvalue())]
    assert len(lines) == 2
    for line in lines:
        found = CASE_LINE.search(line)
        assert found
        case = MatchCase.objects.get(reference=found["ref"])
        person = case.person
        post = {
            "outcome": "same_person",
            "first_name": person.first_name,
            "middle_name": "",
            "last_name": person.last_name,
            "former_last_name": "",
            "reason": "Called the person, checked their license",
            "dob_month": "",
            "dob_day": "",
            "dob_year": "",
        }
        if fixed := re.search(r"correcting the first name to (\S+);", line):
            post["first_name"] = fixed.group(1)
        elif fixed := re.search(r"correcting the date of birth to (\w+ \d+ \d{4});", line):
            born = datetime.strptime(fixed.group(1), "%B %d %Y").date()
            post |= {"dob_month": str(born.month), "dob_day": str(born.day), "dob_year": str(born.year)}
        else:
            raise AssertionError(line)
        console = console_client(Profile.objects.get(username=found["username"]))
        resolved = console.post(
            reverse("backoffice:case_resolve", kwargs={"reference": case.reference}), post
        )
        assert resolved.status_code == 302, resolved.content.decode()
        typed = re.search(r"then register (\S+) (\S+), born (.+?), SSN ([\d-]+) to finish", line)
        assert typed, line
        who = Someone(
            first_name=typed.group(1),
            last_name=typed.group(2),
            date_of_birth=register_dob(datetime.strptime(typed.group(3), "%B %d %Y").date()),
            ssn=register_ssn(typed.group(4).replace("-", "")),
        )
        client = Client()
        start(client)
        assert location(post_step(client, "identity", who.identity_post())) == step("setup"), line


@pytest.mark.django_db
def test_createstaff_grants_privileges_through_an_audited_action(monkeypatch: pytest.MonkeyPatch) -> None:
    password = register_secret("harbor quiet lantern meadow")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": password)
    out = StringIO()
    call_command("createstaff", "--first-name", "Sam", "--last-name", "Okoye", "--superuser", stdout=out)
    assert "User Name: sokoye" in out.getvalue()
    profile = Profile.objects.get(username="sokoye")
    assert profile.is_staff and profile.is_superuser and not profile.hint_question
    (event,) = AuditEvent.objects.filter(event_type=EventType.PRIVILEGES_CHANGED, target_id=str(profile.pk))
    assert event.actor_label == "edgate createstaff"
    assert event.detail["fields"] == ["is_staff", "is_superuser"]
    assert (event.detail["is_superuser_old"], event.detail["is_superuser_new"]) == (False, True)


@pytest.mark.django_db
def test_demo_accounts_json_and_privileged_demo_accounts_without_hints(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    call_command("demo", "--force", "--accounts-json", str(path), stdout=StringIO())
    accounts = json.loads(path.read_text(encoding="utf-8"))
    assert [a["role"] for a in accounts] == [
        "educator",
        "directory_administrator",
        "directory_administrator",
        "directory_administrator",
        "customer_service",
        "security_administrator",
    ]
    for account in accounts:
        assert set(account) == {"role", "organization", "username", "password", "totp_secret"}
        assert account["password"] == demo.DEMO_PASSWORD
    assert [a["organization"] for a in accounts] == [None, "01230000", "01230010", "04560000", None, None]
    by_role = {a["role"]: Profile.objects.get(username=a["username"]) for a in accounts}
    security, service = by_role["security_administrator"], by_role["customer_service"]
    # The admin site is the security administrator's alone; customer service works in the console.
    assert security.is_superuser and security.is_staff
    assert not service.is_staff and not service.is_superuser
    assert [g.name for g in service.groups.all()] == ["Customer service"]
    # Privileged Profiles never recover by hint question, so they have none.
    for privileged in (security, service):
        assert privileged.hint_question == "" and privileged.hint_answer_hash == ""
    assert by_role["educator"].hint_question  # an educator does
    granted = AuditEvent.objects.filter(event_type=EventType.PRIVILEGES_CHANGED)
    assert {e.target_id for e in granted} == {str(security.pk), str(service.pk)}
    assert {e.actor_label for e in granted} == {"edgate demo"}
    # A second run finds everything in place and records nothing.
    events = AuditEvent.objects.count()
    call_command("demo", "--force", stdout=StringIO())
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize("ssn", ["123450007", "123450001", "123450006"])
def test_demo_refuses_a_database_whose_record_holds_one_of_its_ssns(ssn: str) -> None:
    """review5 L4: the demo adopted whoever held one of its SSNs (123-45-0007: a case opened about
    them; 0001: made a Directory Administrator; 0006: added to a school's staff by its import).
    A record the demo did not make is refused and nothing is loaded."""
    from django.core.management.base import CommandError

    from edgate.core.context import Ctx
    from edgate.people.actions import PersonData, do_create_person

    real = do_create_person(
        data=PersonData(
            first_name="Patricia",
            last_name="Realperson",
            date_of_birth=register_dob(datetime(1961, 2, 3).date()),
            ssn=register_ssn(ssn),
        ),
        source="registration",
        ctx=Ctx.system("test"),
    )
    with pytest.raises(CommandError, match=f"Record {real.pk} \\(source 'registration'\\)"):
        call_command("demo", "--force", stdout=StringIO())
    assert list(Person.objects.all()) == [real]  # nothing loaded, the record untouched
    assert not MatchCase.objects.exists() and not Profile.objects.exists()
    assert not real.staff_entries.exists()


def test_the_demo_refusal_says_what_force_does(settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError) as refused:
        call_command("demo", stdout=StringIO())
    message = str(refused.value)
    assert "--force" in message and "never one with real people" in message
    assert "(use --force)" not in message
