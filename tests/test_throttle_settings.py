"""Throttle limits from the environment: EDGATE_THROTTLE_<NAME>="LIMIT/SECONDS", checked at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

CODE = (
    "import django; django.setup(); from edgate.core import conf; "
    "limit = conf.get().limit('register_address'); print(limit.limit, int(limit.window.total_seconds()))"
)


def run(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EDGATE_THROTTLE_")}
    environ |= {"DJANGO_SETTINGS_MODULE": "edgate.settings.test", **env}
    return subprocess.run(
        [sys.executable, "-c", CODE], env=environ, capture_output=True, text=True, timeout=120
    )


def test_a_limit_is_set_from_the_environment() -> None:
    assert run().stdout.split() == ["20", "3600"]
    assert run(EDGATE_THROTTLE_REGISTER_ADDRESS="100000/60").stdout.split() == ["100000", "60"]


def test_a_malformed_limit_stops_start_up_naming_the_variable() -> None:
    for bad in ("lots", "10", "0/60", "10/-5"):
        result = run(EDGATE_THROTTLE_REGISTER_ADDRESS=bad)
        assert result.returncode != 0, bad
        assert "EDGATE_THROTTLE_REGISTER_ADDRESS" in result.stderr or "register_address" in result.stderr, bad
