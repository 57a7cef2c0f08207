"""EdGate served for real on this machine: gunicorn nodes behind nginx, production settings.

Used by `python -m bench.load` and the failure scripts of bench/ (failures_*.py). Everything is
made in a temporary directory and torn down at the end: a fresh database (dropped first), the
collected static files, a self-signed certificate, an nginx configuration (TLS on 127.0.0.1,
as the production settings refuse plain HTTP and mark cookies Secure), one gunicorn per node.
Keys are random per run; the only people are synthetic ones the run makes.

The servers run the production settings (edgate.settings.production) with PostgreSQL and
Redis; throttle limits a run must raise are passed in EDGATE_THROTTLES (settings/base.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]


@dataclass
class Cluster:
    database_url: str
    redis_url: str
    throttles: str = ""
    workers: int = 0  # per node; 0: the number of cores
    threads: int = 4
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="edgate-load-")))
    nodes: list[Node] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None
    port: int = 0  # nginx's
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workers = self.workers or os.cpu_count() or 1
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("EDGATE_", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "edgate.settings.production",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "EDGATE_SECRET_KEY": secrets.token_urlsafe(48),
            "EDGATE_PII_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "EDGATE_LOOKUP_KEY": secrets.token_urlsafe(32),
            "EDGATE_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "EDGATE_TRUSTED_PROXIES": "127.0.0.1",
            "EDGATE_THROTTLES": self.throttles,
            "PYTHONUNBUFFERED": "1",
        }
        if not self.redis_url:
            del self.env["REDIS_URL"]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    # -- set-up -------------------------------------------------------------------------------

    def edgate(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [str(Path(PYTHON).parent / "edgate"), *args],
            cwd=self.work,
            env=self.env,
            check=True,
            capture_output=capture,
            text=True,
        )
        return result.stdout if capture else ""

    def python(self, module: str, *args: str) -> str:
        """A bench helper with the servers' settings and keys (it prints JSON)."""
        result = subprocess.run(
            [PYTHON, "-m", module, *args],
            cwd=REPO,
            env={**self.env, "EDGATE_WORK_DIR": str(self.work)},
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def fresh_database(self) -> None:
        """Drop and make the database. Migrating takes minutes on a busy machine, so the first
        run keeps a migrated copy (edgate_bench_tpl_<hash of the migration files>) on the same
        server and later runs copy it (CREATE DATABASE … TEMPLATE); new migrations, new copy."""
        import psycopg

        name = self.database_url.rsplit("/", 1)[1]
        admin = self.database_url.rsplit("/", 1)[0] + "/postgres"
        digest = hashlib.sha256()
        for path in sorted((REPO / "src" / "edgate").glob("*/migrations/*.py")):
            digest.update(path.name.encode() + path.read_bytes())
        template = f"edgate_bench_tpl_{digest.hexdigest()[:12]}"
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone():
                con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                log(f"database {name}: copied from {template}")
                template = ""
            else:
                con.execute(f'CREATE DATABASE "{name}"')
        if template:
            log(f"database {name}: migrating (then kept as {template})")
            self.edgate("migrate", "--noinput", "--verbosity", "0")
            with psycopg.connect(admin, autocommit=True) as con:
                con.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
        self.edgate("collectstatic", "--noinput", "--verbosity", "0")

    def flush_redis(self) -> None:
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()

    def certificate(self) -> tuple[Path, Path]:
        cert, key = self.work / "tls.crt", self.work / "tls.key"
        if not cert.exists():
            subprocess.run(
                [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                check=True,
                capture_output=True,
            )  # fmt: skip
        return cert, key

    # -- nodes --------------------------------------------------------------------------------

    def start_node(self, name: str = "") -> Node:
        port = free_port()
        name = name or f"node{len(self.nodes) + 1}"
        args = [
            PYTHON, "-m", "gunicorn", "edgate.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(self.workers),
            "--worker-class", "gthread", "--threads", str(self.threads),
            "--graceful-timeout", "5", "--timeout", "60",
            # Longer than nginx keeps an idle upstream connection (60 s): otherwise gunicorn
            # (2 s by default) closes connections nginx is about to reuse, and a POST sent on
            # one gets a 502 (nginx never retries a POST).
            "--keep-alive", "75",
            "--forwarded-allow-ips", "127.0.0.1",
            "--error-logfile", str(self.work / f"{name}.log"),
            "--pid", str(self.work / f"{name}.pid"),
        ]  # fmt: skip
        with open(self.work / f"{name}.out", "ab") as out:
            process = subprocess.Popen(args, cwd=self.work, env=self.env, stdout=out, stderr=out)
        node = Node(name, port, process)
        self.nodes.append(node)
        self.wait_healthy(f"http://127.0.0.1:{port}/healthz")
        log(f"{name}: gunicorn pid {process.pid} on :{port}, {self.workers} workers x {self.threads} threads")
        return node

    def wait_healthy(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only, made here
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(request, timeout=2, context=_insecure()) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{url} did not become healthy; see {self.work}")

    def kill_node(self, node: Node) -> None:
        """kill -9 of the master and every worker at once: what a crashed machine looks like."""
        pids = [node.master_pid, *node.worker_pids()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        node.process.wait()

    def stop_node(self, node: Node) -> None:
        if node.process.poll() is None:
            node.process.terminate()
            try:
                node.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_node(node)

    # -- nginx --------------------------------------------------------------------------------

    def start_nginx(self, nodes: list[Node] | None = None) -> None:
        self.stop_nginx()
        cert, key = self.certificate()
        self.port = self.port or free_port()
        servers = "\n".join(
            f"        server 127.0.0.1:{n.port} max_fails=1 fail_timeout=5s;" for n in nodes or self.nodes
        )
        temp = self.work / "nginx"
        temp.mkdir(exist_ok=True)
        conf = self.work / "nginx.conf"
        conf.write_text(NGINX_CONF.format(servers=servers, port=self.port, cert=cert, key=key, temp=temp))
        self.nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(temp), "-e", str(temp / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_healthy(f"{self.url}/healthz")
        log(f"nginx pid {self.nginx.pid} on {self.url} -> {len(nodes or self.nodes)} node(s)")

    def stop_nginx(self) -> None:
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        self.nginx = None

    # -- memory and CPU of the nodes ----------------------------------------------------------

    def workers_now(self) -> list[int]:
        return [pid for node in self.nodes if node.process.poll() is None for pid in node.worker_pids()]

    def close(self) -> None:
        self.stop_nginx()
        for node in self.nodes:
            self.stop_node(node)
        if os.environ.get("EDGATE_BENCH_KEEP"):
            log(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _insecure():  # type: ignore[no-untyped-def]
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@contextlib.contextmanager
def cluster(**kwargs: object) -> Iterator[Cluster]:
    c = Cluster(**kwargs)  # type: ignore[arg-type]
    try:
        yield c
    finally:
        c.close()


def dump(value: object) -> None:
    print(json.dumps(value))


NGINX_CONF = """\
# Made by bench/load/cluster.py for one run: TLS on 127.0.0.1 in front of the EdGate nodes.
worker_processes 1;
daemon off;
pid {temp}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    client_max_body_size 64k;
    upstream edgate {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://edgate;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""
