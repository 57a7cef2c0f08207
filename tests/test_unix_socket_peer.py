"""A node bound to a unix socket (`edgate serve --bind unix:PATH`) gets every request with
REMOTE_ADDR '' (gunicorn has no peer address to give). That peer is the local proxy only when
EDGATE_TRUSTED_PROXIES says so (the entry `unix`, core/proxies.py); otherwise the client is
unknown, and the per-address limits count every unknown client as one, never as unlimited
(core/throttle.py UNKNOWN_ADDRESS). From sec3's review (finding M1)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from edgate.audit.models import AuditEvent, EventType
from edgate.core import proxies
from edgate.core.context import client_ip

CASE_STATUS = "/register/case/"
LOOKUP = {"reference": "EG-ACDE-FGHJ"}
LIMIT = 20  # case_status_address: 20 look-ups an hour per client address


def statuses(client: Client, times: int) -> list[int]:
    return [client.post(CASE_STATUS, LOOKUP).status_code for _ in range(times)]


def test_an_empty_peer_address_is_a_proxy_only_when_unix_is_listed(settings) -> None:  # type: ignore[no-untyped-def]
    unix_peer = RequestFactory().get("/", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.9")
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_ip(unix_peer) is None  # undeclared: X-Forwarded-For is not believed
    settings.TRUSTED_PROXIES = ["127.0.0.1", "unix"]
    assert client_ip(unix_peer) == "203.0.113.9"
    # A peer with an address is judged by the addresses alone, `unix` or not.
    direct = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(direct) == "198.51.100.4"
    # The declared proxy sent no X-Forwarded-For: no address (counted as unknown, below).
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) is None


def test_unix_is_an_entry_of_the_setting_not_a_mistyped_address() -> None:
    assert proxies.parse(["unix", "10.0.0.0/24"]) == proxies.parse(["10.0.0.0/24"])
    assert proxies.trusts_unix_socket(["10.0.0.5", " unix"]) and not proxies.trusts_unix_socket(["10.0.0.5"])
    with pytest.raises(ImproperlyConfigured):
        proxies.parse(["unix:/run/edgate.sock"])


@pytest.mark.django_db
def test_without_a_client_address_the_per_address_limit_still_refuses(settings) -> None:  # type: ignore[no-untyped-def]
    """A unix bind nobody declared: every client is the one unknown identity, so the limit
    refuses (fails closed) instead of letting every look-up through, and the alert records no
    address rather than a made-up one."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert statuses(client, LIMIT + 1) == [200] * LIMIT + [429]
    # Another client behind the same socket shares the unknown identity's allowance.
    assert statuses(Client(REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="198.51.100.8"), 1) == [429]
    alert = AuditEvent.objects.get(event_type=EventType.THROTTLE_ALERT)
    assert alert.client_ip is None


