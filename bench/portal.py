"""The served portal for the benchmarks and the deployment check: a scratch PostgreSQL
database, the production environment of a node, `edgate serve` processes, synthetic Profiles,
and an HTTP client that keeps its cookies the way a browser behind TLS does.

    .venv/bin/python -m bench.portal make-profiles N   (inside a node's environment)
prints N new synthetic Profiles' User Names as JSON, all with the password PASSWORD.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

EDGATE = str(Path(sys.executable).parent / "edgate")
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench only: copper meadow signal lantern"  # noqa: S105 - synthetic, for synthetic Profiles
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def server_options(parser: argparse.ArgumentParser, *, database: str, redis_db: int) -> None:
    """The served benchmarks' --database-url (a scratch database, dropped and made again) and
    --redis-url (emptied), from LOAD_DATABASE_URL and LOAD_REDIS_URL when set."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOAD_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}"),
        help="dropped and made again",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("LOAD_REDIS_URL", f"redis://127.0.0.1:6379/{redis_db}"),
        help="emptied",
    )


# --- PostgreSQL -------------------------------------------------------------------------------


def _admin(url: str) -> tuple[str, str]:
    """The maintenance database's URL beside `url`, and the database name of `url`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def recreate_database(url: str) -> None:
    import psycopg

    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


# --- A node's environment and commands ------------------------------------------------------


def node_env(
    *, database_url: str, static_root: Path, host: str, trusted_proxies: str = "", redis_url: str = ""
) -> dict[str, str]:
    """The production environment of every node of one portal (deploy/edgate.env.example)."""
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGATE_", "DJANGO_"))}
    env.pop("REDIS_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "edgate.settings.production",
            "EDGATE_SECRET_KEY": "bench-only-signing-key-" + "x" * 40,
            "EDGATE_PII_KEYS": Fernet.generate_key().decode(),
            "EDGATE_LOOKUP_KEY": "bench-only-lookup-key",
            "DATABASE_URL": database_url,
            "EDGATE_ALLOWED_HOSTS": host,
            "EDGATE_TRUSTED_PROXIES": trusted_proxies,
            "EDGATE_STATIC_ROOT": str(static_root),
            "EDGATE_OIDC_ISSUER": f"https://{host}",
        }
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def edgate(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run([EDGATE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"edgate {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare(env: dict[str, str], cwd: Path, profiles: int) -> list[str]:
    """Migrate, collect the static files, make synthetic Profiles; their User Names."""
    edgate("migrate", "--noinput", "-v0", env=env, cwd=cwd)
    edgate("collectstatic", "--noinput", "-v0", env=env, cwd=cwd)
    result = subprocess.run(
        [sys.executable, "-m", "bench.portal", "make-profiles", str(profiles)],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"make-profiles failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _make_profiles(count: int) -> list[str]:
    import random
    from datetime import date

    import django

    django.setup()
    from edgate.accounts import actions, hints
    from edgate.core.context import Ctx
    from edgate.people.actions import PersonData, do_create_person

    ctx = Ctx.system("bench")
    rng = random.Random()  # noqa: S311 - synthetic people
    password_hash = actions.hash_password(PASSWORD)
    answer_hash = hints.hash_answer("bench only answer")
    names = []
    for n in range(count):
        # Synthetic SSNs: area 100-665, never 000, 666 or 9xx.
        ssn = f"{rng.randint(100, 665):03d}{rng.randint(10, 99):02d}{rng.randint(1000, 9999):04d}"
        person = do_create_person(
            data=PersonData(
                first_name=rng.choice(["Avery", "Jordan", "Morgan", "Riley", "Quinn"]),
                last_name=f"Benchperson{n}",
                date_of_birth=date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28)),
                ssn=ssn,
            ),
            source="bench",
            ctx=ctx,
        )
        profile = actions.do_create_profile(
            person=person,
            password_hash=password_hash,
            hint_question=str(hints.SUGGESTED_QUESTIONS[0]),
            hint_answer_hash=answer_hash,
            ctx=ctx,
        )
        names.append(profile.username)
    return names


# --- Nodes ----------------------------------------------------------------------------------


class Node:
    """`edgate serve --bind 127.0.0.1:PORT` in its own process group, its output in a file."""

    def __init__(self, name: str, env: dict[str, str], cwd: Path, port: int | None = None) -> None:
        self.name, self.port = name, port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = cwd / f"{name}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [EDGATE, "serve", "--bind", f"127.0.0.1:{self.port}"],
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.log.read_text()}")
            try:
                if requests.get(f"{self.base}/readyz", timeout=15).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{name} did not become ready:\n{self.log.read_text()}")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def rss_mib(self, field: str = "VmRSS") -> list[float]:
        """Resident memory of each worker process, MiB: now (VmRSS) or its peak (VmHWM)."""
        sizes = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            kib = next(
                (int(line.split()[1]) for line in status.splitlines() if line.startswith(f"{field}:")), 0
            )
            if kib:  # an exiting worker has none
                sizes.append(kib / 1024)
        return sizes

    def access_lines(self, path: str) -> int:
        return sum(f'"GET {path} ' in line for line in self.log.read_text(errors="replace").splitlines())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- A browser ------------------------------------------------------------------------------


class _SourceAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser:
    """Cookies kept by name whatever their Secure flag (the portal's cookies are Secure, and a
    node is asked over plain HTTP with X-Forwarded-Proto: https, as nginx asks it); forms are
    posted with the page's CSRF token and an Origin header, as a browser posts them."""

    def __init__(
        self,
        base: str,
        *,
        host: str,
        behind_proxy: bool,
        source: str = "",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.base, self.host = base, host
        self.http = requests.Session()
        if source:
            self.http.mount("http://", _SourceAddress(source))
            self.http.mount("https://", _SourceAddress(source))
        self.cookies: dict[str, str] = {}
        self.headers = {"Host": host, **(extra or {})}
        if behind_proxy:
            self.headers["X-Forwarded-Proto"] = "https"
        self.last_page = ""

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(
            method,
            self.base + path,
            headers=headers,
            allow_redirects=False,
            timeout=30,
            verify=False,  # the deployment check's certificate is self-signed (and not for 127.0.0.1)
            **kwargs,
        )
        for cookie in response.cookies:
            if cookie.value:
                self.cookies[cookie.name] = cookie.value
            else:
                self.cookies.pop(cookie.name, None)
        if "html" in response.headers.get("Content-Type", ""):
            self.last_page = response.text
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self._send("GET", path, **kwargs)

    def post_form(self, path: str, data: dict[str, str]) -> requests.Response:
        match = CSRF_FIELD.search(self.last_page)
        token = match.group(1) if match else ""
        origin = f"https://{self.host}"
        return self._send(
            "POST",
            path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Origin": origin, "Referer": origin + path},
        )

    def sign_in(self, username: str, password: str = PASSWORD) -> requests.Response:
        self.get("/login/")
        return self.post_form("/login/", {"username": username, "password": password})


if __name__ == "__main__":
    if sys.argv[1:2] == ["make-profiles"]:
        print(json.dumps(_make_profiles(int(sys.argv[2]))))
    else:
        sys.exit(__doc__)
