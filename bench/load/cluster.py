"""EdGate served for real on this machine, as deploy/ serves it: `edgate serve` nodes (gunicorn
with edgate/serve/gunicorn_conf.py) behind nginx with deploy/nginx/edgate.conf, production
settings, PostgreSQL and Redis.

Used by `python -m bench.load` and `python -m bench.failures`. Everything is made in a
temporary directory and torn down at the end: a fresh database (dropped first), the collected
static files, a self-signed certificate, the nginx site of deploy/ filled in by
bench/deploy_check.py's `nginx_site` (TLS on 127.0.0.1; the two upstream servers are the same
node when the run has one), one `edgate serve` per node. Keys are random per run; the only
people are synthetic ones the run makes. Throttle limits a run must raise are passed as
EDGATE_THROTTLE_<NAME>=LIMIT/SECONDS (settings/base.py).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.deploy_check import SERVER_NAME, ensure_nginx, nginx_site, self_signed
from bench.portal import free_port

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
EDGATE = str(Path(PYTHON).parent / "edgate")
NGINX = ensure_nginx()


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

    log: Path | None = None  # its output, gunicorn's access log included

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def workers_cpu(self) -> float:
        """CPU seconds of every worker this node has had: the live ones' own, plus what the
        master has reaped (cutime + cstime: a worker restarted by max_requests, or one that
        died, leaves its CPU there). A difference of two readings is the workers' CPU between
        them, restarts included; summing the live workers alone lost the restarted ones'."""
        return children_cpu_seconds(self.master_pid) + sum(cpu_seconds(pid) for pid in self.worker_pids())


@dataclass
class Cluster:
    database_url: str
    redis_url: str
    throttles: dict[str, str] = field(default_factory=dict)  # name -> "LIMIT/SECONDS"
    workers: int = 0  # per node; 0: edgate serve's default (the cores)
    threads: int = 0  # per worker; 0: edgate serve's default
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="edgate-load-")))
    nodes: list[Node] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None
    port: int = 0  # nginx's
    env: dict[str, str] = field(default_factory=dict)
    # Upstream keep-alive connections nginx keeps to the nodes: None as deploy/nginx/edgate.conf
    # says, 0 none, N `keepalive N` (compared by bench.load --variant NGINX_KEEPALIVE=N).
    nginx_keepalive: int | None = None

    def __post_init__(self) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("EDGATE_", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "edgate.settings.production",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "EDGATE_SECRET_KEY": secrets.token_urlsafe(48),
            "EDGATE_PII_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "EDGATE_LOOKUP_KEY": secrets.token_urlsafe(32),
            "EDGATE_ALLOWED_HOSTS": SERVER_NAME,
            "EDGATE_TRUSTED_PROXIES": "127.0.0.1",
            "EDGATE_STATIC_ROOT": str(self.work / "static"),
            "EDGATE_OIDC_ISSUER": f"https://{SERVER_NAME}",
            **{f"EDGATE_THROTTLE_{name.upper()}": value for name, value in self.throttles.items()},
            "PYTHONUNBUFFERED": "1",
        }
        if self.workers:
            self.env["EDGATE_WORKERS"] = str(self.workers)
        if self.threads:
            self.env["EDGATE_THREADS"] = str(self.threads)
        if not self.redis_url:
            del self.env["REDIS_URL"]
        config = self.edgate("serve", "--check-config", capture=True)
        found = dict(re.findall(r"^(workers|threads|worker_class|keepalive)\s*=\s*(\S+)", config, re.M))
        self.workers, self.threads = int(found.get("workers", 1)), int(found.get("threads", 1))
        kind = found.get("worker_class", "?")
        self.server = f"edgate serve: {kind}, {self.workers} workers x {self.threads} threads"

    @property
    def url(self) -> str:
        """Where clients connect; they must send Host: SERVER_NAME (the site's server_name)."""
        return f"https://127.0.0.1:{self.port}"

    # -- set-up -------------------------------------------------------------------------------

    def edgate(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [EDGATE, *args],
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
                stale = con.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'edgate_bench_tpl_%%'"
                ).fetchall()
                for (old,) in stale:  # made for migrations that have changed since
                    con.execute(f'DROP DATABASE IF EXISTS "{old}"')
                con.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
        self.edgate("collectstatic", "--noinput", "--verbosity", "0")

    def flush_redis(self) -> None:
        if self.redis_url:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()

    def certificate(self) -> tuple[Path, Path]:
        if not (self.work / "tls").exists():
            self._tls = self_signed(self.work)
        return self._tls

    # -- nodes --------------------------------------------------------------------------------

    def start_node(self, name: str = "", env: dict[str, str] | None = None) -> Node:
        """One `edgate serve`; `env` adds to (or overrides) the cluster's environment."""
        port = free_port()
        name = name or f"node{len(self.nodes) + 1}"
        path = self.work / f"{name}.log"
        with open(path, "ab") as out:  # noqa: PTH123 - its access log too
            process = subprocess.Popen(
                [EDGATE, "serve", "--bind", f"127.0.0.1:{port}"],
                cwd=self.work,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill -9 reaches every worker
            )
        node = Node(name, port, process, path)
        self.nodes.append(node)
        self.wait_healthy(f"http://127.0.0.1:{port}/readyz")
        log(f"{name}: edgate serve pid {process.pid} on :{port} ({self.server})")
        return node

    def wait_healthy(self, url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        headers = {"Host": SERVER_NAME}
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
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.master_pid, signal.SIGKILL)
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
        """deploy/nginx/edgate.conf in front of the nodes (its two upstream servers are the same
        node when there is one)."""
        self.stop_nginx()
        cert, key = self.certificate()
        self.port = self.port or free_port()
        self.http_port = getattr(self, "http_port", 0) or free_port()
        nodes = nodes or self.nodes
        upstream = [nodes[0], nodes[-1]]
        conf = nginx_site(self.work, cert, key, upstream, self.http_port, self.port)  # type: ignore[arg-type]
        # Debian's nginx.conf: worker_processes auto, 768 connections each (deploy_check's test
        # file has 256, which turns away clients past ~128 at once: one connection each way).
        text = conf.read_text().replace("worker_processes 1;", "worker_processes auto;")
        conf.write_text(text.replace("worker_connections 256;", "worker_connections 768;"))
        if self.nginx_keepalive is not None:
            site = self.work / "edgate.conf"
            text = re.sub(r"\n\s*keepalive(_timeout)? [^;]+;", "", site.read_text())
            if self.nginx_keepalive:
                extra = f"\n    keepalive {self.nginx_keepalive};\n    keepalive_timeout 4s;"
                text = re.sub(
                    r"(upstream edgate \{(?:\n    server [^\n]+)+)", lambda m: m.group(1) + extra, text
                )
            site.write_text(text)
        self.nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(self.work), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_healthy(f"{self.url}/privacy/")
        log(f"nginx pid {self.nginx.pid} on {self.url} (deploy/nginx/edgate.conf) -> {len(nodes)} node(s)")

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
        self.nodes = []
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


def children_cpu_seconds(pid: int) -> float:
    """CPU of the children `pid` has waited for (cutime + cstime of /proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


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