@pytest.mark.django_db
def test_behind_a_declared_unix_socket_each_client_has_its_own_limit(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["unix"]
    client = Client(REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert statuses(client, LIMIT + 1) == [200] * LIMIT + [429]
    # Another client of the same proxy is counted on its own.
    assert statuses(Client(REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="198.51.100.8"), 1) == [200]
    # The audit log keeps the client's real address, the one the proxy saw.
    alert = AuditEvent.objects.get(event_type=EventType.THROTTLE_ALERT)
    assert alert.client_ip == "203.0.113.9"


@pytest.mark.django_db
def test_x_forwarded_proto_from_a_unix_socket_only_when_declared(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert Client(REMOTE_ADDR="").get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 301
    settings.TRUSTED_PROXIES = ["unix"]
    assert Client(REMOTE_ADDR="").get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_deploy_check_refuses_an_undeclared_unix_bind(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from edgate.core.checks import unix_bind_declared

    monkeypatch.setenv("EDGATE_BIND", "unix:/run/edgate/node.sock")
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert [m.id for m in unix_bind_declared()] == ["edgate.E002"]
    settings.TRUSTED_PROXIES = ["127.0.0.1", "unix"]
    assert unix_bind_declared() == []
    monkeypatch.setenv("EDGATE_BIND", "10.0.0.5:8000")
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert unix_bind_declared() == []


def test_deploy_check_refuses_a_socket_handed_over_undeclared(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """review5 L3: `fd://N` and systemd's socket activation may hand over a unix socket."""
    from edgate.core.checks import unix_bind_declared

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    monkeypatch.setenv("EDGATE_BIND", "fd://3")
    assert [m.id for m in unix_bind_declared()] == ["edgate.E002"]
    monkeypatch.setenv("EDGATE_BIND", "127.0.0.1:8000")
    monkeypatch.setenv("LISTEN_FDS", "1")
    [error] = unix_bind_declared()
    assert error.id == "edgate.E002" and "LISTEN_FDS" in error.msg
    settings.TRUSTED_PROXIES = ["127.0.0.1", "unix"]
    assert unix_bind_declared() == []
    monkeypatch.setenv("EDGATE_BIND", "fd://3")
    assert unix_bind_declared() == []


EDGATE = str(Path(sys.executable).parent / "edgate")


def serve(tmp_path: Path, bind: str, trusted: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGATE_", "DJANGO_"))}
    env["EDGATE_TRUSTED_PROXIES"] = trusted
    env["DJANGO_SETTINGS_MODULE"] = "edgate.settings.dev"  # --check-config loads the application
    return subprocess.run(
        [EDGATE, "serve", "--bind", bind, *extra],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_an_undeclared_unix_bind(tmp_path: Path) -> None:
    refused = serve(tmp_path, f"unix:{tmp_path}/node.sock", "127.0.0.1")
    assert refused.returncode == 2
    assert "EDGATE_TRUSTED_PROXIES" in refused.stderr and "'unix'" in refused.stderr
    assert not (tmp_path / "node.sock").exists()


def test_serve_refuses_a_unix_socket_handed_over_by_its_file_descriptor(tmp_path: Path) -> None:
    """review5 L3: `--bind fd://N` (an inherited socket, here a unix one) got around the refusal
    above, and every client was then one unknown address."""
    with socket.socket(socket.AF_UNIX) as inherited:
        inherited.bind(str(tmp_path / "node.sock"))
        inherited.listen(4)
        fd = inherited.fileno()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGATE_", "DJANGO_"))}
        env |= {"EDGATE_TRUSTED_PROXIES": "127.0.0.1", "DJANGO_SETTINGS_MODULE": "edgate.settings.dev"}
        env |= {"EDGATE_WORKERS": "1", "EDGATE_GC_FREEZE": "0"}
        try:
            refused = subprocess.run(
                [EDGATE, "serve", "--bind", f"fd://{fd}"],
                cwd=tmp_path,
                env=env,
                pass_fds=(fd,),
                capture_output=True,
                text=True,
                timeout=20,
            )
        except subprocess.TimeoutExpired:
            raise AssertionError("edgate serve listened on the undeclared unix socket") from None
    assert refused.returncode == 2, refused.stderr
    assert "file descriptor" in refused.stderr and "'unix'" in refused.stderr


def test_serve_refuses_systemd_socket_activation_undeclared(tmp_path: Path) -> None:
    """systemd's socket activation hands gunicorn its sockets (LISTEN_FDS, LISTEN_PID this
    process: `exec` keeps the shell's) whatever --bind says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGATE_", "DJANGO_", "LISTEN_"))}
    env |= {"EDGATE_TRUSTED_PROXIES": "127.0.0.1", "DJANGO_SETTINGS_MODULE": "edgate.settings.dev"}
    env |= {"EDGATE_WORKERS": "1", "EDGATE_GC_FREEZE": "0", "LISTEN_FDS": "1"}
    command = 'LISTEN_PID=$$ exec "$0" serve --bind 127.0.0.1:1'
    try:
        refused = subprocess.run(
            ["/bin/sh", "-c", command, EDGATE],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("edgate serve took systemd's sockets undeclared") from None
    assert refused.returncode == 2, refused.stderr
    assert "LISTEN_FDS" in refused.stderr and "'unix'" in refused.stderr
    # Declared, the refusal is gone (gunicorn then fails on fd 3, which this test gave it none).
    env["EDGATE_TRUSTED_PROXIES"] = "127.0.0.1,unix"
    allowed = subprocess.run(
        ["/bin/sh", "-c", command.replace("serve", "serve --check-config"), EDGATE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert allowed.returncode == 0, allowed.stderr


def test_serve_gives_gunicorn_the_addresses_without_the_unix_entry(tmp_path: Path) -> None:
    """gunicorn's forwarded_allow_ips takes addresses and networks only: `unix` would stop it."""
    shown = serve(tmp_path, f"unix:{tmp_path}/node.sock", "unix,10.0.0.0/24", "--check-config")
    assert shown.returncode == 0, shown.stderr
    line = next(x for x in shown.stdout.splitlines() if x.startswith("forwarded_allow_ips"))
    assert line.split("=", 1)[1].strip() == "['10.0.0.0/24']"


def test_with_no_trusted_proxy_gunicorn_trusts_none(tmp_path: Path) -> None:
    """review5: an empty EDGATE_TRUSTED_PROXIES gave gunicorn its default 127.0.0.1,::1."""
    shown = serve(tmp_path, "127.0.0.1:8000", "", "--check-config")
    assert shown.returncode == 0, shown.stderr
    settings = dict(
        (x.split("=", 1)[0].strip(), x.split("=", 1)[1].strip())
        for x in shown.stdout.splitlines()
        if "=" in x
    )
    assert settings["forwarded_allow_ips"] == "[]"
    assert settings["secure_scheme_headers"] == "{}" and settings["forwarder_headers"] == "[]"


APP = (
    "def app(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [repr(environ.get('REMOTE_ADDR')).encode()]\n"
)


def test_gunicorn_on_a_unix_socket_gives_an_empty_remote_addr(tmp_path: Path) -> None:
    """The premise of the above (sec3's exploit test): should a gunicorn upgrade give a unix
    socket's peer some address, core/proxies.py's reading of '' needs looking at again."""
    (tmp_path / "echo_app.py").write_text(APP)
    sock = tmp_path / "node.sock"
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "--bind", f"unix:{sock}", "--worker-class", "gthread", "echo_app:app"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.1)
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(sock))
            s.sendall(
                b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n"
            )
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert b"''" in answer.split(b"\r\n\r\n", 1)[1]


ECHO = (
    "def app(environ, start_response):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    seen = (environ['wsgi.url_scheme'], environ.get('SCRIPT_NAME', ''))\n"
    "    return [repr(seen).encode()]\n"
)


def test_gunicorn_believes_no_forwarded_header_from_a_unix_peer(tmp_path: Path) -> None:
    """review5 L3: gunicorn believes X-Forwarded-Proto (and SCRIPT_NAME) from any unix-socket
    peer, forwarded_allow_ips or not, and sets wsgi.url_scheme 'https': Django falls back on it
    once ForwardedProtoMiddleware has dropped the header, so a client on an undeclared socket
    was treated as HTTPS. With EdGate's gunicorn configuration it reads neither."""
    (tmp_path / "echo_app.py").write_text(ECHO)
    sock = tmp_path / "node.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGATE_", "DJANGO_"))}
    env |= {"EDGATE_TRUSTED_PROXIES": "127.0.0.1", "EDGATE_WORKERS": "1", "EDGATE_GC_FREEZE": "0"}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "--config", "python:edgate.serve.gunicorn_conf", "--bind", f"unix:{sock}", "echo_app:app"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        answer = b""
        for _ in range(150):
            time.sleep(0.1)
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(str(sock))
                    s.sendall(
                        b"GET /x HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\nSCRIPT_NAME: /elsewhere\r\n"
                        b"Connection: close\r\n\r\n"
                    )
                    while chunk := s.recv(4096):
                        answer += chunk
            except OSError:
                continue
            if answer:
                break
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    body = answer.split(b"\r\n\r\n", 1)[1]  # chunked
    assert b"('http', '')" in body and b"https" not in body and b"elsewhere" not in body
