"""Production settings pool PostgreSQL connections and replace dead ones without a restart.

Run in a fresh interpreter with `edgate.settings.production`, against the test database: the
connections are the pool's (a request's connection goes back to it and comes out again), and
when PostgreSQL ends every one of them (what a restart does to open connections), the next
query gets a new connection instead of an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SCRIPT = r"""
import json, django
django.setup()
import psycopg
from django.db import connection

def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]

options = connection.settings_dict["OPTIONS"]["pool"]
first = backend_pid()
connection.close()  # the end of a request: back to the pool
again = backend_pid()
connection.close()
# A PostgreSQL restart ends every server process: do the same to the pool's connections.
pool = connection.pool
with psycopg.connect(**{**connection.get_connection_params(), "autocommit": True}) as admin:
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = %s", [again])
after = backend_pid()
connection.close()
print(json.dumps({"options": options, "first": first, "again": again, "after": after,
                  "pooled": pool is not None, "max_age": connection.settings_dict["CONN_MAX_AGE"]}))
"""


def test_production_pools_connections_and_replaces_dead_ones() -> None:
    db = settings.DATABASES["default"]
    url = f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "edgate.settings.production",
        "EDGATE_SECRET_KEY": "k" * 60 + "-pool-test-only",
        "EDGATE_PII_KEYS": "dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q=",
        "EDGATE_LOOKUP_KEY": "pool-test-only",
        "EDGATE_DB_POOL_SIZE": "1",  # one connection: the same one comes back each time
        "DATABASE_URL": url,
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["pooled"] and out["max_age"] == 0
    assert out["options"]["max_size"] == 1
    assert out["first"] == out["again"]  # the same server connection, kept by the pool
    assert out["after"] != out["again"]  # the ended one was replaced, no error
