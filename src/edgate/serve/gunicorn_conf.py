"""gunicorn settings of `edgate serve`; every default can be changed from the environment.

Figures measured on this project's 2-core machine (`python -m bench.serve_config`, one node,
production settings, PostgreSQL and Redis; clients signing in and clients asking for /login/
at once; docs/deploy.md has the tables of three runs):
- Argon2id verify (m=46 MiB, t=1, p=1): 46-50 ms of CPU, so the bound is ~42 sign-ins/s on
  two cores. A worker is ~110 MiB resident when idle, and each hash in flight adds 46 MiB.
- Memory, each worker's peak (VmHWM): ~203 MiB with 2 hashes in flight per worker (the bound
  below), 274-391 MiB with threads and no bound; sum of the workers' peaks 405 MiB for 2
  workers, 520-704 MiB for 2 unbounded gthread workers, ~800 MiB for 4 sync workers. Without
  the bound, hashes in flight are limited only by workers × threads (16 × 46 MiB = 736 MiB
  more on two cores).
- Latency and throughput did not separate the configurations in three runs (two on a shared
  machine, one quiet: 8-10 sign-ins/s for all four, /login/ p50 28-52 ms): the Python load
  generator on the same two cores was the bottleneck (ratio to the bound ~0.2), so the server
  never saturated. The evidence for threads is the issue's own run with a lighter generator on
  a machine of the same kind: GET /login/ p50 160 ms with sync workers under sign-in load,
  38 ms with threads; and sync workers can let pages through beside hashes only by adding
  processes, ~110 MiB each (4 sync workers: ~800 MiB of peaks against ~400 MiB).

Hence:
- worker_class gthread, not sync: a sync worker does one request at a time, so a cheap page
  waits behind every Argon2 hash (~50 ms of CPU) queued before it in that worker; a thread
  pool lets it through while the hash runs (the GIL is released inside argon2-cffi).
- workers = cores (EDGATE_WORKERS): one process per core is enough to keep every core busy
  with hashing (the CPU-bound part), and each process costs ~110 MiB resident; more processes
  buy no throughput on two cores and cost memory.
- threads = 8 per worker (EDGATE_THREADS): enough that pages waiting on PostgreSQL or Redis
  overlap, few enough that requests in progress are bounded (workers × threads in all);
  further connections wait in the kernel's accept queue / nginx, costing no memory here.
- Hashes in flight are bounded separately (EDGATE_HASH_CONCURRENCY per process, default
  max(1, cores ÷ workers) + 1, in edgate.core.hashers): each Argon2 hash holds 46 MiB while it
  runs, so threads alone would allow workers × threads × 46 MiB (736 MiB on two cores). One
  per core would be enough for throughput if requests spread evenly over the workers; the +1
  lets a worker that got two sign-ins at once run both while the other worker idles (4 hashes,
  184 MiB at most on two cores). A
  request waiting for its turn longer than EDGATE_HASH_WAIT_SECONDS gets a 503 with
  Retry-After, never an unbounded queue.

Worker restarts (max_requests = 100,000 ± 10,000, EDGATE_MAX_REQUESTS): a new worker imports
Django and EdGate again (0.8 s of CPU measured) and starts with empty per-process caches (compiled
templates, the page-chrome fragments, the database pool), so its first requests are slower.
At 5,000 a worker of the load benchmark (~60 pages/s each) restarted about every 80 s, paying
that again and again, and the benchmark lost those workers' CPU from its figures. No growth
of memory was measured that needs it sooner (RSS per worker stays at ~120-140 MiB, plus 46 MiB
per hash in flight); 100,000 still recycles a worker every few hours at this machine's rates.

Spreading requests over the workers (`python -m bench.load --variant`, two runs, one node):
with nginx's upstream keep-alive (16 idle connections) up to 73% of the requests went to one of
the two workers: a kept-alive connection stays with the worker that accepted it, so one worker
ran hot while the other idled. Without upstream keep-alive (deploy/nginx/edgate.conf) 50-54%
(pages; sign-ins alone 56-67%):
every request is a new connection, taken by whichever worker accepts first. reuse_port (one
listening socket per worker, the kernel spreading connections) spread them as evenly (51-57%),
but a worker that exits (reload, max_requests) drops the connections waiting in its own
socket's queue, so it stays off; one worker with 16 threads served 57 pages/s against 102/s
for two workers of 8 in the same run (one process is one core of Python).

Connections per worker (worker_connections = threads, EDGATE_WORKER_CONNECTIONS): gunicorn's
gthread worker accepts up to worker_connections (gunicorn's default 1,000) and queues every
request its threads cannot start yet in a queue of its own. A worker whose threads were held by
sign-ins waiting for a hashing slot kept accepting pages it could not start while the other
worker idled: in the load benchmark's sign-in and mixed-think scenarios the busiest worker
took 58-70% of the requests with 1,000, 51-54% with worker_connections = threads (two runs,
docs/performance.md). Accepting no more than it has threads leaves the rest in the listening
socket's queue, which every worker takes from when a thread comes free. Keep-alive is then
off (a kept-alive connection would hold one of those places); deploy's nginx opens a
connection per request anyway.

Collector (EDGATE_GC_FREEZE, default on): after a worker has loaded the application
(post_worker_init, with the URL configuration and so every view imported), gc.freeze() moves
the objects then alive (~170,000 in bench.page_cpu's process) out of the collector's
generations: they live as long as the worker, and a full collection no longer walks them
again. In-process the collector took
0.04-0.09 ms per cheap page (bench.page_cpu); the served difference was within this machine's
noise, and nothing is lost by it (frozen objects are still freed by reference counting).

Graceful reload: SIGHUP (`systemctl reload edgate`) starts new workers with freshly imported
code and settings and lets the old ones finish their requests (graceful_timeout). The app is
not preloaded in the master for that reason.

Access log (stdout, so journald keeps it), one line per request:
    <peer address> [<time>] "<METHOD> <path> <protocol>" <status> <bytes> <milliseconds>ms <<pid>>
The path is without its query string (an ID token rides in /oauth/logout?id_token_hint=…);
no cookies, no Referer (it can carry a query string), no User-Agent, no user. The peer is the
proxy behind nginx: nginx's own access log has the client's address, and EdGate's audit
events the address it trusted (EDGATE_TRUSTED_PROXIES). Writing it costs a worker ~0.1 ms of
CPU per request (bench.served_cpu, 3-4% of a cheap page); EDGATE_ACCESS_LOG set to nothing
turns it off where nginx's log is enough.
"""

