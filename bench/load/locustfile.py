"""The users of the load benchmark (locust, headless; started by bench/load/__main__.py).

How many of each run is read from the environment (LOAD_SIGNIN_USERS, LOAD_PAGE_USERS,
LOAD_REGISTER_USERS), the site's name from LOAD_SERVER_NAME; the accounts to sign in with
from LOAD_ACCOUNTS (a JSON file written by bench.load.seed); every request is written to
LOAD_OUT (JSON) when the run ends, so the percentiles are computed from every timing rather
than from locust's rounded buckets.

- SignInUser: GET /login/, then POST /login/ with its own account (one per user, so no
  per-User-Name throttle or delay is involved); then forgets its cookies and starts again.
- PageUser: signed in once; then, in turn, GET /login/ and GET /register/identity/ (anonymous,
  a second cookie jar) and GET /applications/ (signed in). No wait between pages, unless
  LOAD_PAGE_THINK="MIN,MAX" (seconds; the -think scenarios of bench.load): then a wait drawn
  uniformly between them after each page, as a person reading it.
- RegisterUser: the whole wizard for a new synthetic person each time (pages 1-4, then the
  page with the User Name); the per-address registration throttles are raised for the run.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from locust import FastHttpUser, between, constant, events, task
from locust.contrib.fasthttp import FastHttpSession

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FLOW = re.compile(r'name="flow" value="([^"]+)"')
USERNAME = re.compile(r'data-testid="username">([^<]+)<')

SERVER_NAME = os.environ.get("LOAD_SERVER_NAME", "127.0.0.1")
_accounts_file = os.environ.get("LOAD_ACCOUNTS", "")
ACCOUNTS = (
    json.loads(Path(_accounts_file).read_text())
    if _accounts_file and Path(_accounts_file).exists()
    else {"usernames": [], "password": ""}
)
_next_account = itertools.count()
RECORDS: list[tuple[str, float, float, bool]] = []  # name, start, ms, ok
# Registrations the client saw complete (page 4 answered with the redirect to "created"):
# the person's made-up last name, and the User Name once the next page showed it.
COMPLETED: list[dict[str, str]] = []
_rng = random.Random(int(os.environ.get("LOAD_SEED", "0")) or None)


def account() -> str:
    names = ACCOUNTS["usernames"]
    return str(names[next(_next_account) % len(names)])


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, start_time=None, **kw):  # type: ignore[no-untyped-def]
    RECORDS.append((name, start_time or time.time(), float(response_time), exception is None))


@events.quitting.add_listener
def _write(environment, **kw):  # type: ignore[no-untyped-def]
    out = os.environ.get("LOAD_OUT")
    if out:
        with open(out, "w") as f:  # noqa: PTH123
            json.dump({"records": RECORDS, "completed": COMPLETED}, f)


def _token(text: str, pattern: re.Pattern[str] = CSRF) -> str:
    match = pattern.search(text)
    return match.group(1) if match else ""


class PortalUser(FastHttpUser):
    abstract = True
    network_timeout = 120.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        # nginx serves the site by its name (deploy/nginx/edgate.conf); Django's CSRF check
        # wants the origin of a secure POST, as a browser sends it.
        origin = f"https://{SERVER_NAME}"
        self.default = {"Host": SERVER_NAME, "Origin": origin, "Referer": f"{origin}/"}

    def page(self, client: FastHttpSession, path: str, name: str | None = None) -> str:
        with client.get(path, name=name or f"GET {path}", headers=self.default, catch_response=True,
                        allow_redirects=False) as r:  # fmt: skip
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return ""
            return r.text or ""

    def post(
        self, client: FastHttpSession, path: str, data: dict[str, str], *, expect: str, name: str
    ) -> str:
        """POST a form; success is a redirect to `expect` (a path prefix). Returns the Location."""
        with client.post(path, data=data, name=name, headers=self.default, catch_response=True,
                         allow_redirects=False) as r:  # fmt: skip
            location = r.headers.get("Location", "") if r.headers else ""
            if r.status_code not in (302, 303) or not location.split("?")[0].endswith(expect):
                r.failure(f"{r.status_code} -> {location or 'no redirect'}")
                return ""
            return location

    def sign_in(self, client: FastHttpSession) -> bool:
        csrf = _token(self.page(client, "/login/"))
        if not csrf:
            return False
        form = {"csrfmiddlewaretoken": csrf, "username": self.username, "password": ACCOUNTS["password"]}
        return bool(
            self.post(client, "/login/", form, expect="/applications/", name="POST /login/ (sign-in)")
        )


class SignInUser(PortalUser):
    fixed_count = int(os.environ.get("LOAD_SIGNIN_USERS", "0"))

    def on_start(self) -> None:
        super().on_start()
        self.username = account()

    @task
    def sign_in_again(self) -> None:
        self.client.cookiejar.clear()
        self.sign_in(self.client)


def _think() -> object:
    spec = os.environ.get("LOAD_PAGE_THINK", "").strip()
    if not spec:
        return constant(0)
    low, high = (float(x) for x in spec.split(","))
    return between(low, high)


class PageUser(PortalUser):
    fixed_count = int(os.environ.get("LOAD_PAGE_USERS", "0"))
    wait_time = _think()

    def on_start(self) -> None:
        super().on_start()
        self.username = account()
        if os.environ.get("LOAD_PAGE_THINK", "").strip():
            # People arrive over time, not all in the same instant: each client's sign-in (one
            # Argon2 hash) is spread over the first think interval instead of 64 at once.
            time.sleep(_rng.uniform(0, float(os.environ["LOAD_PAGE_THINK"].split(",")[1])))
        self.anonymous = FastHttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self, insecure=True
        )
        self.signed_in = self.sign_in(self.client)
        self.turn = itertools.cycle(["/login/", "/register/identity/", "/applications/"])

    @task
    def cheap_page(self) -> None:
        path = next(self.turn)
        if path == "/applications/":
            self.page(self.client, path, name="GET /applications/ (signed in)")
        else:
            self.page(self.anonymous, path)


def synthetic_person() -> dict[str, str]:
    # Made up: area 100-665 (never 000, 666 or 9xx), a last name no one else has.
    ssn = f"{_rng.randint(100, 665):03d}-{_rng.randint(10, 99):02d}-{_rng.randint(1000, 9999):04d}"
    last = "Regbench" + "".join(_rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
    return {
        "first_name": _rng.choice(["Avery", "Jordan", "Morgan", "Riley", "Quinn", "Emerson", "Rowan"]),
        "middle_name": "",
        "last_name": last.capitalize(),
        "former_last_name": "",
        "dob_month": str(_rng.randint(1, 12)),
        "dob_day": str(_rng.randint(1, 28)),
        "dob_year": str(_rng.randint(1950, 2000)),
        "ssn": ssn,
        "state_id": "",
    }


CONTACT = {
    "street": "12 Juniper Ct",
    "city": "Northfield",
    "state": "MA",
    "postcode": "01360",
    "email": "load.bench@example.org",
    "phone": "(555) 201-4477",
}


class RegisterUser(PortalUser):
    fixed_count = int(os.environ.get("LOAD_REGISTER_USERS", "0"))

    @task
    def register(self) -> None:
        self.client.cookiejar.clear()
        text = self.page(self.client, "/register/identity/", name="GET /register/identity/ (new)")
        csrf, tag = _token(text), _token(text, FLOW)
        if not (csrf and tag):
            return
        base = {"csrfmiddlewaretoken": csrf, "flow": tag}
        password = "harbor lantern " + "".join(_rng.choice("bcdfghjkmnpqrstvwxz") for _ in range(10))
        steps = [
            ("/register/identity/", synthetic_person(), "/register/contact/"),
            ("/register/contact/", CONTACT, "/register/security/"),
            (
                "/register/security/",
                {
                    "new_password": password,
                    "confirm_password": password,
                    "hint_question_choice": "4",
                    "own_question": "",
                    "hint_answer": "Quillfeather Lane",
                },
                "/register/review/",
            ),
            ("/register/review/", {"confirm": "on"}, "/register/created/"),
        ]
        location = ""
        for path, data, expect in steps:
            location = self.post(self.client, path, base | data, expect=expect, name=f"POST {path}")
            if not location:
                return
        seen = {"last_name": steps[0][1]["last_name"], "username": ""}
        COMPLETED.append(seen)
        # The page the last redirect names (it carries the flow id: /register/created/ alone
        # would not be this registration's).
        done = self.page(self.client, urlsplit(location)._replace(scheme="", netloc="").geturl(),
                         name="GET /register/created/")  # fmt: skip
        seen["username"] = _token(done, USERNAME).strip()
