"""Nothing lost when things fail: four scripts over real HTTP against the served portal.

    .venv/bin/python -m bench.failures same-person [--clients 200]
    .venv/bin/python -m bench.failures kill-node [--seconds 40]
    .venv/bin/python -m bench.failures postgres-restart [--down 12]
    .venv/bin/python -m bench.failures redis-down
    .venv/bin/python -m bench.failures all

Each serves EdGate as bench/load does (bench/load/cluster.py: production settings, gunicorn
nodes, nginx with TLS), does its damage, checks the database with SQL and prints PASS or FAIL
with its figures (exit 1 on any FAIL). Run on demand, not by `make test`:

- same-person: CLIENTS browsers register the same synthetic person at once: each walks pages
  1-3, then all confirm page 4 together. Exactly one Person and one Profile, one "created"
  page and CLIENTS-1 "you already have a Profile", no error.
- kill-node: registrations through nginx to two nodes; one node (master and workers) gets
  SIGKILL mid-run. Every registration the client saw complete is in the database, with its
  Person, Profile and both audit events; no Person without a Profile, no Profile without its
  event.
- postgres-restart: the portal on its OWN PostgreSQL (initdb in a temporary directory, port
  --pg-port, default 55432; never the shared one), stopped for --down seconds under load,
  then started again. The load: page 1 posted by new visitors (makes a flow row: needs the
  database) and the sign-in page (needs none). While it is down, a page 1 POST answers the 503
  page once it has waited EDGATE_DB_POOL_TIMEOUT (5 s) for a connection (no 500, no endless
  hang; a shorter outage is bridged by that wait); after it is back, answers are 200 again
  without restarting EdGate.
- redis-down: the portal with its OWN redis-server (temporary, --redis-port), which is then
  stopped. Throttled look-ups beyond the limit must still be refused (fall back or fail
  closed), never examined; and no 500.

Shared PostgreSQL (the database of --database-url, dropped and made again) serves all but
postgres-restart. Each simulated browser connects to nginx from its own loopback address
(127.x.y.z), which nginx passes on as X-Forwarded-For and the nodes trust from 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from contextlib import suppress
from pathlib import Path

from bench.deploy_check import SERVER_NAME
from bench.load.cluster import Cluster, log
from bench.load.runner import run_locust
from bench.portal import free_port, server_options

RELAXED = {
    "register_address": "1000000/3600",
    "flow_start_address": "1000000/3600",
    "match_address": "1000000/3600",
    "match_identity": "1000000/3600",
    "sign_in_address": "1000000/900",
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FLOW = re.compile(r'name="flow" value="([^"]+)"')
TITLE = re.compile(r"<title>\s*([^<]*?)\s*</title>", re.S)
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
RESULTS: list[tuple[str, bool]] = []


def verdict(name: str, ok: bool, figures: list[str]) -> None:
    RESULTS.append((name, ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}")
    for line in figures:
        print(f"    {line}")
    sys.stdout.flush()


def browser(url: str, source: str):  # type: ignore[no-untyped-def]
    """A browser at loopback address `source` asking nginx for the site's server name."""
    import requests
    import urllib3

    from bench.portal import _SourceAddress

    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
    session = requests.Session()
    session.verify = False
    session.trust_env = False  # no proxy, and no CA bundle from the environment overriding verify
    session.mount("https://", _SourceAddress(source))
    session.mount("http://", _SourceAddress(source))
    origin = f"https://{SERVER_NAME}"
    session.headers.update({"Host": SERVER_NAME, "Origin": origin, "Referer": f"{origin}/"})
    return session


