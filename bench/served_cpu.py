"""The served worker's CPU per cheap page, variants compared in one run, optionally profiled.

    .venv/bin/python -m bench.served_cpu [--requests 400] [--passes 2] [--nginx] [--clients 1] \\
        [--threads 4] [--variant NAME:ENV=VALUE,...] [--profile NAME] [--top 40]

Serves EdGate as `bench.load` does (bench/load/cluster.py: production settings, a fresh
PostgreSQL database, Redis database --redis-url EMPTIED), one `edgate serve` node of one
worker (EDGATE_WORKERS=1, so every request lands on the worker measured), and asks for the
load benchmark's three cheap pages one after the other (--clients at once): GET /login/ and GET
/register/identity/ as a new visitor each time (no cookies), GET /applications/ signed in.
Each page is asked for --requests times after 30 warm-up requests; the worker's CPU is read
from /proc before and after, so gunicorn's own work (accepting, parsing, the access log) is in
it, and divided by the requests.

Without --nginx the client speaks HTTP to the node as nginx does (a new connection per
request, Host, X-Forwarded-For and X-Forwarded-Proto: https from the trusted 127.0.0.1);
with --nginx it goes through deploy/nginx/edgate.conf over TLS (one kept-alive connection
from the client to nginx).

--variant NAME:ENV=VALUE,... (repeatable; "NAME:" is the branch's defaults): the node's
environment for that variant; each pass starts a node per variant in turn, so the variants
are compared under the same machine load. A few keys are the bench's, not the node's:
NGINX_KEEPALIVE=N (with nginx) nginx's upstream keep-alive; CLIENT_KEEPALIVE=1 (straight) one
kept-alive connection to the node for all requests, as nginx's upstream keep-alive would (the
node needs EDGATE_KEEPALIVE and EDGATE_WORKER_CONNECTIONS above its threads); CLIENTS=N and
NGINX=1 that variant's --clients and --nginx; SPLIT=1 loads SPLIT_HOOK below into the node and
prints where the worker's CPU went: Django (the WSGI application, every middleware), gunicorn's
access log, the rest of gunicorn's request thread (waiting for the first bytes, parsing,
writing the response), the worker's main thread (accepting, the event loop, the heartbeat) and
other threads (the database pool's).

--clients N: N clients at once, --requests shared among them (default 1). --threads: the
worker's (default 4; edgate serve's default is 8).

--profile NAME: samples that variant's worker with py-spy (requirements-bench.lock) during
its last pass, idle threads left out, and prints the share of samples per function. Sampling
costs the worker CPU too, so the profiled pass reads high. Informational only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import ssl
import sys
import time
from pathlib import Path

from bench.deploy_check import SERVER_NAME
from bench.load.__main__ import THROTTLES
from bench.load.cluster import Cluster, log
from bench.portal import server_options
from bench.signin_profile import PY_SPY, start_profilers, stop_profilers, summary

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAGES = ("/login/", "/register/identity/", "/applications/")

# SPLIT=1: loaded into the node's processes as sitecustomize (its own PYTHONPATH entry), it
# wraps gunicorn's gthread worker to add up the thread CPU (time.thread_time) of each part of
# a request and writes the sums to split-PID.json every 10 requests. Bench only.
SPLIT_HOOK = """
import json, os, time
from gunicorn.workers import base, gthread
from gunicorn import glogging

SUMS = {"requests": 0, "handle": 0.0, "app": 0.0, "access_log": 0.0}
OUT = os.path.join(os.getcwd(), "split-%d.json")


def timed(key, function):
    def wrapper(*args, **kwargs):
        start = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            SUMS[key] += time.thread_time() - start
    return wrapper


handle = gthread.ThreadWorker.handle


def counted_handle(self, conn):
    start = time.thread_time()
    try:
        return handle(self, conn)
    finally:
        SUMS["handle"] += time.thread_time() - start
        SUMS["requests"] += 1
        if SUMS["requests"] % 10 == 0:
            with open(OUT % os.getpid(), "w") as f:
                json.dump(SUMS, f)


gthread.ThreadWorker.handle = counted_handle
glogging.Logger.access = timed("access_log", glogging.Logger.access)
load_wsgi = base.Worker.load_wsgi