from __future__ import annotations

import gc
import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


CORES = _cores()

# bind comes from `edgate serve --bind` (default EDGATE_BIND or 127.0.0.1:8000).
worker_class = os.environ.get("EDGATE_WORKER_CLASS", "gthread")
workers = _int("EDGATE_WORKERS", CORES)
threads = _int("EDGATE_THREADS", 8)
# The hashing bound follows the workers: read by edgate.core.hashers in each worker.
os.environ.setdefault("EDGATE_HASH_CONCURRENCY", str(max(1, CORES // max(1, workers)) + 1))

# SO_REUSEPORT (EDGATE_REUSE_PORT=1): each worker its own listening socket and the kernel
# spreads new connections over them. Off: see the docstring.
reuse_port = os.environ.get("EDGATE_REUSE_PORT", "").strip().lower() in ("1", "true", "yes")

# A request may take at most this long before its worker is restarted (a sign-in is ~0.1 s).
timeout = _int("EDGATE_WORKER_TIMEOUT", 30)
graceful_timeout = _int("EDGATE_GRACEFUL_TIMEOUT", 30)
# Connections a worker takes at once (EDGATE_WORKER_CONNECTIONS, default its threads): a gthread
# worker accepts up to worker_connections and queues what its threads cannot start yet in a
# queue of its own, so a page could wait there behind sign-ins waiting for a hashing slot while
# the other worker idled. With no more than its threads, a busy worker stops accepting and the
# connection waits in the listening socket's queue, shared by every worker (see the docstring).
worker_connections = _int("EDGATE_WORKER_CONNECTIONS", threads)
# Keep-alive for a client that keeps its connection (deploy's nginx opens one per request:
# kept-alive upstream connections stuck to one worker, see the docstring). A kept-alive
# connection would hold one of worker_connections: none when there are no more than threads.
keepalive = _int("EDGATE_KEEPALIVE", 5 if worker_connections > threads else 0)
# Restart a worker now and then so that slow growth of memory cannot accumulate; rarely (see
# "Worker restarts" above), and at different moments (the jitter) so they never all go at once.
max_requests = _int("EDGATE_MAX_REQUESTS", 100_000)
max_requests_jitter = max_requests // 10
# Request line and headers: gunicorn's limits; the body limit is EdGate's (64 KiB, 413).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# gunicorn reads no forwarded header: whether the client used HTTPS and who it was are EdGate's
# to decide, from EDGATE_TRUSTED_PROXIES (core/proxies.py: ForwardedProtoMiddleware drops
# X-Forwarded-Proto from any other peer before Django's SECURE_PROXY_SSL_HEADER reads it;
# context.client_ip reads X-Forwarded-For). gunicorn would believe its scheme headers
# (wsgi.url_scheme 'https', which Django falls back on once the middleware has dropped the
# header) and its forwarder headers (SCRIPT_NAME, PATH_INFO) from any unix-socket peer,
# whatever forwarded_allow_ips says (review5 L3).
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""
# Kept as EdGate's list, for --check-config: the addresses and networks (the entry `unix` is
# EdGate's alone), none when the setting is empty — not gunicorn's default 127.0.0.1,::1.
_trusted = [e.strip() for e in os.environ.get("EDGATE_TRUSTED_PROXIES", "").split(",") if e.strip()]
forwarded_allow_ips = ",".join(e for e in _trusted if e != "unix")

# EDGATE_ACCESS_LOG set to nothing: no access log (nginx's has every request).
accesslog = os.environ.get("EDGATE_ACCESS_LOG", "-").strip() or None
errorlog = os.environ.get("EDGATE_ERROR_LOG", "-")
loglevel = os.environ.get("EDGATE_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %(p)s'
logger_class = "edgate.serve.logs.PathOnlyLogger"

# The collector's view of the application (EDGATE_GC_FREEZE, default on): once a worker has
# loaded Django and EdGate (settings, models, every view through the URL configuration), what is
# alive then lives as long as the worker, so it is moved out of the collector's generations
# (gc.freeze) and a full collection no longer walks it again and again. See the docstring.
gc_freeze = os.environ.get("EDGATE_GC_FREEZE", "1").strip().lower() not in ("0", "false", "no")


def post_worker_init(worker: object) -> None:
    if not gc_freeze:
        return
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view and what it imports, now
    gc.collect()
    gc.freeze()


proc_name = "edgate"
preload_app = False
# Signals and systemd manage the server; several nodes on one host must not share the default
# control socket path either.
control_socket_disable = True