def sql(cluster: Cluster, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(cluster.database_url) as con:
        return con.execute(query, params).fetchall()


# -- 1. the same person registering 200 times at once --------------------------------------


def wizard_to_review(url: str, address: str, person: dict[str, str]):  # type: ignore[no-untyped-def]
    s = browser(url, address)
    page = s.get(f"{url}/register/identity/", timeout=300)
    csrf, tag = CSRF.search(page.text), FLOW.search(page.text)
    if page.status_code != 200 or not (csrf and tag):
        raise RuntimeError(f"page 1: {page.status_code}")
    base = {"csrfmiddlewaretoken": csrf.group(1), "flow": tag.group(1)}
    for path, data, expect in (
        ("identity", person, "contact"),
        ("contact", CONTACT, "security"),
        ("security", SECURITY, "review"),
    ):
        r = s.post(f"{url}/register/{path}/", data=base | data, allow_redirects=False, timeout=300)
        if r.status_code != 303 or not r.headers.get("Location", "").split("?")[0].endswith(f"/{expect}/"):
            raise RuntimeError(f"{path}: {r.status_code} {r.headers.get('Location', '')}")
    return s, base


CONTACT = {
    "street": "12 Juniper Ct",
    "city": "Northfield",
    "state": "MA",
    "postcode": "01360",
    "email": "failure.bench@example.org",
    "phone": "(555) 201-4477",
}
SECURITY = {
    "new_password": "harbor lantern quiet meadow",
    "confirm_password": "harbor lantern quiet meadow",
    "hint_question_choice": "4",
    "own_question": "",
    "hint_answer": "Quillfeather Lane",
}


def same_person(args: argparse.Namespace) -> None:
    cluster = Cluster(args.database_url, args.redis_url, RELAXED)
    try:
        cluster.fresh_database()
        cluster.flush_redis()
        cluster.start_node()
        cluster.start_node()
        cluster.start_nginx()
        rng = random.Random()
        last = "Samebench" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
        person = {
            "first_name": "Marisol",
            "middle_name": "",
            "last_name": last.capitalize(),
            "former_last_name": "",
            "dob_month": "6",
            "dob_day": "17",
            "dob_year": "1988",
            "ssn": f"{rng.randint(100, 665):03d}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}",
            "state_id": "",
        }
        n = args.clients
        barrier = threading.Barrier(n)
        outcomes: Counter[str] = Counter()
        lock = threading.Lock()
        timings: dict[str, float] = {}

        def one(i: int) -> None:
            ready = None
            try:
                ready = wizard_to_review(cluster.url, f"127.77.{i // 250}.{i % 250 + 1}", person)
            except Exception as exc:  # noqa: BLE001 - counted and printed
                outcome = f"pages 1-3 failed: {exc}"
            try:
                if barrier.wait(timeout=900) == 0:
                    timings["confirm"] = time.perf_counter()
                if ready:
                    s, base = ready
                    r = s.post(
                        f"{cluster.url}/register/review/",
                        data=base | {"confirm": "on"},
                        allow_redirects=False,
                        timeout=300,
                    )
                    where = r.headers.get("Location", "").split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                    outcome = f"{r.status_code} -> {where}" if r.status_code == 303 else str(r.status_code)
            except threading.BrokenBarrierError:
                outcome = "barrier broken"
            except Exception as exc:  # noqa: BLE001
                outcome = f"{type(exc).__name__}"
            with lock:
                outcomes[outcome] += 1

        log(f"same-person: {n} clients walk pages 1-3 (two Argon2 hashes each), then confirm together")
        started = time.perf_counter()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done = time.perf_counter()
        (people,) = sql(
            cluster, "SELECT count(*) FROM people_person WHERE last_name = %s", (person["last_name"],)
        )
        (profiles,) = sql(
            cluster,
            "SELECT count(*) FROM accounts_profile p JOIN people_person r ON r.id = p.person_id "
            "WHERE r.last_name = %s",
            (person["last_name"],),
        )
        ok = (
            people[0] == 1
            and profiles[0] == 1
            and outcomes.get("303 -> created") == 1
            and outcomes.get("303 -> exact") == n - 1
        )
        verdict(
            f"same-person: {n} concurrent registrations of one person",
            ok,
            [
                f"answers to the {n} simultaneous page-4 confirmations: {dict(outcomes)}",
                f"Person rows: {people[0]}, Profile rows: {profiles[0]} (want 1 and 1)",
                f"pages 1-3 for all clients {timings.get('confirm', done) - started:.1f} s; "
                f"confirmations {done - timings.get('confirm', done):.1f} s; "
                f"2 nodes ({cluster.server}) behind nginx",
            ],
        )
    finally:
        cluster.close()


# -- 2. kill -9 of a node during registrations ---------------------------------------------

INTEGRITY = {
    "Person without a Profile": "SELECT count(*) FROM people_person r "
    "WHERE NOT EXISTS (SELECT 1 FROM accounts_profile p WHERE p.person_id = r.id)",
    "Profile without its Person": "SELECT count(*) FROM accounts_profile p "
    "WHERE NOT EXISTS (SELECT 1 FROM people_person r WHERE r.id = p.person_id)",
    "Profile without its profile_created event": "SELECT count(*) FROM accounts_profile p "
    "WHERE NOT EXISTS (SELECT 1 FROM audit_auditevent e WHERE e.event_type = 'accounts.profile_created' "
    "AND e.target_id = p.id::text)",
    "Person without its person_created event": "SELECT count(*) FROM people_person r "
    "WHERE NOT EXISTS (SELECT 1 FROM audit_auditevent e WHERE e.event_type = 'people.person_created' "
    "AND e.target_id = r.id::text)",
}


def kill_node(args: argparse.Namespace) -> None:
    cluster = Cluster(args.database_url, args.redis_url, RELAXED)
    try:
        cluster.fresh_database()
        cluster.flush_redis()
        victim = cluster.start_node()
        cluster.start_node()
        cluster.start_nginx()
        killed: dict[str, float] = {}

        def kill() -> None:
            killed["workers"] = len(victim.worker_pids())
            killed["at"] = time.monotonic()
            log(f"kill -9 of {victim.name} (master {victim.master_pid} and its workers)")
            cluster.kill_node(victim)

        timer = threading.Timer(args.seconds / 2, kill)
        started = time.monotonic()
        timer.start()
        run = run_locust(cluster, "register", {"RegisterUser": args.clients}, args.seconds, 2)
        timer.cancel()
        seen = run.completed
        names = [s["last_name"] for s in seen]
        found = {
            row[0]: row[1]
            for row in sql(
                cluster,
                "SELECT r.last_name, p.username FROM people_person r JOIN accounts_profile p "
                "ON p.person_id = r.id",
            )
        }
        missing = [n for n in names if n not in found]
        wrong_name = [s for s in seen if s["username"] and found.get(s["last_name"]) != s["username"]]
        broken = {what: sql(cluster, query)[0][0] for what, query in INTEGRITY.items()}
        statuses = Counter(
            "ok" if r[3] else "error"
            for r in run.records
            if r[1] >= time.time() - (time.monotonic() - started)
        )
        after = [r for r in run.records if r[0] == "POST /register/review/" and r[3]]
        ok = bool(killed) and bool(names) and not missing and not wrong_name and not any(broken.values())
        verdict(
            "kill-node: kill -9 of one of two nodes during registrations",
            ok,
            [
                f"node killed {killed.get('at', started) - started:.0f} s into a {run.seconds:.0f} s run "
                f"({killed.get('workers', 0)} workers); requests {statuses.get('ok', 0)} ok, "
                f"{statuses.get('error', 0)} failed (those in flight on the dead node)",
                f"registrations the client saw complete: {len(names)} (page-4 redirects {len(after)}); "
                f"in the database: {len(names) - len(missing)}; missing: {len(missing)}; "
                f"User Name differs: {len(wrong_name)}",
                f"rows in the database: {len(found)} Profiles with their Person",
                *(f"{what}: {count}" for what, count in broken.items()),
            ],
        )
    finally:
        cluster.close()


# -- 3. PostgreSQL restarted under load ----------------------------------------------------


class OwnPostgres:
    """A PostgreSQL of its own in a temporary directory, run as the postgres user."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="edgate-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["/usr/sbin/runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args],
            check=True,
            capture_output=True,
            cwd=self.dir,
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/edgate_pgrestart"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def hammer(url: str, clients: int, stop: threading.Event, log_: list[tuple[float, str, int, str]]) -> None:
    """Clients in a loop, each answer logged with its time: page 1 of the wizard posted by a new
    visitor (it makes the flow row: the database is needed; its GET writes nothing and is not
    logged) and the sign-in page (needs no database: sessions are in Redis)."""
    rng = random.Random()

    def one(i: int) -> None:
        s = browser(url, f"127.88.0.{i + 1}")
        k = 0
        while not stop.is_set():
            k += 1
            at = time.monotonic()
            path = "POST /register/identity/" if k % 2 else "/login/"
            try:
                if k % 2:
                    s.cookies.clear()
                    page = s.get(f"{url}/register/identity/", timeout=30, allow_redirects=False)
                    csrf, tag = CSRF.search(page.text), FLOW.search(page.text)
                    if page.status_code != 200 or not (csrf and tag):
                        title = TITLE.search(page.text)
                        shown = title.group(1) if title else ""
                        log_.append((at, "GET /register/identity/", page.status_code, shown))
                        time.sleep(0.05)
                        continue
                    at = time.monotonic()
                    r = s.post(
                        f"{url}/register/identity/",
                        data={
                            "csrfmiddlewaretoken": csrf.group(1),
                            "flow": tag.group(1),
                            "first_name": "Hammer",
                            "middle_name": "",
                            "last_name": "Restartbench",
                            "former_last_name": "",
                            "dob_month": str(rng.randint(1, 12)),
                            "dob_day": str(rng.randint(1, 28)),
                            "dob_year": str(rng.randint(1950, 2000)),
                            "ssn": f"{rng.randint(100, 665):03d}-{rng.randint(10, 99):02d}-"
                            f"{rng.randint(1000, 9999):04d}",
                            "state_id": "",
                        },
                        timeout=30,
                        allow_redirects=False,
                    )
                else:
                    r = s.get(f"{url}/login/", timeout=30, allow_redirects=False)
                # A posted page 1 that went on to page 2 is a success like a 200.
                went_on = r.status_code == 303 and "/register/contact/" in r.headers.get("Location", "")
                code = 200 if went_on else r.status_code
                title = TITLE.search(r.text)
                log_.append((at, path, code, title.group(1) if title else ""))
            except Exception as exc:  # noqa: BLE001 - a refused or hung connection is logged
                log_.append((at, path, 0, type(exc).__name__))
            time.sleep(0.05)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def postgres_restart(args: argparse.Namespace) -> None:
    pg = OwnPostgres(args.pg_port)
    cluster: Cluster | None = None
    try:
        pg.start()
        cluster = Cluster(pg.url, args.redis_url, RELAXED)
        cluster.fresh_database()
        cluster.flush_redis()
        cluster.start_node()
        cluster.start_nginx()
        answers: list[tuple[float, str, int, str]] = []
        stop = threading.Event()
        loader = threading.Thread(target=hammer, args=(cluster.url, 8, stop, answers))
        t0 = time.monotonic()
        loader.start()
        time.sleep(5)
        log(f"postgres-restart: stopping PostgreSQL on :{args.pg_port} for {args.down} s")
        down_at = time.monotonic()
        pg.stop()
        stopped = time.monotonic()
        time.sleep(args.down)
        pg.start()
        up_at = time.monotonic()
        log("postgres-restart: PostgreSQL is back")
        time.sleep(10)
        stop.set()
        loader.join()
        end = time.monotonic()

        def window(a: float, b: float) -> Counter[str]:
            return Counter(f"{path} {code or err}" for at, path, code, err in answers if a <= at < b)

        # A request sent in the last second before the stop may still be in flight when the
        # server goes: it counts with the stopping window (a 503 there is a clean failure).
        in_flight = down_at - 1.0
        before, down = window(t0, in_flight), window(stopped + 0.5, up_at)
        # From 3 s after the start: the first request on each connection that died with the
        # server may still fail once (that is what the 3 s are for).
        after_grace, settled = window(up_at, up_at + 3), window(up_at + 3, end + 1)
        pages_503 = Counter(err for at, _, code, err in answers if code == 503)
        early = [f"{at - t0:.1f}" for at, _, code, _ in answers if code != 200 and at < in_flight]

        def codes(counter: Counter[str]) -> set[str]:
            return {key.rsplit(" ", 1)[1] for key in counter}

        # While it is down, a page that needs the database (page 1's POST) answers 503 once it
        # has waited EDGATE_DB_POOL_TIMEOUT (5 s) for a connection; one that was still waiting
        # when PostgreSQL came back goes on (200). A page that needs no database (the anonymous
        # sign-in page: sessions are in Redis) answers 200. Nothing else: no 500, no 502.
        needs_db_down = {key.rsplit(" ", 1)[1] for key in down if key.startswith("POST ")}
        ok = (
            codes(before) <= {"200"}
            and "503" in needs_db_down
            and needs_db_down <= {"200", "503"}
            and codes(down) <= {"200", "503"}
            and codes(settled) <= {"200"}
            and bool(settled)
        )
        verdict(
            "postgres-restart: PostgreSQL stopped and started under load",
            ok,
            [
                f"before ({in_flight - t0:.0f} s): {dict(before)}"
                + (f"; not 200 at {', '.join(early)} s" if early else ""),
                f"stopping (1 s before, {stopped - down_at:.1f} s, 0.5 s after): "
                f"{dict(window(in_flight, stopped + 0.5))}",
                f"down ({up_at - stopped:.0f} s): {dict(down)}"
                "  (want 503 for the POST; /login/ needs no database)",
                f"first 3 s after the start: {dict(after_grace)}",
                f"then ({end - up_at - 3:.0f} s): {dict(settled)}  (want only 200)",
                f"503 page titles: {dict(pages_503)}",
                "EdGate was not restarted (same gunicorn master "
                f"{cluster.nodes[0].master_pid}, alive: {cluster.nodes[0].process.poll() is None})",
            ],
        )
    finally:
        if cluster:
            cluster.close()
        pg.remove()


# -- 4. Redis down ---------------------------------------------------------------------------


def lookups(url: str, address: str, n: int) -> Counter[str]:
    """n case-status look-ups from one address; each answer classified."""
    s = browser(url, address)
    out: Counter[str] = Counter()
    for _ in range(n):
        try:
            page = s.get(f"{url}/register/case/", timeout=30)
            csrf = CSRF.search(page.text)
            r = s.post(
                f"{url}/register/case/",
                data={"csrfmiddlewaretoken": csrf.group(1) if csrf else "", "reference": "EG-ACDE-FGHJ"},
                timeout=30,
            )
        except Exception as exc:  # noqa: BLE001
            out[type(exc).__name__] += 1
            continue
        if r.status_code == 200 and "We have no case with that reference" in r.text:
            out["examined"] += 1
        elif r.status_code in (200, 429, 503) and "too many look-ups" in r.text:
            out[f"refused ({r.status_code})"] += 1
        else:
            out[f"other {r.status_code}"] += 1
    return out


def redis_down(args: argparse.Namespace) -> None:
    limit = 5
    work = Path(tempfile.mkdtemp(prefix="edgate-redis-"))
    server = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(args.redis_port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    cluster = Cluster(
        args.database_url,
        f"redis://127.0.0.1:{args.redis_port}/0",
        RELAXED | {"case_status_address": f"{limit}/3600"},
    )
    try:
        time.sleep(0.5)
        cluster.fresh_database()
        cluster.start_node()
        node = f"http://127.0.0.1:{cluster.nodes[0].port}"
        cluster.start_nginx()
        up = lookups(cluster.url, "127.99.0.1", limit + 5)
        log(f"redis-down: stopping redis-server pid {server.pid}")
        server.terminate()
        server.wait(timeout=10)
        down = lookups(cluster.url, "127.99.0.2", limit + 5)
        healthz = browser(node, "127.99.0.3").get(
            f"{node}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=10
        )
        sign_in_page = browser(cluster.url, "127.99.0.4").get(f"{cluster.url}/login/", timeout=10)
        ok = (
            up.get("examined") == limit
            and down.get("examined", 0) <= limit
            and not any(k.startswith("other 5") or k[0].isupper() for k in down)
        )
        verdict(
            "redis-down: throttles with Redis stopped",
            ok,
            [
                f"limit case_status_address = {limit} per hour per address; {limit + 5} look-ups each",
                f"Redis up: {dict(up)}",
                f"Redis down: {dict(down)}  (want at most {limit} examined, no 500)",
                f"with Redis down: /healthz {healthz.status_code}, GET /login/ {sign_in_page.status_code}",
            ],
        )
    finally:
        cluster.close()
        if server.poll() is None:
            server.terminate()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["same-person", "kill-node", "postgres-restart", "redis-down", "all"])
    parser.add_argument("--clients", type=int, default=0, help="same-person: 200; kill-node: 8")
    parser.add_argument("--seconds", type=int, default=40, help="kill-node: length of the run")
    parser.add_argument(
        "--down",
        type=int,
        default=12,
        help="postgres-restart: seconds PostgreSQL is down (more than the 5-s pool timeout)",
    )
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--redis-port", type=int, default=0, help="redis-down: default a free port")
    server_options(parser, database="edgate_failbench", redis_db=14)
    args = parser.parse_args()
    args.redis_port = args.redis_port or free_port()
    todo = (
        ["same-person", "kill-node", "postgres-restart", "redis-down"] if args.what == "all" else [args.what]
    )
    for what in todo:
        clients = args.clients or (200 if what == "same-person" else 8)
        {
            "same-person": same_person,
            "kill-node": kill_node,
            "postgres-restart": postgres_restart,
            "redis-down": redis_down,
        }[what](argparse.Namespace(**{**vars(args), "clients": clients}))
    print(" ".join(f"{'PASS' if ok else 'FAIL'}:{name.split(':')[0]}" for name, ok in RESULTS))
    sys.exit(0 if all(ok for _, ok in RESULTS) else 1)


if __name__ == "__main__":
    main()