def timed_load_wsgi(self):
    load_wsgi(self)
    self.wsgi = timed("app", self.wsgi)


base.Worker.load_wsgi = timed_load_wsgi
"""


class Client:
    """One visitor's HTTP: a new connection per request straight to a node (as nginx does), or
    one kept-alive TLS connection to nginx."""

    def __init__(self, host: str, port: int, tls: bool, keepalive: bool = False) -> None:
        self.host, self.port, self.tls, self.keepalive = host, port, tls, keepalive
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if not self.tls and not self.keepalive:
            return http.client.HTTPConnection(self.host, self.port, timeout=30)
        if self.conn is None and not self.tls:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        if self.conn is None:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self.conn = http.client.HTTPSConnection(self.host, self.port, timeout=30, context=context)
        return self.conn

    def request(
        self, method: str, path: str, body: str = "", *, keep_cookies: bool = True
    ) -> tuple[int, str, str]:
        headers = {"Host": SERVER_NAME}
        if not self.tls:
            headers.update({"X-Forwarded-For": "198.51.100.40", "X-Forwarded-Proto": "https"})
        if self.cookies and keep_cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{SERVER_NAME}{path}"
        conn = self._connection()
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        if keep_cookies:
            for value in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if not self.tls and not self.keepalive:
            conn.close()
        return response.status, response.headers.get("Location", ""), text


def sign_in(client: Client, username: str, password: str) -> None:
    from urllib.parse import urlencode

    _status, _, text = client.request("GET", "/login/")
    token = CSRF.search(text)
    assert token, "no CSRF token on /login/"
    form = urlencode({"csrfmiddlewaretoken": token.group(1), "username": username, "password": password})
    status, location, _ = client.request("POST", "/login/", form)
    assert status == 302 and "/applications/" in location, (status, location)


def thread_cpu(pid: int, tid: int) -> float:
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def split(cluster: Cluster) -> dict[str, float]:
    """The SPLIT hook's sums for the node's worker, and its main thread's CPU."""
    time.sleep(0.3)
    (pid,) = cluster.nodes[-1].worker_pids()
    path = cluster.work / f"split-{pid}.json"
    sums = json.loads(path.read_text()) if path.exists() else {}
    return {**sums, "main": thread_cpu(pid, pid)}


