"""The deployment, tested: nginx + two EdGate nodes + PostgreSQL + Redis, from deploy/.

    .venv/bin/python -m bench.deploy_check [--keep]

Run on demand (as root on Debian 12, or with nginx already installed), not by `make test`.
Installs Debian's nginx (`apt-get install -y nginx-light`, else `nginx`) when it is missing;
makes a self-signed certificate; creates the database `edgate_deploy_check` in the PostgreSQL at
DEPLOY_CHECK_PG (default postgres://postgres@127.0.0.1:5432) and uses Redis database
DEPLOY_CHECK_REDIS (default redis://127.0.0.1:6379/4, emptied); migrates, collects the static
files, starts two nodes with `edgate serve` and the production settings, and nginx with
deploy/nginx/edgate.conf and edgate-proxy.conf (only the @…@ values and the listening
addresses replaced: ports chosen at run time on 127.0.0.1, the internal interface on
127.0.0.4). Clients connect from 127.0.0.2 and 127.0.0.3, so the address the portal records
can be told from nginx's. Prints PASS or FAIL for each check, tears everything down (--keep
leaves the working directory for reading the logs) and exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import requests

from bench.portal import (
    Browser,
    Node,
    drop_database,
    free_port,
    node_env,
    prepare,
    query,
    recreate_database,
)

ROOT = Path(__file__).resolve().parent.parent
SERVER_NAME = "portal.deploy-check.test"
INTERNAL = "127.0.0.4"  # nginx's "internal interface"
CLIENT_A, CLIENT_B = "127.0.0.2", "127.0.0.3"  # two clients, neither of them nginx (127.0.0.1)
SPOOFED = "203.0.113.66"  # what a client claims in X-Forwarded-For

results: list[tuple[str, bool, str]] = []


def check(name: str, ok: bool, detail: str = "") -> bool:
    results.append((name, ok, detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  ({detail})" if detail else ""), flush=True)
    return ok


def ensure_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if found:
        return found
    print("nginx is missing: installing Debian's package", flush=True)
    apt_get = shutil.which("apt-get") or "/usr/bin/apt-get"
    subprocess.run([apt_get, "update", "-qq"], check=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run([apt_get, "install", "-y", "-qq", "nginx-light"], env=env).returncode != 0:
        subprocess.run([apt_get, "install", "-y", "-qq", "nginx"], env=env, check=True)
    # The package starts its own nginx on port 80; this check runs its own.
    if systemctl := shutil.which("systemctl"):
        subprocess.run([systemctl, "stop", "nginx"], capture_output=True)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def self_signed(work: Path) -> tuple[Path, Path]:
    cert, key = work / "tls" / "cert.pem", work / "tls" / "key.pem"
    cert.parent.mkdir()
    subprocess.run(
        [
            shutil.which("openssl") or "/usr/bin/openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={SERVER_NAME}",
            "-addext",
            f"subjectAltName=DNS:{SERVER_NAME}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_site(work: Path, cert: Path, key: Path, nodes: list[Node], http: int, https: int) -> Path:
    """deploy/nginx/edgate.conf with its @…@ values filled in and its listening addresses moved
    to this machine's loopback; edgate-proxy.conf unchanged."""
    snippet = work / "edgate-proxy.conf"
    shutil.copy(ROOT / "deploy" / "nginx" / "edgate-proxy.conf", snippet)
    site = (ROOT / "deploy" / "nginx" / "edgate.conf").read_text()
    replacements = {
        "@SERVER_NAME@": SERVER_NAME,
        "@TLS_CERTIFICATE@": str(cert),
        "@TLS_CERTIFICATE_KEY@": str(key),
        "@NODE_1@": f"127.0.0.1:{nodes[0].port}",
        "@NODE_2@": f"127.0.0.1:{nodes[1].port}",
        "listen @INTERNAL_ADDRESS@:80;": f"listen {INTERNAL}:{http};",
        "@INTERNAL_ADDRESS@": INTERNAL,  # in the comments
        "listen 80 default_server;": f"listen 127.0.0.1:{http} default_server;",
        "listen [::]:80 default_server;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/nginx/snippets/edgate-proxy.conf": str(snippet),
        "/var/log/nginx/edgate-access.log": str(work / "nginx-access.log"),
        # The servers' error log and the http level's (below) are one file here.
        "/var/log/nginx/edgate-error.log": str(work / "nginx-error.log"),
    }
    for placeholder, value in replacements.items():
        assert placeholder in site, f"deploy/nginx/edgate.conf no longer has {placeholder!r}"
        site = site.replace(placeholder, value)
    left = re.findall(r"@[A-Z0-9_]+@", site)
    assert not left, f"values left in the site file: {left}"
    (work / "edgate.conf").write_text(site)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (work / "nginx-temp" / temp).mkdir(parents=True, exist_ok=True)
    main = work / "nginx.conf"
    main.write_text(
        f"""worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {work}/nginx-access.log;
    client_body_temp_path {work}/nginx-temp/body;
    proxy_temp_path {work}/nginx-temp/proxy;
    fastcgi_temp_path {work}/nginx-temp/fastcgi;
    uwsgi_temp_path {work}/nginx-temp/uwsgi;
    scgi_temp_path {work}/nginx-temp/scgi;
    include {work}/edgate.conf;
}}
"""
    )
    return main


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def run_checks(work: Path, nginx: str) -> None:
    pg = os.environ.get("DEPLOY_CHECK_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    database_url = f"{pg}/edgate_deploy_check"
    redis_url = os.environ.get("DEPLOY_CHECK_REDIS", "redis://127.0.0.1:6379/4")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    recreate_database(database_url)
    nodes: list[Node] = []
    nginx_conf: Path | None = None
    try:
        env = node_env(
            database_url=database_url,
            static_root=work / "static",
            host=SERVER_NAME,
            trusted_proxies="127.0.0.1",  # nginx, as the nodes see it
            redis_url=redis_url,
        )
        env["EDGATE_WORKERS"] = "2"
        print("preparing: migrate, collectstatic, 4 synthetic Profiles", flush=True)
        alice, bob, carol, dave = prepare(env, work, profiles=4)
        for name in ("node1", "node2"):
            nodes.append(Node(name, env, work))
        http, https = free_port(), free_port()
        cert, key = self_signed(work)
        nginx_conf = nginx_site(work, cert, key, nodes, http, https)
        test = subprocess.run(
            [nginx, "-t", "-c", str(nginx_conf), "-p", str(work)], capture_output=True, text=True
        )
        if not check(
            "nginx -t accepts deploy/nginx/edgate.conf",
            test.returncode == 0,
            "" if test.returncode == 0 else test.stderr.strip()[-300:],
        ):
            return
        subprocess.run([nginx, "-c", str(nginx_conf), "-p", str(work)], check=True)
        public = f"https://127.0.0.1:{https}"
        assert wait_for(lambda: _answers(f"http://{INTERNAL}:{http}/healthz"))

        # The edge: HTTPS, redirects, health paths, HSTS, static files through nginx.
        plain = requests.get(
            f"http://127.0.0.1:{http}/login/?next=/x",
            headers={"Host": SERVER_NAME},
            allow_redirects=False,
            timeout=10,
        )
        check(
            "HTTP is redirected to HTTPS",
            plain.status_code == 301
            and plain.headers.get("Location") == f"https://{SERVER_NAME}/login/?next=/x",
            f"{plain.status_code} {plain.headers.get('Location')}",
        )
        public_health = requests.get(f"http://127.0.0.1:{http}/healthz", allow_redirects=False, timeout=10)
        internal = {
            p: requests.get(f"http://{INTERNAL}:{http}{p}", allow_redirects=False, timeout=10)
            for p in ("/healthz", "/readyz")
        }
        tls_health = requests.get(
            f"{public}/healthz",
            headers={"Host": SERVER_NAME},
            verify=False,  # noqa: S501 - this check's self-signed certificate
            timeout=10,
        )
        check(
            "/healthz and /readyz answer 200 over plain HTTP on the internal interface only",
            all(r.status_code == 200 and r.json() == {"status": "ok"} for r in internal.values())
            and public_health.status_code == 301
            and tls_health.status_code == 404,
            f"internal {[r.status_code for r in internal.values()]}, "
            f"public http {public_health.status_code}, https {tls_health.status_code}",
        )
        page = Browser(public, host=SERVER_NAME, behind_proxy=False, source=CLIENT_A)
        login = page.get("/login/")
        hsts = login.raw.headers.getlist("Strict-Transport-Security") if login.raw else []
        stylesheet = next(
            (
                part.split('"')[0]
                for part in login.text.split('href="')[1:]
                if part.startswith("/static/") and ".css" in part.split('"')[0]
            ),
            "",
        )
        css = page.get(stylesheet) if stylesheet else None
        check(
            "the sign-in page over HTTPS, HSTS sent once, static files (WhiteNoise) cached for a year",
            login.status_code == 200
            and len(hsts) == 1
            and css is not None
            and css.status_code == 200
            and "max-age=315360" in css.headers.get("Cache-Control", ""),
            f"{login.status_code}, HSTS×{len(hsts)}, {stylesheet} {css.status_code if css else '-'} "
            f"{css.headers.get('Cache-Control') if css else ''}",
        )
        big = requests.post(
            f"{public}/login/",
            headers={"Host": SERVER_NAME},
            data=b"x" * (65 * 1024),
            verify=False,  # noqa: S501 - this check's self-signed certificate
            timeout=10,
            allow_redirects=False,
        )
        check(
            "a body over 64 KiB is refused by nginx (413) before it reaches a node",
            big.status_code == 413 and "gunicorn" not in big.headers.get("Server", ""),
            f"{big.status_code} {big.headers.get('Server')}",
        )

        # (a) A session made on node 1 works on node 2, and through nginx on either.
        one = Browser(nodes[0].base, host=SERVER_NAME, behind_proxy=True)
        signed_in = one.sign_in(alice)
        two = Browser(nodes[1].base, host=SERVER_NAME, behind_proxy=True)
        two.cookies = dict(one.cookies)
        apps = two.get("/applications/")
        check(
            "(a) a session made on node 1 is signed in on node 2",
            signed_in.status_code == 302 and apps.status_code == 200 and alice in apps.text,
            f"sign-in on node 1: {signed_in.status_code}; /applications/ on node 2: {apps.status_code}",
        )
        via = Browser(public, host=SERVER_NAME, behind_proxy=False, source=CLIENT_A)
        via.cookies = dict(one.cookies)
        before = [n.access_lines("/applications/") for n in nodes]
        answers = [via.get("/applications/") for _ in range(8)]
        time.sleep(0.5)
        served = [n.access_lines("/applications/") - b for n, b in zip(nodes, before, strict=True)]
        check(
            "(a) through nginx the same session is signed in on both nodes",
            all(r.status_code == 200 and alice in r.text for r in answers) and all(served),
            f"8 requests: {[r.status_code for r in answers]}, served by node1/node2: {served}",
        )

        # (b) A throttle tripped through node 1 holds on node 2: after 3 wrong passwords for a User
        # Name, the next attempt must wait 2 s, on every node, even with the right password.
        wrong = [
            Browser(nodes[0].base, host=SERVER_NAME, behind_proxy=True).sign_in(
                bob, "not the password, bench only"
            )
            for _ in range(3)
        ]
        right_on_two = Browser(nodes[1].base, host=SERVER_NAME, behind_proxy=True).sign_in(bob)
        control = Browser(nodes[1].base, host=SERVER_NAME, behind_proxy=True).sign_in(carol)
        delayed = query(
            database_url,
            "SELECT count(*) FROM audit_auditevent WHERE event_type = %s",
            "accounts.sign_in_delayed",
        )[0][0]
        check(
            "(b) a sign-in delay tripped on node 1 holds on node 2",
            all(r.status_code in (200, 429) for r in wrong)
            and right_on_two.status_code != 302
            and control.status_code == 302
            and delayed == 1,
            f"3 wrong on node 1: {[r.status_code for r in wrong]}; right password on node 2 at once: "
            f"{right_on_two.status_code} (Retry-After {right_on_two.headers.get('Retry-After')}); "
            f"another User Name on node 2: {control.status_code}; sign_in_delayed events: {delayed}",
        )
        time.sleep(2.5)
        later = Browser(nodes[1].base, host=SERVER_NAME, behind_proxy=True).sign_in(bob)
        check(
            "(b) once the wait is over the right password signs in",
            later.status_code == 302,
            str(later.status_code),
        )

        # (c) The client's address, not nginx's nor the one the client made up, is the one the
        # portal records (EDGATE_TRUSTED_PROXIES=127.0.0.1 and X-Forwarded-For replaced by nginx).
        for source in (CLIENT_A, CLIENT_B):
            Browser(
                public,
                host=SERVER_NAME,
                behind_proxy=False,
                source=source,
                extra={"X-Forwarded-For": SPOOFED},
            ).sign_in(dave, "not the password either, bench only")
        seen = [
            row[0]
            for row in query(
                database_url,
                "SELECT host(client_ip) FROM audit_auditevent WHERE event_type = %s ORDER BY id",
                "accounts.sign_in_failed",
            )
        ][-2:]
        check(
            "(c) the audit log records each client's own address behind nginx",
            seen == [CLIENT_A, CLIENT_B],
            f"recorded {seen}, clients {CLIENT_A} and {CLIENT_B}, claimed {SPOOFED}",
        )

        # Graceful reload of a node under traffic: nothing refused while its workers are replaced.
        booted = nodes[0].log.read_text().count("Booting worker")
        statuses = []
        nodes[0].process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            statuses.append(via.get("/applications/").status_code)
        rebooted = nodes[0].log.read_text().count("Booting worker") - booted
        check(
            "SIGHUP (systemctl reload) replaces node 1's workers while every request is answered",
            rebooted >= 2 and set(statuses) == {200},
            f"{len(statuses)} requests: {sorted(set(statuses))}, {rebooted} new workers",
        )
        rss = {n.name: [round(m) for m in n.rss_mib()] for n in nodes}
        print(f"info  worker resident memory, MiB: {rss}", flush=True)
    finally:
        if nginx_conf is not None and (work / "nginx.pid").exists():
            subprocess.run([nginx, "-c", str(nginx_conf), "-p", str(work), "-s", "quit"], capture_output=True)
            wait_for(lambda: not (work / "nginx.pid").exists(), 10)
        for node in nodes:
            node.stop()
        drop_database(database_url)
        redis.Redis.from_url(redis_url).flushdb()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=10).status_code == 200
    except requests.RequestException:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs)")
    options = parser.parse_args()
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")  # self-signed, on purpose
    nginx = ensure_nginx()
    work = Path(tempfile.mkdtemp(prefix="edgate-deploy-check-"))
    work.chmod(0o755)  # nginx's worker reads the site file and writes its temporary files here
    try:
        run_checks(work, nginx)
    except Exception as error:  # noqa: BLE001 - reported as a failed check, then torn down
        check("the deployment came up", False, f"{type(error).__name__}: {error}")
    finally:
        if options.keep:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    failed = [name for name, ok, _ in results if not ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} checks passed.")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
