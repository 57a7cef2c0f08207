"""EDGATE_OIDC_REFRESH_MAX_SECONDS: how long a refresh-token family lives, checked at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = "import django; django.setup(); from edgate.core import conf; print(int(conf.get().oidc_refresh_max.total_seconds()))"


def run(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "EDGATE_OIDC_REFRESH_MAX_SECONDS"}
    environ |= {"DJANGO_SETTINGS_MODULE": "edgate.settings.test", **env}
    return subprocess.run(
        [sys.executable, "-c", CODE], env=environ, capture_output=True, text=True, timeout=120
    )


def test_twelve_hours_unless_set_and_a_bad_value_stops_start_up() -> None:
    assert run().stdout.split() == [str(12 * 3600)]
    assert run(EDGATE_OIDC_REFRESH_MAX_SECONDS="28800").stdout.split() == ["28800"]
    for bad in ("lots", "60", "-5", str(31 * 86400)):
        result = run(EDGATE_OIDC_REFRESH_MAX_SECONDS=bad)
        assert result.returncode != 0, bad
        assert "OIDC_REFRESH_MAX_SECONDS" in result.stderr, bad
