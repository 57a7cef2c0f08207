"""`edgate serve`, the production server, as an operator starts it: a real subprocess with the
production settings, asked over plain HTTP, reloaded with SIGHUP and stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

EDGATE = str(Path(sys.executable).parent / "edgate")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers: str) -> tuple[int, requests.structures.CaseInsensitiveDict[str], bytes]:
    response = requests.get(url, headers=headers, allow_redirects=False, timeout=10)
    return response.status_code, response.headers, response.content


def wait_until_up(base: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "edgate serve exited early"
        try:
            if get(f"{base}/healthz")[0] == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("edgate serve did not answer /healthz in time")


class Server:
    def __init__(self, process: subprocess.Popen[str], base: str, log: Path) -> None:
        self.process, self.base, self.log = process, base, log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGATE_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)  # SQLite in tmp_path: the checks need no tables
    env.pop("REDIS_URL", None)
    env.update(
        {
            "EDGATE_SECRET_KEY": "serve-test-only-" + "k" * 50,
            "EDGATE_PII_KEYS": Fernet.generate_key().decode(),
            "EDGATE_LOOKUP_KEY": "serve-test-only",
            "EDGATE_ALLOWED_HOSTS": "portal.example.org",
            "EDGATE_WORKERS": "2",
            "EDGATE_THREADS": "2",
            **getattr(request, "param", {}),  # a test's own (indirect parametrization)
        }
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [EDGATE, "serve", "--bind", f"127.0.0.1:{port}"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield Server(process, base, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_serve_answers_health_checks_over_plain_http_and_stops_on_sigterm(server: Server) -> None:
    status, headers, body = get(f"{server.base}/healthz")
    assert (status, body) == (200, b'{"status": "ok"}')
    assert headers["Cache-Control"] == "no-store" and "Set-Cookie" not in headers
    # Asked by the node's address, not the site's name: still answered.
    assert get(f"{server.base}/readyz")[:3:2] == (200, b'{"status": "ok"}')
    # Production settings are in force: a page over plain HTTP is sent to HTTPS.
    status, headers, _ = get(f"{server.base}/login/", Host="portal.example.org")
    assert status == 301 and headers["Location"] == "https://portal.example.org/login/"
    assert "gthread" in server.log_text()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0


@pytest.mark.parametrize("server", [{"EDGATE_TRUSTED_PROXIES": "10.0.0.0/24"}], indirect=True)
def test_https_is_edgates_decision_from_its_trusted_proxies(server: Server) -> None:
    """gunicorn reads no X-Forwarded-Proto (serve/gunicorn_conf.py, review5 L3): the trusted
    proxy's header still counts, through Django's SECURE_PROXY_SSL_HEADER; another peer's not."""
    status, _, _ = get(f"{server.base}/login/", Host="portal.example.org", **{"X-Forwarded-Proto": "https"})
    assert status == 301  # this test's client, 127.0.0.1, is no trusted proxy here
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=30)


@pytest.mark.parametrize("server", [{"EDGATE_TRUSTED_PROXIES": "127.0.0.1"}], indirect=True)
def test_a_trusted_proxys_x_forwarded_proto_still_counts(server: Server) -> None:
    status, headers, _ = get(f"{server.base}/login/", Host="portal.example.org")
    assert status == 301
    # Not sent to HTTPS (the page itself then fails: this server has no tables).
    status, headers, _ = get(
        f"{server.base}/login/", Host="portal.example.org", **{"X-Forwarded-Proto": "https"}
    )
    assert status != 301 and "Location" not in headers


def test_access_log_has_the_path_but_no_query_string_cookie_or_referer(server: Server) -> None:
    get(
        f"{server.base}/healthz?id_token_hint=secret-token-value",
        Cookie="__Host-sessionid=secret-session-value",  # the production name
        Referer="https://portal.example.org/recover/?code=secret-referer-value",
        **{"User-Agent": "secret-agent-value"},
    )
    time.sleep(0.5)
    log = server.log_text()
    assert '"GET /healthz HTTP/1.1" 200' in log
    for secret in (
        "secret-token-value",
        "secret-session-value",
        "secret-referer-value",
        "secret-agent-value",
    ):
        assert secret not in log


@pytest.mark.parametrize("server", [{"EDGATE_ACCESS_LOG": ""}], indirect=True)
def test_access_log_set_to_nothing_is_off_and_the_error_log_stays(server: Server) -> None:
    # EDGATE_ACCESS_LOG= (nginx's log has every request): gunicorn used to refuse to start,
    # taking "" for a file name; now no access log, ~0.1 ms of a worker's CPU per request less.
    assert get(f"{server.base}/healthz")[0] == 200
    time.sleep(0.5)
    log = server.log_text()
    assert "Booting worker" in log
    assert "GET /healthz" not in log


def test_sighup_reloads_gracefully_with_new_workers(server: Server) -> None:
    booted = server.log_text().count("Booting worker")
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    while server.log_text().count("Booting worker") < booted + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.log_text().count("Booting worker") >= booted + 2
    assert server.process.poll() is None
    wait_until_up(server.base, server.process)


def test_gunicorn_error_messages_lose_their_query_strings(capsys: pytest.CaptureFixture[str]) -> None:
    from gunicorn.config import Config

    from edgate.serve.logs import PathOnlyLogger

    config = Config()
    config.set("errorlog", "-")
    logger = PathOnlyLogger(config)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("Error handling request %s %s", "GET", "/oauth/logout/?id_token_hint=secret-token")
    logger.error("Error handling request %s", "http://portal.example.org/x?code=secret-code")
    err = capsys.readouterr().err
    assert (
        "Error handling request GET /oauth/logout/" in err
        and "Error handling request http://portal.example.org/x" in err
    )
    assert "secret-token" not in err and "secret-code" not in err
