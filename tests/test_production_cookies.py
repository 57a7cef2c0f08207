"""Under the production settings every cookie the portal sets has a `__Host-` name, and so is
Secure, for Path=/ and without a Domain (ASVS V3.3.1, V3.3.3). Asked as nginx asks a node (HTTPS
said by X-Forwarded-Proto) in a fresh interpreter with `edgate.settings.production`, against the
test database: the session, CSRF, language and messages cookies, as Set-Cookie headers.

(The development and test settings serve plain HTTP, where a browser refuses a `__Host-`
cookie: they keep Django's names.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCRIPT = r"""
import json, re, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

# No collected static files here: the plain storage instead of the manifest one.
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
# As nginx asks a node: HTTPS said by X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
client = Client(HTTP_HOST="portal.example.org", HTTP_X_FORWARDED_PROTO="https")
headers = {}

def keep(response):
    for morsel in response.cookies.values():
        headers[morsel.key] = morsel.OutputString()
    return response

keep(client.get("/login/"))  # the sign-in form: the CSRF cookie
page = keep(client.get("/register/identity/", follow=True))
flow = re.search(r'name="flow" value="([^"]+)"', page.content.decode()).group(1)
keep(client.post(f"/register/identity/?flow={flow}", {"flow": flow}))  # page 1 posted: the session
keep(client.post("/language/", {"language": "es", "next": "/login/"}))  # the language switch
# A one-time message (a registration page of a flow that does not exist: "expired"): the
# messages cookie.
keep(client.get("/register/contact/?flow=" + "A" * 43))
print(json.dumps(headers))
"""


def test_production_cookies_have_host_names_secure_root_path_and_no_domain() -> None:
    db = settings.DATABASES["default"]
    url = f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")},
        "DJANGO_SETTINGS_MODULE": "edgate.settings.production",
        "EDGATE_SECRET_KEY": "k" * 60 + "-cookie-test-only",
        "EDGATE_PII_KEYS": "dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q=",
        "EDGATE_LOOKUP_KEY": "cookie-test-only",
        "EDGATE_ALLOWED_HOSTS": "portal.example.org",
        "EDGATE_TRUSTED_PROXIES": "127.0.0.1",  # the test client stands for nginx
        "DATABASE_URL": url,
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    headers = json.loads(result.stdout.splitlines()[-1])
    assert sorted(headers) == [
        "__Host-csrftoken",
        "__Host-django_language",
        "__Host-messages",
        "__Host-sessionid",
    ], headers
    for name, header in headers.items():
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        assert "secure" in attributes, header
        assert "path=/" in attributes, header
        assert not any(a.startswith("domain") for a in attributes), header
        assert name.startswith("__Host-")