def measure(
    cluster: Cluster, client: Client, requests: int, splitting: bool, clients: int
) -> dict[str, float]:
    out = {}
    for path in PAGES:
        signed_in = path == "/applications/"
        for _ in range(30):
            status, _, _ = client.request("GET", path, keep_cookies=signed_in)
            assert status == 200, (path, status)
        node = cluster.nodes[-1]
        parts = split(cluster) if splitting else {}
        before = node.workers_cpu()
        if clients == 1:
            for _ in range(requests):
                client.request("GET", path, keep_cookies=signed_in)
        else:
            copies = [Client(client.host, client.port, client.tls, client.keepalive) for _ in range(clients)]
            for copy in copies:
                copy.cookies = dict(client.cookies)

            def ask(copy: Client, path: str = path, signed_in: bool = signed_in) -> None:
                for _ in range(requests // clients):
                    copy.request("GET", path, keep_cookies=signed_in)

            with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                list(pool.map(ask, copies))
        out[path] = 1000 * (node.workers_cpu() - before) / requests
        if splitting:
            after = split(cluster)
            for key in ("main", "handle", "app", "access_log"):
                out[f"{path} {key}"] = 1000 * (after[key] - parts[key]) / requests
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=1, help="at once (--requests divided among them)")
    parser.add_argument("--nginx", action="store_true", help="through deploy's nginx over TLS")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:ENV=VALUE,...")
    parser.add_argument("--profile", default="", metavar="NAME", help="py-spy over that variant's last pass")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=40)
    server_options(parser, database="edgate_servedcpu", redis_db=7)
    args = parser.parse_args()
    if args.profile and not shutil.which(PY_SPY):
        sys.exit("py-spy is not installed: make bench-tools")
    variants: list[tuple[str, dict[str, str]]] = []
    for spec in args.variant or ["branch:"]:
        name, _, env = spec.partition(":")
        variants.append((name, dict(item.split("=", 1) for item in env.split(",") if item)))
    cluster = Cluster(args.database_url, args.redis_url, THROTTLES, workers=1, threads=args.threads)
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in variants}
    stacks = None
    try:
        cluster.fresh_database()
        cluster.flush_redis()
        account = json.loads(cluster.python("bench.load.seed", "accounts", "1"))
        with open("/proc/loadavg") as f:  # noqa: PTH123
            loadavg = [" ".join(f.read().split()[:3])]
        for number in range(1, args.passes + 1):
            for name, env in variants:
                env = dict(env)
                keepalive = env.pop("CLIENT_KEEPALIVE", "") == "1"
                splitting = env.pop("SPLIT", "") == "1"
                clients = int(env.pop("CLIENTS", args.clients))
                through_nginx = env.pop("NGINX", "1" if args.nginx else "") == "1"
                if splitting:
                    (cluster.work / "site").mkdir(exist_ok=True)
                    (cluster.work / "site" / "sitecustomize.py").write_text(SPLIT_HOOK)
                    env["PYTHONPATH"] = ":".join(
                        p for p in (str(cluster.work / "site"), os.environ.get("PYTHONPATH", "")) if p
                    )
                cluster.nginx_keepalive = (
                    int(env.pop("NGINX_KEEPALIVE")) if "NGINX_KEEPALIVE" in env else None
                )
                node = cluster.start_node(name, env)
                if through_nginx:
                    cluster.start_nginx([node])
                    client = Client("127.0.0.1", cluster.port, tls=True)
                else:
                    client = Client("127.0.0.1", node.port, tls=False, keepalive=keepalive)
                sign_in(client, account["usernames"][0], account["password"])
                profiling = args.profile == name and number == args.passes
                profilers = start_profilers(cluster, args.rate) if profiling else []
                started = time.monotonic()
                results[name].append(measure(cluster, client, args.requests, splitting, clients))
                if profilers:
                    stacks = stop_profilers(profilers)
                log(f"pass {number} {name}: {time.monotonic() - started:.0f} s {results[name][-1]}")
                cluster.stop_nginx()
                cluster.stop_node(node)
                cluster.nodes.remove(node)
        with open("/proc/loadavg") as f:  # noqa: PTH123
            loadavg.append(" ".join(f.read().split()[:3]))
    finally:
        cluster.close()
    print()
    print(
        f"{cluster.server.replace(f'{cluster.workers} workers', '1 worker')}; "
        f"{'through nginx (TLS)' if args.nginx else 'straight to the node'}; {args.requests} requests "
        f"per page per pass; load average {loadavg[0]} -> {loadavg[-1]}"
    )
    print(
        "worker CPU ms per request, pass by pass"
        + (f" ({args.profile}'s last pass profiled)" if args.profile else "")
    )
    print(f"{'variant':14} " + " ".join(f"{p:>24}" for p in PAGES) + f" {'mean':>8}")
    for name, _ in variants:
        cells = [" / ".join(f"{run[p]:.2f}" for run in results[name]) for p in PAGES]
        mean = sum(run[p] for run in results[name] for p in PAGES) / (len(PAGES) * len(results[name]))
        print(f"{name:14} " + " ".join(f"{c:>24}" for c in cells) + f" {mean:8.2f}")
    for name, _ in variants:
        if f"{PAGES[0]} app" not in results[name][0]:
            continue
        print()
        print(f"{name}: where the worker's CPU went, ms per request (mean of the passes; SPLIT hook)")
        heads = ("worker", "Django", "log", "gunicorn thread", "main thread", "other")
        print(f"{'page':24} " + " ".join(f"{h:>{max(7, len(h))}}" for h in heads))
        for p in PAGES:

            def avg(key: str, runs: list[dict[str, float]] = results[name]) -> float:
                return sum(run[key] for run in runs) / len(runs)

            total, handle, app, log_, main = (
                avg(k) for k in (p, f"{p} handle", f"{p} app", f"{p} access_log", f"{p} main")
            )
            print(
                f"{p:24} {total:7.2f} {app:7.2f} {log_:7.2f} {handle - app - log_:16.2f} {main:12.2f} "
                f"{total - handle - main:7.2f}"
            )
    if stacks:
        print()
        print(summary(stacks, args.top))


if __name__ == "__main__":
    log("bench.served_cpu")
    main()
