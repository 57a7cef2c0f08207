"""The database unreachable: a clear 503 page with Retry-After, never a trace; real bugs stay 500s.

In a fresh interpreter whose DATABASE_URL points at a closed port (PostgreSQL down), pages that
need the database answer the 503 page. In this process, a view failing with OperationalError
gets the same page, and one failing with ProgrammingError or IntegrityError still gets the 500.
(Helper `load`'s bench script restarts a real PostgreSQL under load; tests/test_db_pool_postgres.py
shows the pool replacing connections a restart ended.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import IntegrityError, OperationalError, ProgrammingError
from django.test import Client
from django.urls import reverse

from edgate.core import views

SCRIPT = r"""
import json, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
out = {}
from edgate.core.flow import pending_id
flow = pending_id()
# Page 1 shown needs no database (it writes nothing until posted); posted, it makes the flow's row.
shown = client.get("/register/identity/")
out["page_one_shown"] = {"status": shown.status_code}
for name, method, path, data in [
    ("page_one", "post", f"/register/identity/?flow={flow}", {"flow": flow}),
    ("sign_in", "post", "/login/", {"username": "someone1", "password": "not a real password at all"}),
]:
    response = getattr(client, method)(path, data) if data else getattr(client, method)(path)
    out[name] = {"status": response.status_code, "retry_after": response.get("Retry-After"),
                 "body": response.content.decode()}
client.cookies["sessionid"] = "a" * 32  # a signed-in visitor's session must be read first
from django.urls import reverse
response = client.get(reverse("directory:applications"))
out["signed_in"] = {"status": response.status_code, "retry_after": response.get("Retry-After"),
                    "body": response.content.decode()}
print(json.dumps(out))
"""


def test_pages_answer_503_while_the_database_is_unreachable() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "edgate.settings.test",
        "DATABASE_URL": "postgres://edgate@127.0.0.1:9/edgate",  # the discard port: nothing listens
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.splitlines()[-1])
    assert answers.pop("page_one_shown")["status"] == 200
    for name, answer in answers.items():
        assert answer["status"] == 503, name
        assert answer["retry_after"] == str(views.UNAVAILABLE_RETRY_AFTER), name
        assert "unavailable for a moment" in answer["body"], name
        assert "Traceback" not in answer["body"] and "OperationalError" not in answer["body"], name
        assert "127.0.0.1" not in answer["body"], name  # nothing of the connection


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OperationalError("server closed the connection unexpectedly"), 503),
        (ProgrammingError('relation "x" does not exist'), 500),
        (IntegrityError("duplicate key"), 500),
    ],
)
def test_only_an_unreachable_database_is_a_503(
    monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:
    real_render = views.render

    def failing(request: object, template: str, *args: object, **kwargs: object) -> object:
        if template == "core/privacy.html":
            raise error
        return real_render(request, template, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "render", failing)  # the privacy page's render fails
    response = Client(raise_request_exception=False).get(reverse("core:privacy"))
    assert response.status_code == status
    assert ("Retry-After" in response) == (status == 503)
