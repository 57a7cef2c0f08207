"""200 browsers confirm page 4 for the same person at once, over real HTTP against
`edgate serve` (gunicorn, its own processes and connections) on PostgreSQL: one Person, one
Profile; one "created" page and 199 "you already have a Profile".

Pages 1-3 are prepared in the database (each flow at the review step, held by its own
session) because they are not where the race is and their two Argon2 hashes per browser
would take minutes; `python -m bench.failures same-person` walks them over HTTP too.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from importlib import import_module
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from edgate.accounts.models import Profile
from edgate.people.models import Person
from tests.factories import new_ssn
from tests.pii import register_dob
from tests.test_concurrency_postgres import review_flow, security  # noqa: F401 - a fixture

# Dozens of PostgreSQL connections at once: never beside another such test (tests/conftest.py).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("many_connections"),
]
N = 200
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FLOW = re.compile(r'name="flow" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    """`edgate serve` with the test settings, on the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "edgate.settings.test",
        "DATABASE_URL": url,
        "EDGATE_WORKERS": "2",
        "EDGATE_THREADS": "8",
        "EDGATE_THROTTLE_REGISTER_ADDRESS": "100000/3600",
        "EDGATE_THROTTLE_FLOW_START_ADDRESS": "100000/3600",
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "edgate"), "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            pytest.fail(f"edgate serve did not start: {(tmp_path / 'serve.log').read_text()[-2000:]}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _session_holding(flow_id: str) -> tuple[str, str]:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["edgate.flows.registration"] = [flow_id]  # the session that started the flow
    store.save()
    return str(store.session_key), flow_id


def test_two_hundred_browsers_confirming_one_person_make_one_profile(served: str, security) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    dob, ssn = register_dob(date(1979, 11, 4)), new_ssn()
    sessions = [_session_holding(review_flow("Ines", "Valdrighi", dob, ssn, security)) for _ in range(N)]
    barrier = threading.Barrier(N)
    answers: Counter[str] = Counter()
    lock = threading.Lock()

    def browser(session_key: str, flow_id: str) -> None:
        http = requests.Session()
        http.trust_env = False
        http.cookies.set(settings.SESSION_COOKIE_NAME, session_key)
        try:
            page = http.get(f"{served}/register/review/?flow={flow_id}", timeout=60)
            form = {
                "csrfmiddlewaretoken": CSRF.search(page.text).group(1),  # type: ignore[union-attr]
                "flow": FLOW.search(page.text).group(1),  # type: ignore[union-attr]
                "confirm": "on",
            }
            barrier.wait(timeout=120)
            answer = http.post(f"{served}/register/review/", data=form, allow_redirects=False, timeout=120)
            outcome = f"{answer.status_code} {answer.headers.get('Location', '').split('?')[0]}"
        except Exception as exc:  # noqa: BLE001 - counted, shown by the assertion
            barrier.abort()
            outcome = type(exc).__name__
        with lock:
            answers[outcome] += 1

    threads = [threading.Thread(target=browser, args=held) for held in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    assert answers == {"303 /register/created/": 1, "303 /register/exact/": N - 1}, answers
    assert Person.objects.count() == 1
    assert Profile.objects.count() == 1
